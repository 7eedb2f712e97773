"""On PostgreSQL, search and every sort and filter of both lists are served by their indexes.

The querysets explained are the lists' own (the selectors the list views call,
with each sort and filter the filter sets declare), cut to a page. The planner
only reaches for an index when the table is big enough, so the module seeds
20,000 users and posts once, committed, analyses them, and truncates them
afterwards.
"""

import re

import pytest
from django.db import connection
from django.http import QueryDict

from camp.dashboard.seeding import seed_demo
from posts.filters import PostFilterSet
from posts.models import Post
from posts.selectors import post_list
from users.filters import UserFilterSet
from users.models import User
from users.selectors import user_list, user_posts

pytestmark = pytest.mark.django_db


@pytest.fixture(scope="module")
def seeded(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        seed_demo(users=20_000, posts=20_000, seed=21)
        author = User.objects.first()
        for title in ("Zanzibar coffee notes", "シマエナガの観察日記", "北海道のシマエナガ"):
            Post.objects.create(title=title, content="", author=author)
        _prepare_planner()
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE users_user, posts_post, posts_postsearch, users_historicaluser, "
            "posts_historicalpost "
            "RESTART IDENTITY CASCADE"
        )


def _prepare_planner() -> None:
    with connection.cursor() as cursor:
        # Move GIN's pending entries into the index proper, as autovacuum would.
        cursor.execute(
            "SELECT gin_clean_pending_list(indexrelid::regclass) FROM pg_index "
            "WHERE indexrelid::regclass::text LIKE '%%_trgm'"
        )
        cursor.execute("ANALYZE users_user")
        cursor.execute("ANALYZE posts_post")
        cursor.execute("ANALYZE posts_postsearch")


def plan(queryset) -> str:
    return queryset.explain()


@pytest.mark.parametrize("query", ["zanzibar", "シマエナガ"])
def test_post_search_uses_the_trigram_indexes(seeded, query):
    text = plan(post_list(params={"q": query}).qs[:25])

    assert "posts_postsearch_title_trgm" in text, text
    assert "posts_postsearch_content_trgm" in text, text


def test_user_search_uses_the_trigram_indexes(seeded):
    text = plan(User.objects.search("demo_15_0000123"))

    assert "users_user_username_trgm" in text, text
    assert "users_user_email_trgm" in text, text


PAGE = 25

#: The index that serves each sort of each list, by the `?sort=` value (either direction).
SORT_INDEXES = {
    "users": {
        "username": "users_user_username_key",
        "email": "users_user_email_idx",
        "name": "users_user_name_idx",
        "joined": "users_user_joined_idx",
        # The count the database keeps on each user (users/migrations/0006).
        "posts": "users_user_post_count_idx",
    },
    "posts": {
        "title": "posts_post_title_idx",
        # Through the join: authors in username order, each one's posts from the author index.
        "author": "users_user_username_key",
        "created": "posts_post_created_idx",
        "updated": "posts_post_updated_idx",
    },
}

#: Sorts that sort the matching rows instead (the README says so): few distinct values.
SORTED_IN_MEMORY = {"users": {"active", "staff"}, "posts": {"status"}}

#: The index each filter reads, by the query string that sets it (the author's
#: username is filled in from the seeded rows).
FILTER_INDEXES = {
    "users": {
        "is_active=true": "users_user_joined_idx",
        "is_active=false": "users_user_joined_idx",
        "is_staff=true": "users_user_joined_idx",
        "is_staff=false": "users_user_joined_idx",
        "joined_after=2025-01-01": "users_user_joined_idx",
        "joined_before=2025-01-01": "users_user_joined_idx",
        "joined_after=2024-01-01&joined_before=2024-12-31": "users_user_joined_idx",
    },
    "posts": {
        "status=draft": "posts_post_status_created_idx",
        "status=draft&status=archived": "posts_post_created_idx",
        "author={author}": "posts_post_author_created_idx",
        "created_after=2025-01-01": "posts_post_created_idx",
        "created_before=2025-01-01": "posts_post_created_idx",
        "created_after=2024-01-01&created_before=2024-12-31": "posts_post_created_idx",
    },
}

LISTS = {"users": (user_list, UserFilterSet), "posts": (post_list, PostFilterSet)}
TABLES = {"users": "users_user", "posts": "posts_post"}


def sort_params(name: str) -> set[str]:
    return set(LISTS[name][1].base_filters["sort"].param_map)


def filter_params(name: str) -> set[str]:
    return set(LISTS[name][1].base_filters) - {"sort", "q"}


def page_plan(name: str, query: str) -> str:
    """The plan of the first page of list `name` with the query string `query`."""
    selector, _filterset = LISTS[name]
    return plan(selector(params=QueryDict(query)).qs[:PAGE])


def full_sort(text: str) -> bool:
    """Whether the plan sorts rows it did not read in order (a Sort node, not Incremental)."""
    return re.search(r"(^|->)\s*Sort\s+\(", text, re.MULTILINE) is not None


def test_every_sort_and_filter_has_an_expectation():
    for name in LISTS:
        assert sort_params(name) == set(SORT_INDEXES[name]) | SORTED_IN_MEMORY[name], name
        named = {
            param.split("=")[0].removesuffix("_after").removesuffix("_before")
            for query in FILTER_INDEXES[name]
            for param in query.split("&")
        }
        assert filter_params(name) == named, name


@pytest.mark.parametrize(
    ("name", "sort", "index"),
    [
        pytest.param(name, f"{direction}{sort}", index, id=f"{name}-{direction}{sort}")
        for name, sorts in SORT_INDEXES.items()
        for sort, index in sorts.items()
        for direction in ("", "-")
    ],
)
def test_sorted_list_walks_its_index(seeded, name, sort, index):
    text = page_plan(name, f"sort={sort}")

    assert index in text, text
    assert not full_sort(text), text
    assert f"Seq Scan on {TABLES[name]}" not in text, text


@pytest.mark.parametrize(
    ("name", "sort"),
    [
        pytest.param(name, f"{direction}{sort}", id=f"{name}-{direction}{sort}")
        for name, sorts in SORTED_IN_MEMORY.items()
        for sort in sorts
        for direction in ("", "-")
    ],
)
def test_sorts_the_readme_lists_as_unindexed_sort_the_rows(seeded, name, sort):
    # If one of these gains an index, move it to SORT_INDEXES and update the README.
    # PostgreSQL 18 may read posts by status from the (status, created) index and
    # sort within each status (an Incremental Sort): the rows are still sorted.
    text = page_plan(name, f"sort={sort}")
    assert full_sort(text) or "Incremental Sort" in text, text


@pytest.mark.parametrize(
    ("name", "query", "index"),
    [
        pytest.param(name, query, index, id=f"{name}-{query}")
        for name, queries in FILTER_INDEXES.items()
        for query, index in queries.items()
    ],
)
def test_filtered_list_reads_its_index(seeded, name, query, index):
    author = User.objects.filter(posts__isnull=False).values_list("username", flat=True).first()

    text = page_plan(name, query.format(author=author.upper()))

    assert index in text, text
    assert f"Seq Scan on {TABLES[name]}" not in text, text
    if "author=" not in query:
        # One author's posts are few and read by author; any other filter pages in index order.
        assert not full_sort(text), text


@pytest.mark.parametrize("name", LISTS)
def test_default_list_walks_its_newest_first_index(seeded, name):
    text = page_plan(name, "")

    assert {"users": "users_user_joined_idx", "posts": "posts_post_created_idx"}[name] in text
    assert not full_sort(text), text


def test_a_users_posts_on_their_page_come_from_the_author_index(seeded):
    author_id = Post.objects.values_list("author_id", flat=True).first()

    text = plan(user_posts(user_id=author_id)[:10])

    assert "posts_post_author_created_idx" in text, text
    assert "Seq Scan" not in text, text


def test_the_author_filter_finds_the_authors_by_the_upper_username_index(seeded):
    username = User.objects.values_list("username", flat=True).first()

    text = plan(User.objects.filter(username__iexact=username.upper()))

    assert "users_user_username_ci_idx" in text, text


def test_search_for_a_common_word_walks_the_created_index(seeded):
    # "coffee" is in about a fifth of the demo posts: the newest 25 matches
    # are near the top of the date index, so no match set is collected and sorted.
    text = plan(post_list(params={"q": "coffee"}).qs[:25])

    assert "posts_post_created_idx" in text, text
    assert "Bitmap" not in text, text


def test_typed_deep_page_skips_rows_in_the_created_index_only(seeded):
    from django.test.utils import CaptureQueriesContext

    from camp.lists.paginator import SeekPaginator

    paginator = SeekPaginator(post_list(params={}).qs, 25, key=("created_at", "id"))
    with CaptureQueriesContext(connection) as queries:
        rows = list(paginator.page(400).object_list)
    (sql,) = [q["sql"] for q in queries if q["sql"].startswith("SELECT") and "OFFSET" in q["sql"]]
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN {sql}")
        text = "\n".join(row[0] for row in cursor.fetchall())

    assert "Index Only Scan using posts_post_created_idx" in text, text
    assert len(rows) == 25


def test_phrase_of_short_words_uses_the_phrase_index(seeded):
    # Two-character words give the word trigram indexes nothing to look up;
    # the phrase index has the trigrams across the space. (With a million
    # posts the planner also takes it for "river coffee"; at this size it
    # may prefer the word indexes, whose estimates do not grow with the table.)
    text = plan(post_list(params={"q": "京都 温泉"}).qs[:25])

    assert "posts_postsearch_phrase_trgm" in text, text


def test_rare_word_reads_its_matches_once_and_joins_only_the_page(seeded):
    # "zanzibar" is in one post: the planner expects few rows, so the count
    # reads the matches' keys (trigram indexes of the posts' text, each
    # match's date from the index of ids, no author join), and the page comes
    # by primary key, without reading the matches again.
    from django.test.utils import CaptureQueriesContext

    from camp.lists.paginator import SeekPaginator

    paginator = SeekPaginator(post_list(params={"q": "zanzibar"}).qs, 25, key=("created_at", "id"))
    with CaptureQueriesContext(connection) as queries:
        rows = list(paginator.page(1).object_list)
    explain, keys, page = (q["sql"] for q in queries)
    plans = []
    for sql in (keys, page):
        with connection.cursor() as cursor:
            cursor.execute(f"EXPLAIN {sql}")
            plans.append("\n".join(row[0] for row in cursor.fetchall()))

    assert explain.startswith("EXPLAIN")
    assert "posts_postsearch_title_trgm" in plans[0], plans[0]
    assert "Index Only Scan using posts_post_id_created_idx" in plans[0], plans[0]
    assert "users_user" not in plans[0], plans[0]
    assert re.search(r"Scan using posts_post_(pkey|id_created_idx)", plans[1]), plans[1]
    assert "_trgm" not in plans[1], plans[1]
    assert [post.title for post in rows] == ["Zanzibar coffee notes"]
    assert paginator.count == 1
