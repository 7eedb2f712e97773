"""The post list for a working day: filters, columns, bulk actions, export and import."""

import csv
import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.http import StreamingHttpResponse
from django.urls import resolve, reverse
from django.utils import timezone

from camp.jobs.services import job_run
from camp.lists import exporting
from camp.models import PendingImport
from conftest import preview_import
from posts.models import Post
from users.tests.factories import UserFactory

from .factories import ArchivedPostFactory, DraftPostFactory, PostFactory

pytestmark = pytest.mark.django_db

VIEW = "posts.view_post"
ADD = "posts.add_post"
CHANGE = "posts.change_post"
DELETE = "posts.delete_post"

LIST = reverse("posts:list")
BULK = reverse("posts:bulk")
EXPORT_CSV = reverse("posts:export_csv")
EXPORT_XLSX = reverse("posts:export_xlsx")
IMPORT = reverse("posts:import")
IMPORT_CONFIRM = reverse("posts:import_confirm")


def titles(response) -> list[str]:
    return [post.title for post in response.context["page_obj"].object_list]


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


def upload(text: str, name: str = "posts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8-sig"), content_type="text/csv")


@pytest.fixture
def authors():
    return {name: UserFactory(username=name) for name in ("taro", "hanako", "jiro")}


@pytest.fixture
def mixed(authors) -> dict[str, Post]:
    """One post per (author, status) pair among taro and hanako, and one by jiro."""
    posts = {}
    for name in ("taro", "hanako"):
        posts[f"{name}-draft"] = DraftPostFactory(title=f"{name}-draft", author=authors[name])
        posts[f"{name}-published"] = PostFactory(title=f"{name}-published", author=authors[name])
        posts[f"{name}-archived"] = ArchivedPostFactory(
            title=f"{name}-archived", author=authors[name]
        )
    posts["jiro-draft"] = DraftPostFactory(title="jiro-draft", author=authors["jiro"])
    return posts


# Filters ---------------------------------------------------------------------


def test_two_statuses_show_posts_in_either(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(LIST, {"status": ["draft", "archived"]})

    assert sorted(titles(response)) == sorted(
        ["taro-draft", "taro-archived", "hanako-draft", "hanako-archived", "jiro-draft"]
    )


def test_two_authors_show_posts_by_either(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(LIST, {"author": ["taro", "jiro"]})

    assert sorted(titles(response)) == sorted(
        ["taro-draft", "taro-published", "taro-archived", "jiro-draft"]
    )


def test_authors_may_be_given_in_one_box_separated_by_commas(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(LIST, {"author": "taro, JIRO"})

    assert len(titles(response)) == 4


def test_status_and_author_filters_combine_with_and(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(
        LIST, {"status": ["draft", "published"], "author": ["taro", "jiro"]}
    )

    assert sorted(titles(response)) == ["jiro-draft", "taro-draft", "taro-published"]


def test_created_range_combines_with_status(staff_client_with, authors):
    now = timezone.now()
    DraftPostFactory(title="old draft", created_at=now - timedelta(days=40))
    DraftPostFactory(title="new draft", created_at=now - timedelta(days=2))
    PostFactory(title="new published", created_at=now - timedelta(days=2))
    week_ago = (now - timedelta(days=7)).date().isoformat()

    response = staff_client_with(VIEW).get(LIST, {"status": "draft", "created_after": week_ago})

    assert titles(response) == ["new draft"]


def test_unknown_status_is_dropped_and_the_known_one_kept(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(LIST, {"status": ["archived", "zzz"]})

    assert sorted(titles(response)) == ["hanako-archived", "taro-archived"]


def test_status_filter_renders_checkboxes(staff_client_with):
    content = staff_client_with(VIEW).get(LIST).content.decode()

    assert 'type="checkbox" name="status" value="draft"' in content
    assert '<select name="status"' not in content


def test_chosen_values_survive_in_the_page_links(staff_client_with, authors):
    DraftPostFactory.create_batch(30, author=authors["taro"])

    response = staff_client_with(VIEW).get(
        LIST, {"status": ["draft", "archived"], "author": ["taro", "hanako"]}
    )

    assert "status=draft&amp;status=archived&amp;author=taro&amp;author=hanako&amp;page=2" in (
        response.content.decode()
    )


def test_chosen_authors_show_in_the_author_box(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(LIST, {"author": ["taro", "hanako"]})

    box = response.context["filterset"].form["author"]
    assert 'value="taro, hanako"' in str(box)
    assert 'type="hidden"' not in str(box)


def test_each_chosen_value_is_a_chip_linking_to_the_list_without_it(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(LIST, {"status": ["draft", "archived"], "q": "x"})

    chips = {(c.label, c.value): c.url for c in response.context["chips"]}
    assert chips == {
        ("Search", "“x”"): "?status=draft&status=archived",
        ("Status", "Draft"): "?status=archived&q=x",
        ("Status", "Archived"): "?status=draft&q=x",
    }


def test_removing_the_last_chip_keeps_the_list_unfiltered(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(LIST, {"status": "draft"})

    assert [c.url for c in response.context["chips"]] == ["?q="]


def test_date_range_chips_remove_one_bound_each(staff_client_with):
    response = staff_client_with(VIEW).get(
        LIST, {"created_after": "2024-01-01", "created_before": "2024-02-01"}
    )

    assert [c.url for c in response.context["chips"]] == [
        "?created_before=2024-02-01",
        "?created_after=2024-01-01",
    ]


@pytest.mark.parametrize(
    "params",
    [
        {"status": ["draft", "\x00", "x" * 5000]},
        {"author": ["taro", "\x00", "", "x" * 5000]},
        {"author": ["a"] * 500},
        {"created_after": "2024-02-30", "status": "draft"},
        {"created_before": "9999999-01-01"},
        {"cols": ["zzz", "password", "\x00"]},
        {"view": "abc"},
        {"view": "9" * 40},
        {"sort": ["title", "-zzz"]},
    ],
    ids=[
        "status",
        "author",
        "many-authors",
        "date",
        "huge-date",
        "cols",
        "view",
        "huge-view",
        "sort",
    ],
)
def test_bad_filter_values_never_fail(staff_client_with, mixed, params):
    response = staff_client_with(VIEW).get(LIST, params, follow=True)

    assert response.status_code == HTTPStatus.OK


def test_list_queries_do_not_grow_with_rows(staff_client_with, count_queries, authors):
    client = staff_client_with(VIEW, CHANGE, DELETE, "users.view_user")
    params = {"status": ["draft", "published"], "author": ["taro", "hanako"], "cols": "content"}
    PostFactory.create_batch(2, author=authors["taro"])
    few = count_queries(client, LIST, params)
    PostFactory.create_batch(20, author=authors["hanako"])

    many = count_queries(client, LIST, params)

    assert many == few


# Columns ---------------------------------------------------------------------


def test_default_columns_leave_out_content(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(LIST)

    assert response.context["shown"] == ["title", "author", "status", "created", "updated"]


def test_cols_choose_the_columns_shown(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(LIST, {"cols": ["content", "status"]})

    assert response.context["shown"] == ["title", "status", "content"]
    content = response.content.decode()
    assert "Sort by Status" in content
    assert "Sort by Author" not in content


def test_column_choice_is_kept_by_the_filter_form(staff_client_with):
    content = staff_client_with(VIEW).get(LIST, {"cols": "status"}).content.decode()

    assert '<input type="hidden" name="cols" value="status">' in content


# Bulk actions ----------------------------------------------------------------


def test_bulk_publish_asks_first_and_changes_nothing(staff_client_with, mixed):
    client = staff_client_with(VIEW, CHANGE)
    ids = [mixed["taro-draft"].pk, mixed["hanako-draft"].pk, mixed["taro-published"].pk]

    response = client.post(BULK, {"action": "publish", "ids": ids})

    assert response.status_code == HTTPStatus.OK
    assert response.context["count"] == 2
    assert "Publish 2 posts?" in response.content.decode()
    assert Post.objects.filter(status="draft").count() == 3


def test_bulk_publish_changes_as_many_posts_as_the_confirmation_said(staff_client_with, mixed):
    client = staff_client_with(VIEW, CHANGE)
    ids = [mixed["taro-draft"].pk, mixed["hanako-draft"].pk, mixed["taro-published"].pk]
    asked = client.post(BULK, {"action": "publish", "ids": ids}).context["count"]
    before = Post.objects.filter(status="published").count()

    response = client.post(
        BULK, {"action": "publish", "ids": ids, "expected": asked, "confirm": "1"}, follow=True
    )

    assert Post.objects.filter(status="published").count() - before == asked
    assert "2 posts were published." in response.content.decode()


def test_bulk_publish_records_history_and_bumps_versions(staff_client_with, mixed):
    client = staff_client_with(VIEW, CHANGE)
    post = mixed["taro-draft"]

    client.post(BULK, {"action": "publish", "ids": [post.pk], "expected": 1, "confirm": "1"})

    post.refresh_from_db()
    assert (post.status, post.version) == ("published", 2)
    record = post.history.order_by("-history_id").first()
    assert (record.history_type, record.status, record.history_user) == (
        "~",
        "published",
        client.user,
    )


def test_bulk_action_on_all_matching_acts_on_exactly_the_filtered_set(staff_client_with, mixed):
    client = staff_client_with(VIEW, CHANGE)
    query = "status=draft&status=published&author=taro&author=jiro"
    asked = client.post(BULK, {"action": "archive", "scope": "all", "query": query})

    client.post(
        BULK,
        {
            "action": "archive",
            "scope": "all",
            "query": query,
            "expected": asked.context["count"],
            "confirm": "1",
        },
    )

    archived = set(Post.objects.filter(status="archived").values_list("title", flat=True))
    assert asked.context["count"] == 3
    assert archived == {
        "taro-archived",
        "hanako-archived",
        "taro-draft",
        "taro-published",
        "jiro-draft",
    }


def test_bulk_delete_on_all_matching_deletes_only_those_and_records_them(staff_client_with, mixed):
    client = staff_client_with(VIEW, DELETE)

    response = client.post(
        BULK,
        {
            "action": "delete",
            "scope": "all",
            "query": "author=hanako",
            "expected": 3,
            "confirm": 1,
        },
        follow=True,
    )

    assert not Post.objects.filter(author__username="hanako").exists()
    assert Post.objects.count() == 4
    assert Post.history.filter(history_type="-", title__startswith="hanako").count() == 3
    assert "3 posts were deleted." in response.content.decode()


def test_bulk_deleted_post_can_be_restored(staff_client_with, mixed):
    client = staff_client_with(VIEW, DELETE, ADD)
    post = mixed["jiro-draft"]
    client.post(BULK, {"action": "delete", "ids": [post.pk], "expected": 1, "confirm": 1})
    record = Post.history.get(id=post.pk, history_type="-")

    client.post(reverse("posts:restore", args=[record.history_id]))

    assert Post.objects.filter(pk=post.pk, title="jiro-draft").exists()


def test_bulk_confirmation_lists_only_the_posts_the_action_will_change(staff_client_with, mixed):
    client = staff_client_with(VIEW, CHANGE)
    ids = [mixed["taro-draft"].pk, mixed["hanako-draft"].pk, mixed["taro-published"].pk]

    response = client.post(BULK, {"action": "publish", "ids": ids})

    assert [post.title for post in response.context["preview"]] == [
        "hanako-draft",
        "taro-draft",
    ]
    assert response.context["preview_more"] == 0
    table = response.content.decode().split('class="table-wrap bulk-preview"')[1]
    assert "hanako-draft" in table and "taro" in table and "Draft" in table
    assert "taro-published" not in table
    assert "more." not in table


def test_bulk_confirmation_on_all_matching_lists_the_first_rows_and_how_many_more(
    staff_client_with, authors
):
    from camp.lists.bulk import PREVIEW_ROWS

    drafts = [DraftPostFactory(title=f"draft-{n:02}", author=authors["taro"]) for n in range(23)]
    PostFactory(title="already-out", author=authors["taro"])
    client = staff_client_with(VIEW, CHANGE)

    response = client.post(BULK, {"action": "publish", "scope": "all", "query": "author=taro"})

    newest_first = [post.title for post in reversed(drafts)][:PREVIEW_ROWS]
    assert response.context["count"] == 23
    assert [post.title for post in response.context["preview"]] == newest_first
    assert response.context["preview_more"] == 23 - PREVIEW_ROWS
    content = response.content.decode()
    assert f"The first {PREVIEW_ROWS} of 23 rows" in content
    assert f"… and {23 - PREVIEW_ROWS} more." in content
    assert "already-out" not in content


def test_bulk_confirmation_reads_its_rows_in_a_bounded_number_of_queries(
    staff_client_with, authors
):
    from django.test.utils import CaptureQueriesContext

    drafts = DraftPostFactory.create_batch(40, author=authors["hanako"])
    client = staff_client_with(VIEW, CHANGE)
    client.post(BULK, {"action": "archive", "ids": [drafts[0].pk]})

    def queries(ids: list[int]) -> int:
        with CaptureQueriesContext(connection) as context:
            response = client.post(BULK, {"action": "archive", "ids": ids})
        assert response.context["count"] == len(ids)
        return len(context.captured_queries)

    few, many = queries([p.pk for p in drafts[:3]]), queries([p.pk for p in drafts])
    assert few == many
    # The member and their permissions (3), the count, the first rows with their authors.
    assert many <= 5


def test_bulk_confirmation_lists_the_rows_in_japanese(staff_client_with, authors):
    DraftPostFactory.create_batch(12, author=authors["jiro"])
    client = staff_client_with(VIEW, CHANGE)

    response = client.post(
        BULK, {"action": "publish", "scope": "all", "query": ""}, HTTP_ACCEPT_LANGUAGE="ja"
    )

    content = response.content.decode()
    assert "全 12 行のうち最初の 10 行" in content
    assert "ほか 2 行" in content
    assert "下書き" in content


def test_bulk_action_asks_again_when_the_count_changed(staff_client_with, mixed):
    client = staff_client_with(VIEW, CHANGE)

    response = client.post(
        BULK,
        {
            "action": "publish",
            "scope": "all",
            "query": "status=draft",
            "expected": 99,
            "confirm": 1,
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert response.context["changed_since"] is True
    assert Post.objects.filter(status="draft").count() == 3


@pytest.mark.parametrize(
    ("perms", "action"),
    [
        ((VIEW,), "publish"),
        ((VIEW,), "delete"),
        ((VIEW, CHANGE), "delete"),
        ((VIEW, DELETE), "archive"),
    ],
    ids=["viewer-publish", "viewer-delete", "changer-delete", "deleter-archive"],
)
def test_bulk_action_without_its_permission_is_403_and_changes_nothing(
    staff_client_with, mixed, perms, action
):
    before = sorted(Post.objects.values_list("pk", "status", "version"))

    response = staff_client_with(*perms).post(
        BULK, {"action": action, "scope": "all", "query": "", "expected": 7, "confirm": "1"}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert sorted(Post.objects.values_list("pk", "status", "version")) == before


def test_bulk_action_with_nothing_ticked_goes_back_with_a_message(staff_client_with, mixed):
    response = staff_client_with(VIEW, CHANGE).post(
        BULK, {"action": "publish", "query": "status=draft"}, follow=True
    )

    assert response.redirect_chain[-1][0] == f"{LIST}?status=draft"
    assert "Tick at least one row" in response.content.decode()


def test_bulk_action_with_unknown_action_changes_nothing(staff_client_with, mixed):
    response = staff_client_with(VIEW, CHANGE, DELETE).post(
        BULK, {"action": "explode", "ids": [mixed["jiro-draft"].pk], "confirm": 1, "expected": 1}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert Post.objects.count() == 7


def test_bulk_bar_offers_only_permitted_actions(staff_client_with, mixed):
    response = staff_client_with(VIEW, CHANGE).get(LIST)

    assert [a.key for a in response.context["bulk_actions"]] == ["publish", "archive"]


def test_viewer_sees_no_row_checkboxes(staff_client_with, mixed):
    content = staff_client_with(VIEW).get(LIST).content.decode()

    assert 'name="ids"' not in content
    assert 'id="bulk-form"' not in content


def test_bulk_status_change_works_in_batches(staff_client_with, authors, monkeypatch):
    from posts import services

    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    DraftPostFactory.create_batch(8, author=authors["taro"])

    changed = services.post_bulk_set_status(posts=Post.objects.all(), status="published")

    assert changed == 8
    assert not Post.objects.filter(status="draft").exists()
    assert Post.history.filter(history_type="~").count() == 8


def test_bulk_delete_works_in_batches(authors, monkeypatch):
    from posts import services

    monkeypatch.setattr(services, "BATCH_SIZE", 3)
    DraftPostFactory.create_batch(7, author=authors["taro"])

    deleted = services.post_bulk_delete(posts=Post.objects.all())

    assert (deleted, Post.objects.count()) == (7, 0)


# Export ----------------------------------------------------------------------


def test_csv_export_is_a_streaming_response_with_a_bom(staff_client_with, mixed):
    response = staff_client_with(VIEW).get(EXPORT_CSV)

    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).startswith("\ufeff".encode())


def open_cursors() -> list[str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM pg_cursors WHERE name LIKE '_django_curs_%%'")
        return [name for (name,) in cursor.fetchall()]


def test_csv_export_streams_from_a_server_side_cursor(staff_client_with, monkeypatch):
    # Small pieces and chunks, so a file of 30 rows is read over several round trips.
    monkeypatch.setattr(exporting, "CHUNK_SIZE", 10)
    monkeypatch.setattr(exporting, "FLUSH_SIZE", 1)
    PostFactory.create_batch(30)
    response = staff_client_with(VIEW).get(EXPORT_CSV)
    pieces = iter(response.streaming_content)

    first = [next(pieces) for _ in range(3)]  # the BOM and header, then the first rows
    # The rows are still being fetched: an export that listed them first would have
    # read them all and closed its cursor before writing anything.
    during = open_cursors()
    rest = list(pieces)

    assert len(during) == 1, during
    assert open_cursors() == []
    body = b"".join(first + rest).decode("utf-8-sig")
    assert len(list(csv.reader(io.StringIO(body)))) == 31


def test_csv_rows_equal_the_filtered_sorted_list(staff_client_with, mixed):
    client = staff_client_with(VIEW)
    params = {"status": ["draft", "archived"], "author": ["taro", "jiro"], "sort": "-title"}
    listed = titles(client.get(LIST, params))

    rows = csv_rows(client.get(EXPORT_CSV, params))

    assert rows[0] == ["id", "title", "author", "status", "created", "updated"]
    assert [row[1] for row in rows[1:]] == listed == ["taro-draft", "taro-archived", "jiro-draft"]


def test_csv_export_writes_only_the_shown_columns(staff_client_with, mixed):
    rows = csv_rows(staff_client_with(VIEW).get(EXPORT_CSV, {"cols": ["content", "status"]}))

    assert rows[0] == ["id", "title", "status", "content"]


def test_csv_export_keeps_japanese(staff_client_with):
    PostFactory(title="夏合宿のお知らせ", author=UserFactory(username="hanako"))

    rows = csv_rows(staff_client_with(VIEW).get(EXPORT_CSV))

    assert rows[1][1:3] == ["夏合宿のお知らせ", "hanako"]


def test_csv_export_defuses_formulas(staff_client_with):
    PostFactory(title='=HYPERLINK("http://evil")')

    rows = csv_rows(staff_client_with(VIEW).get(EXPORT_CSV))

    assert rows[1][1] == '\'=HYPERLINK("http://evil")'


def test_csv_export_needs_view_permission(staff_client_with):
    response = staff_client_with().get(EXPORT_CSV)

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_xlsx_export_is_a_workbook_of_the_filtered_list(staff_client_with, mixed):
    from openpyxl import load_workbook

    response = staff_client_with(VIEW).get(EXPORT_XLSX, {"status": "archived", "sort": "title"})

    sheet = load_workbook(io.BytesIO(response.content)).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0][:3] == ("id", "title", "author")
    assert [row[1] for row in values[1:]] == ["hanako-archived", "taro-archived"]


def test_xlsx_export_past_the_limit_is_written_by_a_job_and_downloaded(
    staff_client_with, mixed, monkeypatch
):
    from openpyxl import load_workbook

    from camp.jobs.models import Job
    from camp.jobs.services import job_run
    from camp.lists import exporting, listviews

    monkeypatch.setattr(listviews, "XLSX_LIMIT", 4)
    monkeypatch.setattr(exporting, "XLSX_BATCH_ROWS", 2)
    client = staff_client_with(VIEW)

    response = client.get(EXPORT_XLSX, {"status": ["draft", "archived"], "cols": "status"})

    job = Job.objects.get()
    assert response["Location"] == job.get_absolute_url()
    assert (job.kind, job.total) == ("posts.xlsx", 5)
    assert job_run(job_id=job.pk) == "done"
    page = client.get(job.get_absolute_url()).content.decode()
    assert "The file is ready: 5 rows." in page
    download = client.get(reverse("jobs:file", args=[job.pk]))
    assert download["Content-Disposition"].endswith('.xlsx"')
    sheet = load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == ("id", "title", "status")
    assert sorted(row[0] for row in values[1:]) == sorted(
        p.pk for p in mixed.values() if p.status in ("draft", "archived")
    )


def test_job_files_are_deleted_after_their_retention(staff_client_with, mixed, monkeypatch):
    from datetime import timedelta

    from camp.jobs.models import Job, JobFile, JobFileChunk
    from camp.jobs.services import job_files_prune, job_run
    from camp.lists import listviews

    monkeypatch.setattr(listviews, "XLSX_LIMIT", 1)
    client = staff_client_with(VIEW)
    client.get(EXPORT_XLSX)
    job = Job.objects.get()
    job_run(job_id=job.pk)

    assert job_files_prune(now=timezone.now() + timedelta(hours=23)) == 0
    assert job_files_prune(now=timezone.now() + timedelta(hours=25)) == 1
    assert not JobFile.objects.exists() and not JobFileChunk.objects.exists()
    assert client.get(reverse("jobs:file", args=[job.pk])).status_code == HTTPStatus.NOT_FOUND
    assert "deleted after its retention" in client.get(job.get_absolute_url()).content.decode()


# Import ----------------------------------------------------------------------


IMPORTER = (ADD, CHANGE, VIEW)


def preview(client, text: str):
    return preview_import(client, IMPORT, upload(text))


def confirm(client, response):
    """Confirm the preview, run the job it queues here, and return the job's page."""
    queued = client.post(IMPORT_CONFIRM, {"pending": response.context["pending"].pk})
    assert queued.status_code == HTTPStatus.FOUND
    job_run(job_id=resolve(queued.url).kwargs["pk"])
    return client.get(queued.url)


def test_import_preview_writes_nothing(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)

    response = preview(client, "title,author,status\nHello,taro,published\nこんにちは,hanako,\n")

    assert response.status_code == HTTPStatus.OK
    assert response.context["result"].created == 2
    assert not Post.objects.exists()


def test_valid_import_creates_the_posts(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)
    response = preview(client, "title,author,status\nHello,taro,published\nこんにちは,hanako,\n")

    confirmed = confirm(client, response)

    assert sorted(Post.objects.values_list("title", "author__username", "status")) == [
        ("Hello", "taro", "published"),
        ("こんにちは", "hanako", "draft"),
    ]
    assert "Imported: 2 created, 0 changed, 0 unchanged." in confirmed.content.decode()
    assert not PendingImport.objects.exists()


def test_import_with_one_bad_row_creates_nothing_and_names_its_line(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)
    text = "title,author\nFirst,taro\nSecond,nobody\nThird,hanako\n"

    response = preview(client, text)

    result = response.context["result"]
    assert [(row.line, row.errors) for row in result.errors] == [
        (3, ["Author: No user with that username exists."])
    ]
    assert response.context["pending"] is None
    assert "import-confirm" not in response.content.decode()
    assert "Line 3" in response.content.decode()
    assert not Post.objects.exists()


def test_import_confirmed_after_a_row_went_bad_writes_nothing(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)
    response = preview(client, "title,author\nFirst,taro\nSecond,jiro\n")
    authors["jiro"].delete()

    confirmed = confirm(client, response)

    assert "Nothing was imported" in confirmed.content.decode()
    assert not Post.objects.exists()


def test_import_refused_by_its_job_offers_the_failed_rows_with_reasons(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)
    response = preview(client, "title,author,status\nFirst,taro,draft\n=SUM(1),jiro,draft\n")
    authors["jiro"].delete()

    page = confirm(client, response)

    job_url = page.wsgi_request.path
    file_url = reverse("jobs:file", kwargs={"pk": resolve(job_url).kwargs["pk"]})
    assert file_url in page.content.decode()
    download = client.get(file_url)
    text = b"".join(download.streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [
        ["line", "title", "author", "status", "reason"],
        ["3", "'=SUM(1)", "jiro", "draft", "Author: No user with that username exists."],
    ]
    assert not Post.objects.exists()


def test_import_job_whose_owner_lost_the_permission_writes_nothing(staff_client_with, authors):
    from django.contrib.auth.models import Permission

    client = staff_client_with(*IMPORTER)
    response = preview(client, "title,author\nFirst,taro\n")
    queued = client.post(IMPORT_CONFIRM, {"pending": response.context["pending"].pk})
    client.user.user_permissions.remove(Permission.objects.get(codename="add_post"))

    state = job_run(job_id=resolve(queued.url).kwargs["pk"])

    assert state == "failed"
    assert "no longer has the permission" in client.get(queued.url).content.decode()
    assert not Post.objects.exists()


def test_a_new_preview_keeps_the_upload_a_queued_import_is_to_read(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)
    first = preview(client, "title,author\nFirst,taro\n")
    queued = client.post(IMPORT_CONFIRM, {"pending": first.context["pending"].pk})

    second = preview(client, "title,author\nSecond,taro\n")
    job_run(job_id=resolve(queued.url).kwargs["pk"])

    assert list(Post.objects.values_list("title", flat=True)) == ["First"]
    assert list(PendingImport.objects.all()) == [second.context["pending"]]


def test_a_confirm_sent_twice_queues_one_import(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)
    pending = preview(client, "title,author\nFirst,taro\n").context["pending"]

    first = client.post(IMPORT_CONFIRM, {"pending": pending.pk})
    second = client.post(IMPORT_CONFIRM, {"pending": pending.pk})

    assert first.url == second.url
    assert job_run(job_id=resolve(first.url).kwargs["pk"]) == "done"
    assert list(Post.objects.values_list("title", flat=True)) == ["First"]


def test_reimporting_the_same_file_does_not_duplicate(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)
    text = "title,author,content\nHello,taro,Body\n"
    confirm(client, preview(client, text))

    response = preview(client, text)

    assert response.context["result"].unchanged == 1
    confirm(client, response)
    assert Post.objects.count() == 1


def test_reimporting_an_export_changes_nothing(staff_client_with, mixed):
    client = staff_client_with(*IMPORTER)
    exported = b"".join(
        client.get(EXPORT_CSV, {"cols": ["author", "status", "content"]}).streaming_content
    )

    response = preview_import(client, IMPORT, SimpleUploadedFile("posts.csv", exported))

    result = response.context["result"]
    assert (result.unchanged, result.created, result.updated, result.errors) == (7, 0, 0, [])


def test_import_matches_by_id_and_changes_the_post(staff_client_with, mixed):
    client = staff_client_with(*IMPORTER)
    post = mixed["taro-draft"]
    text = f"id,title,author,status\n{post.pk},Renamed,taro,published\n"

    confirm(client, preview(client, text))

    post.refresh_from_db()
    assert (post.title, post.status, post.version) == ("Renamed", "published", 2)
    assert Post.objects.count() == 7


def test_a_row_repeating_an_earlier_post_is_an_error(staff_client_with, mixed):
    client = staff_client_with(*IMPORTER)
    post = mixed["taro-draft"]
    text = f"id,title,author\n,Same,taro\n,Same,taro\n{post.pk},A,taro\n0{post.pk},B,taro\n"

    response = preview(client, text)

    result = response.context["result"]
    assert [(row.line, row.errors) for row in result.errors] == [
        (3, ["This row repeats line 2 (the same title and author)."]),
        (5, ["This row repeats line 4 (the same id)."]),
    ]
    assert (result.created, result.updated) == (1, 1)
    assert not Post.objects.filter(title="Same").exists()


def test_import_of_a_shift_jis_file(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)
    data = "title,author\n夏合宿,hanako\n".encode("cp932")

    response = preview_import(client, IMPORT, SimpleUploadedFile("posts.csv", data))

    assert response.context["result"].created == 1
    assert response.context["pending"].encoding == "Shift_JIS"
    assert "read as Shift_JIS" in response.content.decode()


def test_import_of_a_utf8_file_with_a_bom_says_utf8(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)
    data = "\ufefftitle,author\n夏合宿,hanako\n".encode()

    response = preview_import(client, IMPORT, SimpleUploadedFile("posts.csv", data))

    assert response.context["result"].created == 1
    assert response.context["pending"].encoding == "UTF-8"


@pytest.mark.parametrize(
    "title", ["Pérez", "Café crème", "Ångström", "Müller", "Garçon à la mode"]
)
def test_import_of_a_latin1_file_is_refused_not_read_as_mojibake(
    staff_client_with, authors, title
):
    client = staff_client_with(*IMPORTER)
    data = f"title,author\n{title},hanako\n".encode("latin-1")

    response = preview_import(client, IMPORT, SimpleUploadedFile("posts.csv", data))

    assert response.context["result"] is None
    assert "not a CSV in UTF-8 or Shift_JIS" in response.context["form"].errors["file"][0]
    assert not Post.objects.filter(author__username="hanako").exists()


def test_import_over_the_size_limit_is_refused_from_its_content_length(staff_client_with, authors):
    client = staff_client_with(*IMPORTER)
    body = b"--x\r\n"

    # The body is a few bytes: reading past them fails the test, so the refusal
    # comes from the announced length alone.
    response = client.generic(
        "POST",
        IMPORT,
        body,
        content_type="multipart/form-data; boundary=x",
        CONTENT_LENGTH=str(300 * 1024 * 1024),
    )

    assert response.status_code == HTTPStatus.REQUEST_ENTITY_TOO_LARGE
    assert response.context["form"].errors["file"] == ["The file is larger than 200 MB."]


def test_import_upload_without_a_csrf_token_is_refused(admin_user, authors):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(IMPORT, {"file": upload("title,author\nHello,taro\n")})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Post.objects.filter(title="Hello").exists()


def test_import_of_a_file_without_the_required_columns(staff_client_with):
    response = preview(staff_client_with(*IMPORTER), "name,colour\nx,y\n")

    assert response.context["form"].errors["file"] == ["The file has no column title, author."]
    assert not PendingImport.objects.exists()


def test_import_of_a_binary_file_is_refused(staff_client_with):
    client = staff_client_with(*IMPORTER)

    response = preview_import(client, IMPORT, SimpleUploadedFile("x.csv", b"\x00\xff\xfe" * 10))

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["file"]


def test_import_confirm_of_someone_elses_upload_writes_nothing(staff_client_with, authors):
    uploader = staff_client_with(*IMPORTER)
    response = preview(uploader, "title,author\nHello,taro\n")

    other = staff_client_with(*IMPORTER).post(
        IMPORT_CONFIRM, {"pending": response.context["pending"].pk}
    )

    assert other.status_code == HTTPStatus.FOUND
    assert not Post.objects.exists()


@pytest.mark.parametrize("perms", [(VIEW,), (VIEW, ADD), (VIEW, CHANGE)])
def test_import_needs_add_and_change_permission(staff_client_with, authors, perms):
    response = staff_client_with(*perms).post(IMPORT, {"file": upload("title,author\nX,taro\n")})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not PendingImport.objects.exists()


def test_import_of_a_cell_longer_than_csvs_default_limit(staff_client_with, authors):
    text = "title,author,content\nFine,taro,short\nLong,taro," + "x" * 200_000 + "\n"

    response = preview(staff_client_with(*IMPORTER), text)

    assert response.context["result"].created == 2


def test_import_of_a_file_with_a_column_twice_is_refused(staff_client_with, authors):
    response = preview(staff_client_with(*IMPORTER), "title,author,title\nA,taro,B\n")

    assert response.context["form"].errors["file"] == [
        "The file has the column title more than once."
    ]


def test_import_does_not_call_the_id_column_ignored(staff_client_with, mixed):
    post = mixed["taro-draft"]
    text = f"id,title,author,colour\n{post.pk},{post.title},taro,red\n"

    response = preview(staff_client_with(*IMPORTER), text)

    assert response.context["result"].ignored_columns == ["colour"]


@pytest.mark.parametrize("title", ["=SUM(2)", "'=SUM(2)", "''x", "'plain", "-5"])
def test_exported_title_imports_back_unchanged(staff_client_with, authors, title):
    post = PostFactory(title=title, author=authors["taro"])
    client = staff_client_with(*IMPORTER)
    exported = csv_rows(client.get(EXPORT_CSV))

    text = "\n".join(",".join(f'"{cell}"' for cell in row) for row in exported)
    response = preview(client, text.lstrip("\ufeff"))

    result = response.context["result"]
    assert (result.unchanged, result.updated, result.created) == (1, 0, 0), post.title


def test_bulk_action_over_the_in_request_limit_becomes_a_job(
    staff_client_with, mixed, monkeypatch
):
    from camp.jobs.models import Job
    from camp.lists import listviews

    monkeypatch.setattr(listviews, "IN_REQUEST_LIMIT", 2)
    client = staff_client_with(VIEW, CHANGE)

    response = client.post(
        BULK, {"action": "publish", "scope": "all", "query": "", "expected": 5, "confirm": 1}
    )

    job = Job.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"] == job.get_absolute_url()
    assert (job.kind, job.owner, job.total, job.state) == ("posts.bulk", client.user, 5, "queued")
    assert job.params == {"action": "publish", "scope": "all", "query": "", "ids": []}
    assert Post.objects.filter(status="published").count() == 2
