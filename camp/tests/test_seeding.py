from io import StringIO

import pytest
from django.contrib.auth import authenticate
from django.core.management import CommandError, call_command
from django.db import connection
from django.http import HttpRequest

from camp.dashboard import seeding
from camp.dashboard.seeding import DEMO_PREFIX, seed_demo
from camp.models import PendingIndex
from posts.models import Post, PostSearch
from users.models import User

pytestmark = pytest.mark.django_db


def _snapshot() -> tuple[list, list]:
    users = list(
        User.objects.filter(username__startswith=DEMO_PREFIX)
        .order_by("username")
        .values_list("username", "email", "name", "is_active", "is_staff", "date_joined")
    )
    posts = list(
        Post.objects.order_by("id").values_list(
            "title", "content", "author__username", "status", "created_at"
        )
    )
    return users, posts


def test_seed_demo_creates_the_requested_counts():
    out = StringIO()

    call_command("seed_demo", users=20, posts=150, seed=3, stdout=out)

    assert User.objects.filter(username__startswith=DEMO_PREFIX).count() == 20
    assert Post.objects.count() == 150
    assert "Created 20 users and 150 posts" in out.getvalue()


def test_seed_demo_is_deterministic_for_a_seed():
    seed_demo(users=15, posts=60, seed=7)
    first = _snapshot()

    seed_demo(users=15, posts=60, seed=7, reset=True)

    assert _snapshot() == first


def test_different_seeds_give_different_data():
    seed_demo(users=10, posts=30, seed=1)
    _, posts_one = _snapshot()

    seed_demo(users=10, posts=30, seed=2, reset=True)

    assert _snapshot()[1] != posts_one


def test_demo_data_mixes_languages_statuses_and_skewed_authors():
    seed_demo(users=50, posts=600, seed=5)

    titles = list(Post.objects.values_list("title", flat=True))
    assert any(t.isascii() for t in titles)
    assert any(not t.isascii() for t in titles)
    assert set(Post.objects.values_list("status", flat=True)) == set(Post.Status.values)
    per_author = sorted(
        (u.posts.count() for u in User.objects.filter(username__startswith=DEMO_PREFIX)),
        reverse=True,
    )
    assert per_author[0] > 5 * max(per_author[len(per_author) // 2], 1)


def test_demo_users_cannot_log_in():
    seed_demo(users=5, posts=0, seed=9)

    for user in User.objects.filter(username__startswith=DEMO_PREFIX):
        assert not user.has_usable_password()
        assert authenticate(HttpRequest(), username=user.username, password="") is None


def test_seeded_rows_have_their_created_history():
    seed_demo(users=5, posts=12, seed=4)

    assert Post.history.filter(history_type="+").count() == 12
    assert User.history.filter(history_type="+", username__startswith=DEMO_PREFIX).count() == 5


def test_seeding_the_same_seed_twice_asks_for_reset():
    seed_demo(users=3, posts=3, seed=11)

    with pytest.raises(CommandError, match="--reset"):
        call_command("seed_demo", users=3, posts=3, seed=11, stdout=StringIO())


def test_reset_keeps_real_users_and_their_posts(user, post):
    seed_demo(users=5, posts=20, seed=12)

    seed_demo(users=5, posts=20, seed=12, reset=True)

    assert User.objects.filter(pk=user.pk).exists()
    assert Post.objects.filter(pk=post.pk).exists()


BULK_TABLES = list(seeding.BULK_TABLES)


def _indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes "
            "WHERE schemaname = current_schema() AND tablename = ANY(%s)",
            [BULK_TABLES],
        )
        return dict(cursor.fetchall())


@pytest.fixture
def big_load_from_ten_rows(monkeypatch):
    """Take the big-load path (indexes dropped and built again) for a few rows."""
    monkeypatch.setattr(seeding, "REBUILD_INDEXES_FROM", 10)


def test_a_big_load_in_a_transaction_builds_again_every_index_it_dropped(
    big_load_from_ten_rows,
):
    before = _indexes()

    seed_demo(users=5, posts=20, seed=14)

    assert _indexes() == before
    assert not PendingIndex.objects.exists()
    assert Post.history.filter(history_type="+").count() == 20


@pytest.mark.django_db(transaction=True)
def test_a_big_load_outside_a_transaction_builds_the_indexes_after_committing(
    big_load_from_ten_rows,
):
    before = _indexes()

    seed_demo(users=5, posts=20, seed=15)

    assert _indexes() == before
    assert not PendingIndex.objects.exists()
    assert Post.objects.count() == 20
    assert Post.objects.search(Post.objects.first().title).exists()
    assert sorted(PostSearch.objects.values_list("post_id", "title", "content")) == sorted(
        Post.objects.values_list("id", "title", "content")
    )
    assert Post.history.filter(history_type="+").count() == 20
    assert User.history.filter(history_type="+", username__startswith=DEMO_PREFIX).count() == 5


def test_indexes_an_interrupted_load_left_dropped_are_built_first():
    before = _indexes()
    PendingIndex.objects.create(
        name="posts_postsearch_title_trgm", definition=before["posts_postsearch_title_trgm"]
    )
    with connection.cursor() as cursor:
        cursor.execute("DROP INDEX posts_postsearch_title_trgm")

    seed_demo(users=2, posts=2, seed=16)

    assert _indexes() == before
    assert not PendingIndex.objects.exists()
