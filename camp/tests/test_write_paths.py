"""Every way a record is written keeps the cached summaries true and records its history.

Bulk actions skip the per-row signals, so only `invalidate_after_bulk` keeps
`user:{id}` and the dashboard counts fresh after them; imports and restores
save through the models and are checked here too. Each test warms the caches
first, so a missing invalidation shows as a stale read.
"""

import io
from http import HTTPStatus

import pytest
from django.contrib.auth.hashers import make_password
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import resolve, reverse

from camp.dashboard import invalidation
from camp.dashboard.selectors import dashboard_stats
from camp.jobs.services import job_run
from conftest import preview_import
from posts.models import Post
from posts.tests.factories import PostFactory
from users.models import User
from users.selectors import USER_SUMMARY_VERSION, user_summary, user_summary_key
from users.services import user_bulk_set_active
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _dashboard_cached(settings):
    settings.DASHBOARD_STATS_TTL = 60


def warm(*users: User) -> tuple[dict, dict]:
    """Load (and so cache) the dashboard counts and each user's summary; return them."""
    counts, _per_day = dashboard_stats()
    summaries = {user.pk: user_summary(user_id=user.pk) for user in users}
    return counts, summaries


def is_cached(user: User) -> bool:
    return cache.get(user_summary_key(user.pk), version=USER_SUMMARY_VERSION) is not None


def bulk(client, url: str, action: str, ids: list[int]):
    return client.post(
        url,
        {"action": action, "ids": ids, "scope": "selected", "expected": len(ids), "confirm": "on"},
    )


def import_csv(client, namespace: str, text: str):
    preview = preview_import(
        client,
        reverse(f"{namespace}:import"),
        SimpleUploadedFile("rows.csv", text.encode(), content_type="text/csv"),
    )
    assert preview.context["result"].ok, preview.context["result"]
    queued = client.post(
        reverse(f"{namespace}:import_confirm"), {"pending": preview.context["pending"].pk}
    )
    # The import is a job: run it here, as a worker would.
    job_run(job_id=resolve(queued.url).kwargs["pk"])
    return queued


# Post bulk actions -----------------------------------------------------------


def test_bulk_publish_refreshes_the_dashboard_and_the_authors(admin_client):
    author = UserFactory()
    posts = PostFactory.create_batch(3, author=author, status=Post.Status.DRAFT)
    counts, _ = warm(author)
    assert (counts["posts_draft"], counts["posts_published"]) == (3, 0)

    response = bulk(admin_client, reverse("posts:bulk"), "publish", [p.pk for p in posts])

    assert response.status_code == HTTPStatus.FOUND
    assert not is_cached(author)
    counts, _ = dashboard_stats()
    assert (counts["posts_draft"], counts["posts_published"]) == (0, 3)


def test_bulk_delete_refreshes_the_dashboard_and_the_authors_post_counts(admin_client):
    first, second = UserFactory(), UserFactory()
    doomed = [PostFactory(author=first), PostFactory(author=first), PostFactory(author=second)]
    PostFactory(author=second)
    counts, summaries = warm(first, second)
    assert counts["posts_total"] == 4
    assert (summaries[first.pk].post_count, summaries[second.pk].post_count) == (2, 2)

    response = bulk(admin_client, reverse("posts:bulk"), "delete", [p.pk for p in doomed])

    assert response.status_code == HTTPStatus.FOUND
    assert user_summary(user_id=first.pk).post_count == 0
    assert user_summary(user_id=second.pk).post_count == 1
    assert dashboard_stats()[0]["posts_total"] == 1


def test_bulk_delete_is_recorded_in_the_history(admin_client, admin_user):
    post = PostFactory(title="Bulk gone")

    bulk(admin_client, reverse("posts:bulk"), "delete", [post.pk])

    record = Post.history.get(id=post.pk, history_type="-")
    assert (record.history_change_reason, record.history_user) == ("Bulk delete", admin_user)


# User bulk actions -----------------------------------------------------------


def test_bulk_deactivate_refreshes_the_users_and_the_dashboard(admin_client):
    users = UserFactory.create_batch(2, is_active=True)
    counts, summaries = warm(*users)
    assert all(summary.is_active for summary in summaries.values())

    bulk(admin_client, reverse("users:bulk"), "deactivate", [u.pk for u in users])

    assert [user_summary(user_id=u.pk).is_active for u in users] == [False, False]
    assert dashboard_stats()[0]["users_active"] == counts["users_active"] - 2


def test_a_bulk_write_over_the_threshold_forgets_every_summary_by_pattern():
    users = User.objects.bulk_create(
        User(username=f"many{n}", email=f"many{n}@example.com", password=make_password(None))
        for n in range(invalidation.PATTERN_THRESHOLD + 1)
    )
    first, last = users[0], users[-1]
    warm(first, last)
    # Someone outside the change: the pattern forgets them too, and they reload unchanged.
    bystander = UserFactory(name="Bystander")
    warm(bystander)

    changed = user_bulk_set_active(
        users=User.objects.filter(username__startswith="many"),
        active=False,
        by=UserFactory(is_staff=True, is_superuser=True),
    )

    assert changed == invalidation.PATTERN_THRESHOLD + 1
    assert not is_cached(first) and not is_cached(last) and not is_cached(bystander)
    assert user_summary(user_id=last.pk).is_active is False
    assert user_summary(user_id=bystander.pk).name == "Bystander"


# Imports ---------------------------------------------------------------------


IMPORTER = (
    "posts.view_post",
    "posts.add_post",
    "posts.change_post",
    "users.view_user",
    "users.add_user",
    "users.change_user",
)


def test_post_import_refreshes_the_author_and_the_dashboard_and_records_history(
    staff_client_with,
):
    client = staff_client_with(*IMPORTER)
    author = UserFactory(username="taro")
    counts, summaries = warm(author)
    assert summaries[author.pk].post_count == 0

    response = import_csv(client, "posts", "title,author,status\nImported,taro,published\n")

    assert response.status_code == HTTPStatus.FOUND
    assert user_summary(user_id=author.pk).post_count == 1
    assert dashboard_stats()[0]["posts_published"] == counts["posts_published"] + 1
    record = Post.history.get(title="Imported")
    assert (record.history_type, record.history_change_reason) == ("+", "Imported from CSV")
    assert record.history_user == client.user


def test_user_import_refreshes_the_changed_user_and_records_history(staff_client_with):
    client = staff_client_with(*IMPORTER)
    user = UserFactory(username="hanako", name="Before")
    warm(user)

    response = import_csv(client, "users", "username,name\nhanako,After\n")

    assert response.status_code == HTTPStatus.FOUND
    assert user_summary(user_id=user.pk).name == "After"
    record = User.history.filter(id=user.pk).latest("history_id")
    assert (record.history_type, record.name) == ("~", "After")
    assert record.history_change_reason == "Imported from CSV"
    assert record.history_user == client.user


# Restore ---------------------------------------------------------------------


def test_restore_refreshes_the_author_and_the_dashboard_and_records_history(
    admin_client, admin_user
):
    author = UserFactory()
    post = PostFactory(author=author, title="Comeback")
    pk = post.pk
    post.delete()
    deletion = Post.history.get(id=pk, history_type="-")
    counts, summaries = warm(author)
    assert summaries[author.pk].post_count == 0

    response = admin_client.post(reverse("posts:restore", args=[deletion.history_id]))

    assert response.status_code == HTTPStatus.FOUND
    assert user_summary(user_id=author.pk).post_count == 1
    assert dashboard_stats()[0]["posts_total"] == counts["posts_total"] + 1
    record = Post.history.filter(id=pk).latest("history_id")
    assert (record.history_type, record.history_change_reason) == ("+", "Restored")
    assert record.history_user == admin_user


# Where the promise ends ------------------------------------------------------


def test_a_queryset_update_is_not_seen_until_the_cache_is_cleared():
    """QuerySet.update() sends no signal: the README says so, and names the remedy."""
    user = UserFactory(name="Before")
    warm(user)

    User.objects.filter(pk=user.pk).update(name="After")
    stale = user_summary(user_id=user.pk).name
    call_command("cache_clear", "user:*", stdout=io.StringIO())

    assert stale == "Before"
    assert user_summary(user_id=user.pk).name == "After"
