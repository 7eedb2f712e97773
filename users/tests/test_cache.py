"""The user summary is cache-aside on real Redis and never stale after a write."""

from http import HTTPStatus

import pytest
from django.core.cache import cache
from django.urls import reverse

from posts.tests.factories import PostFactory
from users.selectors import USER_SUMMARY_VERSION, user_summary, user_summary_key

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_miss_then_hit_issues_no_query_the_second_time(django_assert_num_queries):
    user = UserFactory(name="Hanako")

    with django_assert_num_queries(1):
        first = user_summary(user_id=user.pk)
    with django_assert_num_queries(0):
        second = user_summary(user_id=user.pk)

    assert first == second
    assert second.name == "Hanako"


def test_summary_is_stored_as_plain_data_under_a_versioned_key():
    user = UserFactory()

    user_summary(user_id=user.pk)

    raw = cache.get(user_summary_key(user.pk), version=USER_SUMMARY_VERSION)
    assert isinstance(raw, dict)
    assert raw["username"] == user.username
    assert cache.make_key(user_summary_key(user.pk), version=USER_SUMMARY_VERSION).endswith(
        f":{USER_SUMMARY_VERSION}:user:{user.pk}"
    )


def test_an_old_key_version_is_never_read():
    user = UserFactory(name="Fresh")
    cache.set(user_summary_key(user.pk), {"stale": True}, version=USER_SUMMARY_VERSION - 1 or 99)

    assert user_summary(user_id=user.pk).name == "Fresh"


def test_missing_user_is_none_and_not_cached():
    assert user_summary(user_id=987654) is None
    assert cache.get(user_summary_key(987654), version=USER_SUMMARY_VERSION) is None


def test_plain_save_invalidates():
    user = UserFactory(name="Before")
    user_summary(user_id=user.pk)

    user.name = "After"
    user.save()

    assert user_summary(user_id=user.pk).name == "After"


def test_dashboard_edit_invalidates(admin_client):
    user = UserFactory(name="Before")
    user_summary(user_id=user.pk)

    response = admin_client.post(
        reverse("users:update", args=[user.pk]),
        {"username": user.username, "email": user.email, "name": "After"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert user_summary(user_id=user.pk).name == "After"


def test_admin_edit_invalidates(admin_client):
    user = UserFactory(name="Before")
    user_summary(user_id=user.pk)

    response = admin_client.post(
        reverse("admin:users_user_change", args=[user.pk]),
        {
            "username": user.username,
            "email": user.email,
            "name": "After",
            "is_active": "on",
            "date_joined_0": user.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": user.date_joined.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    assert user_summary(user_id=user.pk).name == "After"


def test_deactivate_invalidates(admin_client):
    user = UserFactory()
    user_summary(user_id=user.pk)

    admin_client.post(reverse("users:deactivate", args=[user.pk]))

    assert user_summary(user_id=user.pk).is_active is False


def test_adding_a_post_invalidates_the_post_count():
    user = UserFactory()
    assert user_summary(user_id=user.pk).post_count == 0

    PostFactory(author=user)

    assert user_summary(user_id=user.pk).post_count == 1


def test_deleting_a_post_invalidates_the_post_count():
    post = PostFactory()
    assert user_summary(user_id=post.author_id).post_count == 1

    post.delete()

    assert user_summary(user_id=post.author_id).post_count == 0


def test_moving_a_post_to_another_author_invalidates_both():
    post = PostFactory()
    old_author, new_author = post.author, UserFactory()
    user_summary(user_id=old_author.pk)
    user_summary(user_id=new_author.pk)

    post.author = new_author
    post.save()

    assert user_summary(user_id=old_author.pk).post_count == 0
    assert user_summary(user_id=new_author.pk).post_count == 1


def test_dashboard_post_create_invalidates_the_author(admin_client):
    author = UserFactory()
    user_summary(user_id=author.pk)

    admin_client.post(
        reverse("posts:create"),
        {"title": "New", "content": "", "status": "draft", "author": author.username},
    )

    assert user_summary(user_id=author.pk).post_count == 1


def test_deleting_the_user_invalidates():
    user = UserFactory()
    user_summary(user_id=user.pk)

    pk = user.pk
    user.delete()

    assert user_summary(user_id=pk) is None


def test_entries_expire_after_cache_ttl(settings):
    settings.CACHE_TTL = 1234
    user = UserFactory()
    user_summary(user_id=user.pk)
    key = cache.make_key(user_summary_key(user.pk), version=USER_SUMMARY_VERSION)

    from django_redis import get_redis_connection

    # Milliseconds, far from both ends: neither rounding nor a slow machine moves it
    # past the default of 300 s or the 1234 s asked for.
    ttl_ms = get_redis_connection("default").pttl(key)
    assert 300_000 < ttl_ms <= 1_234_000


def test_detail_page_reads_the_summary_from_the_cache(admin_client):
    user = UserFactory(name="Cached Name")
    admin_client.get(reverse("users:detail", args=[user.pk]))
    cache.set(
        user_summary_key(user.pk),
        {
            **cache.get(user_summary_key(user.pk), version=USER_SUMMARY_VERSION),
            "name": "From cache",
        },
        version=USER_SUMMARY_VERSION,
    )

    response = admin_client.get(reverse("users:detail", args=[user.pk]))

    assert "From cache" in response.text
