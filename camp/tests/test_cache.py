import uuid

import pytest
from django.core.cache import caches
from django.test import override_settings
from django_redis import get_redis_connection


@pytest.fixture
def isolated_cache(settings):
    """A cache on the real Redis under a prefix of its own, emptied afterwards."""
    prefix = f"camp-test-{uuid.uuid4().hex[:8]}"
    config = {**settings.CACHES["default"], "KEY_PREFIX": prefix}
    with override_settings(CACHES={**settings.CACHES, "isolated": config}):
        cache = caches["isolated"]
        yield cache
        cache.delete_pattern("*")
        assert not get_redis_connection("isolated").keys(f"{prefix}:*")


def test_cache_round_trip_on_redis(isolated_cache):
    isolated_cache.set("answer", {"value": 42}, timeout=30)

    assert isolated_cache.get("answer") == {"value": 42}
    raw = get_redis_connection("isolated")
    assert raw.exists(isolated_cache.make_key("answer")) == 1


def test_cache_backend_is_django_redis():
    from django_redis.cache import RedisCache

    assert isinstance(caches["default"], RedisCache)
