from http import HTTPStatus

import pytest
from django.contrib import admin
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from camp.lists.paginator import EstimatedCountPaginator
from posts.models import Post
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


class SmallCapPaginator(EstimatedCountPaginator):
    cap = 5


def _analyze():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE posts_post")


def test_small_unfiltered_list_is_counted_exactly():
    PostFactory.create_batch(3)

    paginator = EstimatedCountPaginator(Post.objects.all(), 2)

    assert paginator.count == 3
    assert not paginator.is_estimate and not paginator.is_capped


def test_big_unfiltered_list_uses_the_planner_estimate():
    PostFactory.create_batch(8)
    _analyze()

    paginator = SmallCapPaginator(Post.objects.all(), 2)

    assert paginator.is_estimate is False
    assert paginator.count == 8
    assert paginator.is_estimate


def test_filtered_list_is_capped():
    PostFactory.create_batch(8, status=Post.Status.DRAFT)

    paginator = SmallCapPaginator(Post.objects.filter(status="draft"), 2)

    assert paginator.count == 5
    assert paginator.is_capped


def test_filtered_list_expected_to_be_big_uses_the_planner_estimate(
    django_assert_num_queries,
):
    PostFactory.create_batch(12, status=Post.Status.DRAFT)
    PostFactory.create_batch(3, status=Post.Status.PUBLISHED)
    _analyze()
    paginator = SmallCapPaginator(Post.objects.filter(status="draft"), 2)

    with django_assert_num_queries(1):  # EXPLAIN, no COUNT
        count = paginator.count

    assert count == 12
    assert paginator.is_estimate and not paginator.is_capped


def test_a_short_page_replaces_the_estimate_by_the_exact_count():
    PostFactory.create_batch(12, status=Post.Status.DRAFT)
    _analyze()
    Post.objects.filter(pk__in=Post.objects.values("pk")[:5]).delete()
    paginator = SmallCapPaginator(Post.objects.filter(status="draft"), 5)
    assert paginator.count == 12 and paginator.is_estimate

    page = paginator.page(2)

    assert len(page.object_list) == 2
    assert paginator.count == 7
    assert not paginator.is_estimate
    assert not page.has_next()


def test_an_empty_first_page_means_no_rows_whatever_the_estimate():
    PostFactory.create_batch(12, status=Post.Status.DRAFT)
    _analyze()
    Post.objects.all().delete()
    paginator = SmallCapPaginator(Post.objects.filter(status="draft"), 5)

    page = paginator.page(1)

    assert list(page.object_list) == []
    assert paginator.count == 0
    assert not paginator.is_estimate


def test_pages_past_a_capped_count_still_open():
    PostFactory.create_batch(8, status=Post.Status.DRAFT)
    paginator = SmallCapPaginator(Post.objects.filter(status="draft"), 2)

    page = paginator.page(4)

    assert len(page.object_list) == 2


def _walk(paginator_factory, pages: int):
    """Follow the Next links like a person would, collecting every row seen."""
    seen, after = [], None
    for number in range(1, pages + 1):
        page = paginator_factory(after).page(number)
        seen.extend(post.pk for post in page.object_list)
        if not page.has_next():
            break
        after = page.next_cursor
    return seen


def test_seek_pages_have_no_duplicates_or_gaps_even_with_equal_timestamps():
    from django.utils import timezone

    from camp.lists.paginator import SeekPaginator

    moment = timezone.now()
    PostFactory.create_batch(7, created_at=moment)
    PostFactory.create_batch(6)

    def factory(after):
        return SeekPaginator(Post.objects.all(), 3, key=("created_at", "id"), after=after)

    assert _walk(factory, 10) == list(Post.objects.values_list("pk", flat=True))


def test_seek_backwards_returns_the_previous_page():
    from camp.lists.paginator import SeekPaginator

    PostFactory.create_batch(9)
    first = SeekPaginator(Post.objects.all(), 3, key=("created_at", "id")).page(1)
    second = SeekPaginator(
        Post.objects.all(), 3, key=("created_at", "id"), after=first.next_cursor
    ).page(2)

    back = SeekPaginator(
        Post.objects.all(), 3, key=("created_at", "id"), before=second.previous_cursor
    ).page(1)

    assert [p.pk for p in back.object_list] == [p.pk for p in first.object_list]


def test_seek_page_issues_no_offset(django_assert_num_queries):
    from camp.lists.paginator import SeekPaginator

    PostFactory.create_batch(6)
    first = SeekPaginator(Post.objects.all(), 3, key=("created_at", "id")).page(1)

    with CaptureQueriesContext(connection) as queries:
        SeekPaginator(
            Post.objects.all(), 3, key=("created_at", "id"), after=first.next_cursor
        ).page(2)

    assert not any("OFFSET" in q["sql"] for q in queries)


def test_a_bad_cursor_falls_back_to_offset_paging():
    from camp.lists.paginator import SeekPaginator

    PostFactory.create_batch(6)

    page = SeekPaginator(Post.objects.all(), 3, key=("created_at", "id"), after="garbage").page(2)

    assert len(page.object_list) == 3


def test_other_orderings_do_not_seek():
    from camp.lists.paginator import SeekPaginator

    PostFactory.create_batch(6)
    first = SeekPaginator(Post.objects.order_by("title"), 3, key=("created_at", "id")).page(1)

    assert first.next_cursor == ""


def test_a_filter_no_row_can_match_counts_zero(django_assert_num_queries):
    paginator = SmallCapPaginator(Post.objects.filter(pk__in=[]), 2)

    with django_assert_num_queries(0):
        assert paginator.count == 0


# Page numbers past what the database takes -------------------------------------

#: A page whose OFFSET (page times 25) is past PostgreSQL's bigint.
HUGE_PAGE = "400000000000000000"


@pytest.fixture
def past_the_cap(monkeypatch):
    """Lists longer than the cap, so the paginator lets the rows decide past its count."""
    monkeypatch.setattr(EstimatedCountPaginator, "cap", 3)
    PostFactory.create_batch(5)  # five authors with them


@pytest.mark.parametrize(
    ("address", "perms"),
    [("posts:list", ("posts.view_post",)), ("users:list", ("users.view_user",))],
)
def test_list_page_past_the_database_offset_is_404(
    staff_client_with, past_the_cap, address, perms
):
    client = staff_client_with(*perms)

    response = client.get(reverse(address), {"page": HUGE_PAGE})
    beyond = client.get(reverse(address), {"page": "5"})

    assert response.status_code == HTTPStatus.NOT_FOUND
    # A page past the capped count but within reach still lets the rows decide.
    assert beyond.status_code == HTTPStatus.OK
    assert not beyond.context["page_obj"].object_list


@pytest.mark.parametrize("model", ["posts_post", "users_user"])
def test_admin_changelist_page_past_the_database_offset_is_a_bad_lookup(
    admin_client, past_the_cap, monkeypatch, model
):
    address = reverse(f"admin:{model}_changelist")
    model_admin = next(a for m, a in admin.site._registry.items() if m._meta.db_table == model)
    # Several pages, as on a big table; at 2 rows a page, an OFFSET past a bigint.
    monkeypatch.setattr(model_admin, "list_per_page", 2)

    response = admin_client.get(address, {"p": str(2**62 + 1)})

    # The admin's answer to any bad parameter: back to the list, flagged.
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{address}?e=1"


def test_a_deep_offset_page_starts_at_the_key_of_its_first_row(monkeypatch):
    from django.utils import timezone

    from camp.lists.paginator import SeekPaginator

    monkeypatch.setattr(SeekPaginator, "deep_offset", 3)
    moment = timezone.now()
    PostFactory.create_batch(4, created_at=moment)
    PostFactory.create_batch(6)
    every = list(Post.objects.values_list("pk", flat=True))

    def page(number):
        with CaptureQueriesContext(connection) as queries:
            found = SeekPaginator(Post.objects.all(), 3, key=("created_at", "id")).page(number)
        return [p.pk for p in found.object_list], queries

    pages = [page(number) for number in (1, 2, 3, 4)]

    assert [pk for rows, _ in pages for pk in rows] == every
    # Pages 2 to 4 start past `deep_offset`: the rows come by key, one query.
    (_, deep_queries) = pages[1]
    page_sql = [q["sql"] for q in deep_queries if "SELECT" in q["sql"]][-1]
    assert page_sql.count("OFFSET") == 1, page_sql
    assert ") <= (SELECT" in page_sql, page_sql


def test_a_deep_offset_page_keeps_the_query_count(django_assert_num_queries, monkeypatch):
    from camp.lists.paginator import SeekPaginator

    PostFactory.create_batch(6)
    shallow = SeekPaginator(Post.objects.all(), 2, key=("created_at", "id"))
    with CaptureQueriesContext(connection) as before:
        list(shallow.page(2).object_list)

    monkeypatch.setattr(SeekPaginator, "deep_offset", 1)
    with django_assert_num_queries(len(before)):
        deep = SeekPaginator(Post.objects.all(), 2, key=("created_at", "id")).page(2)
        list(deep.object_list)


# One pass over few matches ------------------------------------------------------


def _pages(paginator_factory) -> list[list[int]]:
    pages, number = [], 1
    while True:
        paginator = paginator_factory()
        page = paginator.page(number)
        pages.append([post.pk for post in page.object_list])
        if not page.has_next():
            return pages
        number += 1


@pytest.mark.parametrize("ordering", [("-created_at", "-id"), ("title", "id"), ("-title", "-id")])
def test_a_list_expected_to_be_small_pages_by_the_keys_its_count_read(ordering):
    from django.utils import timezone

    moment = timezone.now()
    PostFactory.create_batch(4, status=Post.Status.DRAFT, created_at=moment, title="same")
    PostFactory.create_batch(5, status=Post.Status.DRAFT)
    PostFactory.create_batch(3, status=Post.Status.PUBLISHED)
    drafts = Post.objects.filter(status="draft").order_by(*ordering)
    expected = list(drafts.values_list("pk", flat=True))

    paginator = EstimatedCountPaginator(drafts, 2)

    assert paginator.count == 9
    assert paginator.keys == expected
    pages = _pages(lambda: EstimatedCountPaginator(drafts, 2))
    assert [pk for page in pages for pk in page] == expected
    assert [len(page) for page in pages] == [2, 2, 2, 2, 1]


def test_counting_the_keys_costs_no_query_more():
    PostFactory.create_batch(7, status=Post.Status.DRAFT)
    paginator = EstimatedCountPaginator(Post.objects.filter(status="draft"), 3)

    with CaptureQueriesContext(connection) as queries:
        page = paginator.page(2)
        rows = [post.pk for post in page.object_list]

    # The planner's estimate, the keys, the page by key.
    assert len(queries) == 3, [q["sql"] for q in queries]
    assert "ORDER BY" in queries[1]["sql"] and "COUNT(" not in queries[1]["sql"]
    assert '"id" IN (' in queries[2]["sql"], queries[2]["sql"]
    assert "LIMIT" not in queries[2]["sql"] and "OFFSET" not in queries[2]["sql"]
    assert rows == list(Post.objects.values_list("pk", flat=True)[3:6])
    assert paginator.count == 7 and not paginator.is_capped


def test_a_capped_list_pages_by_key_within_the_keys_and_by_offset_past_them(monkeypatch):
    # Whatever statistics earlier tests left: the planner expects few rows.
    monkeypatch.setattr(SmallCapPaginator, "_planner_estimate", staticmethod(lambda queryset: 1))
    PostFactory.create_batch(9, status=Post.Status.DRAFT)
    drafts = Post.objects.filter(status="draft")
    every = list(drafts.values_list("pk", flat=True))

    def page(number):
        paginator = SmallCapPaginator(drafts, 2)
        with CaptureQueriesContext(connection) as queries:
            rows = [post.pk for post in paginator.page(number).object_list]
        return rows, queries[-1]["sql"], paginator

    first, first_sql, paginator = page(1)
    third, third_sql, _ = page(3)
    fourth, fourth_sql, _ = page(4)

    assert paginator.count == 5 and paginator.is_capped
    assert len(paginator.keys) == 6
    assert first == every[:2] and '"id" IN (' in first_sql
    assert third == every[4:6] and '"id" IN (' in third_sql
    assert fourth == every[6:8] and "OFFSET 6" in fourth_sql


def test_a_row_changed_after_its_key_was_read_drops_out_of_the_page():
    PostFactory.create_batch(3, status=Post.Status.DRAFT)
    paginator = EstimatedCountPaginator(Post.objects.filter(status="draft"), 5)
    assert paginator.count == 3
    Post.objects.filter(pk=paginator.keys[0]).update(status=Post.Status.PUBLISHED)

    page = paginator.page(1)

    assert [post.pk for post in page.object_list] == paginator.keys[1:]


def test_an_unfiltered_list_is_still_counted():
    PostFactory.create_batch(3)
    _analyze()

    paginator = EstimatedCountPaginator(Post.objects.all(), 2)

    assert paginator.count == 3
    assert paginator.keys is None
