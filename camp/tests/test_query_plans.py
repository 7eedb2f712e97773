"""On PostgreSQL, search and the main list orderings are served by their indexes.

The planner only reaches for an index when the table is big enough, so the
module seeds 20,000 users and posts once, committed, and truncates them afterwards.
"""

import pytest
from django.db import connection
from django.http import QueryDict

from camp.dashboard.seeding import seed_demo
from posts.models import Post
from posts.selectors import post_list
from users.models import User
from users.selectors import user_list

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
            "TRUNCATE users_user, posts_post, users_historicaluser, posts_historicalpost "
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


def plan(queryset) -> str:
    return queryset.explain()


@pytest.mark.parametrize("query", ["zanzibar", "シマエナガ"])
def test_post_search_uses_the_trigram_indexes(seeded, query):
    text = plan(post_list(params={"q": query}).qs[:25])

    assert "posts_post_title_trgm" in text, text
    assert "posts_post_content_trgm" in text, text


def test_user_search_uses_the_trigram_indexes(seeded):
    text = plan(User.objects.search("demo_15_0000123"))

    assert "users_user_username_trgm" in text, text
    assert "users_user_email_trgm" in text, text


def test_default_post_list_walks_the_created_index(seeded):
    text = plan(post_list(params={}).qs[:25])

    assert "posts_post_created_idx" in text, text
    assert "Sort" not in text.split("Index Scan")[0], text


@pytest.mark.parametrize(
    ("sort", "index"),
    [("title", "posts_post_title_idx"), ("-updated", "posts_post_updated_idx")],
)
def test_sorted_post_list_walks_its_index(seeded, sort, index):
    text = plan(post_list(params={"sort": sort}).qs[:25])

    assert index in text, text


def test_status_filter_uses_the_status_index(seeded):
    text = plan(post_list(params=QueryDict("status=archived")).qs[:25])

    assert "posts_post_status_created_idx" in text, text


def test_author_listing_uses_the_author_index(seeded):
    author_id = Post.objects.values_list("author_id", flat=True).first()

    text = plan(Post.objects.filter(author_id=author_id)[:25])

    assert "posts_post_author_created_idx" in text, text


def test_author_filter_reads_the_authors_newest_posts_from_the_author_index(seeded):
    username = User.objects.values_list("username", flat=True).first()

    users = plan(User.objects.filter(username__iexact=username.upper()))
    posts = plan(post_list(params=QueryDict(f"author={username.upper()}")).qs[:25])

    assert "users_user_username_ci_idx" in users, users
    assert "posts_post_author_created_idx" in posts, posts


def test_default_user_list_walks_the_joined_index(seeded):
    text = plan(User.objects.order_by("-date_joined", "-id")[:25])

    assert "users_user_joined_idx" in text, text
    assert user_list(params={}).qs.query.order_by
