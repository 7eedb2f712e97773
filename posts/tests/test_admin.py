import csv
import io
import re
from datetime import UTC, datetime
from html import unescape
from http import HTTPStatus
from urllib.parse import urlencode

import pytest
from django.contrib.admin import site
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils.html import escape

from posts.models import Post
from users.tests.factories import StaffUserFactory, UserFactory

from .factories import PostFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:posts_post_changelist")


def test_changelist(admin_client):
    PostFactory.create_batch(3)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == HTTPStatus.OK


def test_changelist_links_the_author_to_their_admin_page(admin_client):
    post = PostFactory()

    response = admin_client.get(CHANGELIST)

    assert reverse("admin:users_user_change", args=[post.author_id]) in response.text


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"status__exact": "draft"}, ["hello there"]),
        ({"author__is_staff__exact": "1"}, ["hello there"]),
        ({"author__is_staff__exact": "0"}, ["goodbye"]),
        ({"q": "hello"}, ["hello there"]),
        ({"q": "aiko"}, ["goodbye"]),
        ({"created_at__year": "2025"}, ["hello there"]),
        ({"o": "-2"}, ["hello there", "goodbye"]),
        ({"o": "2"}, ["goodbye", "hello there"]),
    ],
)
def test_changelist_filters_search_and_ordering(admin_client, params, expected):
    PostFactory(
        title="hello there",
        status=Post.Status.DRAFT,
        author=StaffUserFactory(username="zenji"),
        created_at=datetime(2025, 6, 1, tzinfo=UTC),
    )
    PostFactory(title="goodbye", status=Post.Status.PUBLISHED, author=UserFactory(username="aiko"))

    response = admin_client.get(CHANGELIST, params)

    assert response.status_code == HTTPStatus.OK
    assert [post.title for post in response.context["cl"].result_list] == expected


def test_changelist_never_counts_the_whole_table(admin_client):
    PostFactory.create_batch(3)

    with CaptureQueriesContext(connection) as queries:
        admin_client.get(CHANGELIST)

    counts = [q["sql"] for q in queries if "COUNT(" in q["sql"].upper()]
    assert counts, "the changelist should count (capped) rows"
    for sql in counts:
        assert 'FROM "posts_post"' not in sql.split("(SELECT", 1)[0], sql
        assert "LIMIT" in sql.upper(), sql


def test_changelist_queries_do_not_grow_with_page_size(admin_client):
    PostFactory.create_batch(5)
    # A session's first request also notes it as seen (SessionLastSeenMiddleware).
    admin_client.get(CHANGELIST)
    with CaptureQueriesContext(connection) as few:
        admin_client.get(CHANGELIST)
    PostFactory.create_batch(45)

    with CaptureQueriesContext(connection) as many:
        admin_client.get(CHANGELIST)

    assert len(many) == len(few)


def test_add_page(admin_client):
    response = admin_client.get(reverse("admin:posts_post_add"))

    assert response.status_code == HTTPStatus.OK


def test_add_uses_an_author_autocomplete(admin_client):
    response = admin_client.get(reverse("admin:posts_post_add"))

    assert "admin-autocomplete" in response.text


def test_change_page(admin_client):
    post = PostFactory()

    response = admin_client.get(reverse("admin:posts_post_change", args=[post.pk]))

    assert response.status_code == HTTPStatus.OK


def test_change_page_view_on_site_goes_to_the_dashboard(admin_client):
    post = PostFactory()

    response = admin_client.get(reverse("admin:posts_post_change", args=[post.pk]))

    shortcut = response.context["original"].get_absolute_url()
    assert shortcut == reverse("posts:detail", args=[post.pk])
    assert "viewsitelink" in response.text


def test_delete_page(admin_client):
    post = PostFactory()

    response = admin_client.get(reverse("admin:posts_post_delete", args=[post.pk]))

    assert response.status_code == HTTPStatus.OK


def test_history_page(admin_client):
    post = PostFactory()

    response = admin_client.get(reverse("admin:posts_post_history", args=[post.pk]))

    assert response.status_code == HTTPStatus.OK


def _revert(client, post, version):
    address = reverse("admin:posts_post_simple_history", args=[post.pk, version.history_id])
    form = client.get(address).context["adminform"].form
    data = {f.html_name: f.value() for f in form if f.value() is not None}
    return client.post(address, data)


def test_viewer_cannot_revert_a_post_from_its_history(client):
    post = PostFactory(title="Old")
    post.title = "New"
    post.save()
    client.force_login(StaffUserFactory(permissions=("posts.view_post",)))

    response = _revert(client, post, post.history.earliest())

    assert response.status_code == HTTPStatus.FORBIDDEN
    post.refresh_from_db()
    assert post.title == "New"


def test_changer_reverts_a_post_from_its_history(client):
    post = PostFactory(title="Old")
    post.title = "New"
    post.save()
    client.force_login(StaffUserFactory(permissions=("posts.view_post", "posts.change_post")))

    response = _revert(client, post, post.history.earliest())

    assert response.status_code == HTTPStatus.FOUND
    post.refresh_from_db()
    assert post.title == "Old"


def _run_action(client, action, posts):
    return client.post(
        CHANGELIST,
        {"action": action, "_selected_action": [p.pk for p in posts]},
        follow=True,
    )


def test_publish_action_publishes_selected_posts(admin_client):
    drafts = PostFactory.create_batch(2, status=Post.Status.DRAFT)
    other = PostFactory(status=Post.Status.DRAFT)

    response = _run_action(admin_client, "publish", drafts)

    assert response.status_code == HTTPStatus.OK
    assert {p.status for p in Post.objects.filter(pk__in=[d.pk for d in drafts])} == {"published"}
    other.refresh_from_db()
    assert other.status == Post.Status.DRAFT
    assert "2 posts were set to Published." in response.text


def test_archive_action_archives_selected_posts(admin_client):
    posts = PostFactory.create_batch(2, status=Post.Status.PUBLISHED)

    _run_action(admin_client, "archive", posts)

    assert set(Post.objects.values_list("status", flat=True)) == {"archived"}


def test_actions_need_the_change_permission(client):
    viewer = StaffUserFactory()
    viewer.user_permissions.add(Permission.objects.get(codename="view_post"))
    client.force_login(viewer)
    posts = PostFactory.create_batch(2, status=Post.Status.DRAFT)

    response = _run_action(client, "publish", posts)

    assert response.status_code == HTTPStatus.OK
    assert set(Post.objects.values_list("status", flat=True)) == {"draft"}


def test_export_action_streams_the_selected_posts_as_csv(admin_client):
    author = UserFactory(username="hanako")
    chosen = PostFactory(title="日本語のタイトル", author=author)
    PostFactory(title="not exported")

    response = admin_client.post(
        CHANGELIST, {"action": "export_as_csv", "_selected_action": [chosen.pk]}
    )

    assert response.status_code == HTTPStatus.OK
    assert response.streaming
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(body.lstrip("\ufeff"))))
    assert len(rows) == 2
    assert rows[1][1] == "日本語のタイトル"


def test_date_hierarchy_lists_years_without_scanning_every_row(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    PostFactory(created_at=timezone.now() - timedelta(days=800))
    PostFactory()

    with CaptureQueriesContext(connection) as queries:
        response = admin_client.get(CHANGELIST)

    assert not any("DISTINCT DATE_TRUNC" in q["sql"].upper() for q in queries)
    for year in {timezone.now().year, (timezone.now() - timedelta(days=800)).year}:
        assert f"created_at__year={year}" in response.text


def test_date_hierarchy_reads_the_date_range_once(admin_client):
    from datetime import timedelta

    from django.utils import timezone

    PostFactory(created_at=timezone.now() - timedelta(days=800))
    PostFactory()

    with CaptureQueriesContext(connection) as queries:
        admin_client.get(CHANGELIST)

    ranges = [q["sql"] for q in queries if "MIN(" in q["sql"].upper() and "created_at" in q["sql"]]
    assert len(ranges) == 1, ranges


def test_date_hierarchy_still_drills_into_a_year(admin_client):
    from django.utils import timezone

    PostFactory()

    response = admin_client.get(CHANGELIST, {"created_at__year": timezone.now().year})

    assert response.status_code == HTTPStatus.OK
    assert f"created_at__month={timezone.now().month}" in response.text


def test_changelist_checkboxes_are_those_of_the_stock_widget(admin_client):
    from django import forms
    from django.contrib.admin import helpers
    from django.utils.html import format_html
    from django.utils.translation import gettext

    post = PostFactory(title="Tom & Jerry")
    stock = forms.CheckboxInput(
        {
            "class": "action-select",
            "aria-label": format_html(gettext("Select this object for an action - {}"), str(post)),
        },
        lambda value: False,
    ).render(helpers.ACTION_CHECKBOX_NAME, str(post.pk))

    response = admin_client.get(CHANGELIST)

    assert stock in response.text


# The rows Camp builds (camp.lists.admin_rows) ------------------------------------

ROW_LINK = re.compile(r'<th class="field-title"><a href="([^"]*)">([^<]*)</a></th>')


def _page(client, params=None, language="en"):
    """The changelist's HTML without what changes from one request to the next."""
    response = client.get(CHANGELIST, params or {}, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == HTTPStatus.OK
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.text)
    return re.sub(r'nonce="[^"]*"', "", html)


@pytest.fixture
def varied_posts():
    staff = StaffUserFactory(username="zenji & <co>")
    member = UserFactory(username="aiko")
    return [
        PostFactory(
            title='hello <there> & "friends"',
            status=Post.Status.DRAFT,
            author=staff,
            created_at=datetime(2025, 6, 1, 0, 0, tzinfo=UTC),
        ),
        PostFactory(
            title="goodbye",
            status=Post.Status.PUBLISHED,
            author=member,
            created_at=datetime(2024, 12, 31, 12, 0, tzinfo=UTC),
        ),
        PostFactory(title="日本語のタイトル", status=Post.Status.ARCHIVED, author=member),
    ]


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"o": "-2.4"},
        {"o": "3"},
        {"q": "hello"},
        {"q": "aiko", "status__exact": "published"},
        {"author__is_staff__exact": "1"},
        {"created_at__year": "2025"},
        {"created_at__year": "2025", "created_at__month": "6"},
        {"_popup": "1"},
        {"_popup": "1", "_to_field": "id"},
    ],
)
def test_changelist_page_is_the_one_django_renders(
    admin_client, varied_posts, monkeypatch, params, language
):
    camp = _page(admin_client, params, language)
    monkeypatch.setattr(site._registry[Post], "change_list_template", None)

    stock = _page(admin_client, params, language)

    assert camp == stock


def test_list_editable_changelist_keeps_djangos_rows(admin_client, varied_posts, monkeypatch):
    monkeypatch.setattr(site._registry[Post], "list_editable", ("status",))
    camp = _page(admin_client)
    monkeypatch.setattr(site._registry[Post], "change_list_template", None)

    stock = _page(admin_client)

    assert 'name="form-0-status"' in camp
    assert camp == stock


@pytest.mark.parametrize("language", ["en", "ja"])
def test_changelist_rows_link_to_their_change_pages(admin_client, varied_posts, language):
    html = _page(admin_client, {"q": "aiko", "o": "2"}, language)

    links = {unescape(title): unescape(url) for url, title in ROW_LINK.findall(html)}
    filters = "?" + urlencode({"_changelist_filters": "q=aiko&o=2"})
    assert links == {
        post.title: reverse("admin:posts_post_change", args=[post.pk]) + filters
        for post in varied_posts
        if post.author.username == "aiko"
    }
    html = _page(admin_client, language=language)
    for post in varied_posts:
        author = reverse("admin:users_user_change", args=[post.author_id])
        assert f'<a href="{author}">{escape(post.author.username)}</a>' in html


def test_changelist_rows_are_sorted_searched_and_filtered(admin_client, varied_posts):
    def titles(params):
        return [unescape(t) for _url, t in ROW_LINK.findall(_page(admin_client, params))]

    hello, goodbye, japanese = (post.title for post in varied_posts)
    assert titles({"o": "1"}) == sorted([hello, goodbye, japanese])
    assert titles({"o": "-1"}) == sorted([hello, goodbye, japanese], reverse=True)
    assert titles({"q": "hello"}) == [hello]
    assert titles({"status__exact": "archived"}) == [japanese]
    assert titles({"author__is_staff__exact": "0", "o": "1"}) == [goodbye, japanese]
    assert titles({"created_at__year": "2024"}) == [goodbye]


@pytest.mark.parametrize(
    ("language", "label", "status", "when"),
    [
        (
            "en",
            "Select this object for an action - goodbye",
            "Published",
            "Dec. 31, 2024, 12:00 PM",
        ),
        ("ja", "アクション用にこのオブジェクトを選択 - goodbye", "公開", "2024年12月31日 12:00"),
    ],
)
def test_changelist_rows_are_translated(admin_client, varied_posts, language, label, status, when):
    html = _page(admin_client, {"q": "goodbye"}, language)

    assert f'aria-label="{label}"' in html
    assert f'<td class="field-status">{status}</td>' in html
    assert f'<td class="field-created_at nowrap">{when}</td>' in html


def test_changelist_actions_act_on_the_ticked_rows(admin_client, varied_posts):
    html = _page(admin_client, {"status__exact": "draft"})
    ticked = re.findall(r'name="_selected_action" value="(\d+)" class="action-select"', html)
    assert 'id="action-toggle"' in html

    _run_action(admin_client, "archive", Post.objects.filter(pk__in=ticked))

    assert ticked == [str(varied_posts[0].pk)]
    assert Post.objects.get(pk=varied_posts[0].pk).status == Post.Status.ARCHIVED
    assert Post.objects.filter(status=Post.Status.ARCHIVED).count() == 2


def test_changelist_reads_the_rows_in_one_query(admin_client, varied_posts):
    admin_client.get(CHANGELIST)  # the session's first request notes it as seen

    with CaptureQueriesContext(connection) as queries:
        admin_client.get(CHANGELIST, HTTP_ACCEPT_LANGUAGE="ja")

    reads = [q["sql"] for q in queries if 'FROM "posts_post"' in q["sql"]]
    rows = [sql for sql in reads if '"posts_post"."title"' in sql]
    assert len(rows) == 1, rows
    assert 'INNER JOIN "users_user"' in rows[0]
    # The rows, their capped count and the date hierarchy's range; nothing per row.
    assert len(reads) == 3, reads


def _sidebar(client, url=CHANGELIST, language="en"):
    html = client.get(url, HTTP_ACCEPT_LANGUAGE=language).text
    return html.split('<nav class="sticky" id="nav-sidebar"', 1)[1].split("</nav>", 1)[0]


def test_changelist_sidebar_follows_the_members_permissions(staff_client_with):
    client = staff_client_with("posts.view_post")
    users = reverse("admin:users_user_changelist")
    assert users not in _sidebar(client)

    client.user.user_permissions.add(Permission.objects.get(codename="view_user"))

    assert users in _sidebar(client)
    assert reverse("admin:users_user_add") not in _sidebar(client)


def test_changelist_sidebar_marks_the_page_shown_in_its_language(admin_client):
    users = reverse("admin:users_user_changelist")

    on_posts = _sidebar(admin_client)
    on_users = _sidebar(admin_client, users)
    in_japanese = _sidebar(admin_client, language="ja")

    assert f'<a href="{CHANGELIST}" aria-current="page">Posts</a>' in on_posts
    assert f'<a href="{users}" aria-current="page">' in on_users
    assert f'<a href="{CHANGELIST}" aria-current="page">' not in on_users
    assert 'aria-label="サイドバー"' in in_japanese
