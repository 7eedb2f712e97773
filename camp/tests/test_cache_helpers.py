import uuid

import pytest
from django.core.cache import caches
from django.core.management import call_command
from django.test import override_settings
from django_redis import get_redis_connection

from camp.dashboard.selectors import dashboard_stats
from camp.records.cache import get_or_load, invalidate, invalidate_pattern
from posts.tests.factories import PostFactory


def test_get_or_load_calls_the_loader_once():
    calls = []

    def loader():
        calls.append(1)
        return {"value": 1}

    assert get_or_load("helpers:once", loader) == {"value": 1}
    assert get_or_load("helpers:once", loader) == {"value": 1}
    assert len(calls) == 1


def test_a_ttl_of_zero_reads_and_stores_nothing():
    caches["default"].set("helpers:off", "stored earlier")

    assert get_or_load("helpers:off", lambda: "fresh", ttl=0) == "fresh"
    assert caches["default"].get("helpers:off") == "stored earlier"
    invalidate("helpers:off")


def test_invalidate_deletes_the_key():
    get_or_load("helpers:gone", lambda: 1)

    invalidate("helpers:gone")

    assert caches["default"].get("helpers:gone") is None


def test_pattern_clear_removes_exactly_the_matching_keys_under_the_prefix():
    cache = caches["default"]
    redis = get_redis_connection("default")
    outsider = f"not-camp-{uuid.uuid4().hex}:user:1"
    redis.set(outsider, "keep")
    try:
        cache.set("user:1", 1)
        cache.set("user:2", 2)
        cache.set("userx:3", 3)
        cache.set("post:1", 4)

        removed = invalidate_pattern("user:*")

        assert removed == 2
        assert cache.get("user:1") is None and cache.get("user:2") is None
        assert cache.get("userx:3") == 3
        assert cache.get("post:1") == 4
        assert redis.get(outsider) == b"keep"
    finally:
        redis.delete(outsider)


def test_pattern_clear_works_on_the_local_memory_fallback():
    locmem = {
        "default": {
            "BACKEND": "django.core.cache.backends.locmem.LocMemCache",
            "LOCATION": f"test-{uuid.uuid4().hex}",
            "KEY_PREFIX": "camp",
        }
    }
    with override_settings(CACHES=locmem):
        cache = caches["default"]
        cache.set("user:1", 1)
        cache.set("post:1", 2)

        assert invalidate_pattern("user:*") == 1
        assert cache.get("post:1") == 2


def test_cache_clear_command_reports_how_many_keys_it_removed(capsys):
    caches["default"].set("user:1", 1)
    caches["default"].set("user:2", 2)

    call_command("cache_clear", "user:*")

    assert capsys.readouterr().out.strip() == "Removed 2 keys matching 'user:*'."


def test_cache_stats_command_prints_hits_misses_and_keys(capsys):
    caches["default"].set("user:1", 1)
    caches["default"].get("user:1")

    call_command("cache_stats")

    out = capsys.readouterr().out
    for label in ("hits", "misses", "hit ratio", "keys under", "memory used"):
        assert label in out


@pytest.mark.django_db
def test_dashboard_stats_are_cached_and_invalidated_by_writes(django_assert_num_queries):
    PostFactory()
    with django_assert_num_queries(3):
        counts, _ = dashboard_stats()
    with django_assert_num_queries(0):
        dashboard_stats()
    assert counts["posts_total"] == 1

    PostFactory()

    counts, _ = dashboard_stats()
    assert counts["posts_total"] == 2
