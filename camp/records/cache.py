"""Cache-aside helpers on Django's cache framework.

Redis (django-redis) is a cache here, never the source of truth: every
loader reads PostgreSQL, and with Redis down the helpers fall through to it.
On the local-memory fallback pattern deletes still work, by scanning the
process's own dictionary.
"""

import fnmatch
import logging
import uuid
from collections.abc import Callable
from typing import TypeVar

from django.conf import settings
from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache

# The name LOGGING and django-redis (DJANGO_REDIS_LOGGER) log cache trouble under.
logger = logging.getLogger("camp.cache")

T = TypeVar("T")

#: SCAN batch size for pattern deletes: fewer round trips than the default 10.
SCAN_ITERSIZE = 1000


def cache_ttl() -> int:
    return settings.CACHE_TTL


def get_or_load(
    key: str,
    loader: Callable[[], T],
    *,
    ttl: int | None = None,
    version: int | None = None,
    alias: str = "default",
) -> T:
    """Return the cached value of `key`, or call `loader`, store and return its result.

    `None` is never cached: a missing record is looked up again next time
    rather than remembered as missing, and a cache that is down (which
    django-redis answers with `None`) reads as a miss. A TTL of 0 turns the
    cache off for `key`: `loader` runs every time, whatever is stored.
    """
    timeout = cache_ttl() if ttl is None else ttl
    if timeout == 0:
        return loader()
    cache = caches[alias]
    value = cache.get(key, version=version)
    if value is not None:
        return value
    value = loader()
    if value is not None:
        cache.set(key, value, timeout=timeout, version=version)
    return value


def invalidate(*keys: str, version: int | None = None, alias: str = "default") -> None:
    """Delete `keys` from the cache."""
    caches[alias].delete_many(list(keys), version=version)


def invalidate_pattern(
    pattern: str,
    *,
    version: int | None = None,
    alias: str = "default",
    any_version: bool = False,
) -> int:
    """Delete every key under Camp's prefix matching the glob `pattern`; return how many.

    On Redis this is SCAN + DEL (never KEYS, which blocks the server); on the
    local-memory cache it walks this process's entries. With `any_version`
    the keys of every version go, e.g. user summaries stored under a version
    bumped since (`USER_SUMMARY_VERSION`), which `version` alone would miss.
    """
    cache = caches[alias]
    if hasattr(cache, "delete_pattern"):
        if not any_version:
            return cache.delete_pattern(pattern, version=version, itersize=SCAN_ITERSIZE) or 0
        from django_redis import get_redis_connection

        connection = get_redis_connection(alias)
        # Keys are "<prefix>:<version>:<key>"; the prefix is matched literally.
        prefix = "".join(f"[{c}]" if c in "*?[]" else c for c in cache.key_prefix)
        removed = 0
        batch = []
        for key in connection.scan_iter(match=f"{prefix}:*:{pattern}", count=SCAN_ITERSIZE):
            batch.append(key)
            if len(batch) >= SCAN_ITERSIZE:
                removed += connection.delete(*batch)
                batch = []
        if batch:
            removed += connection.delete(*batch)
        return removed
    if isinstance(cache, LocMemCache):
        full = (
            f"{cache.key_prefix}:*:{pattern}"
            if any_version
            else cache.make_key(pattern, version=version)
        )
        with cache._lock:
            matching = [k for k in cache._cache if fnmatch.fnmatchcase(k, full)]
            for key in matching:
                cache._delete(key)
        return len(matching)
    raise NotImplementedError(f"{type(cache).__name__} cannot delete keys by pattern.")


def cache_stats(*, alias: str = "default") -> dict:
    """Hits, misses and memory of the cache server, and the keys under Camp's prefix.

    Hits and misses are Redis's server-wide counters since it started (or
    since CONFIG RESETSTAT); the key count is Camp's own.
    """
    cache = caches[alias]
    prefix = cache.key_prefix
    if hasattr(cache, "delete_pattern"):
        from django_redis import get_redis_connection

        client = get_redis_connection(alias)
        try:
            info = client.info()
            keys = sum(1 for _ in client.scan_iter(match=f"{prefix}:*", count=SCAN_ITERSIZE))
        except Exception as error:  # redis-py raises several connection errors
            raise ConnectionError(str(error)) from error
        hits, misses = info.get("keyspace_hits", 0), info.get("keyspace_misses", 0)
        return {
            "backend": f"redis {info.get('redis_version', '?')}",
            "prefix": prefix,
            "hits": hits,
            "misses": misses,
            "hit_ratio": hits / (hits + misses) if hits + misses else None,
            "keys": keys,
            "memory": info.get("used_memory_human", "?"),
        }
    if isinstance(cache, LocMemCache):
        with cache._lock:
            keys = sum(1 for k in cache._cache if k.startswith(f"{prefix}:"))
        return {
            "backend": "local memory (this process only; no hit counters)",
            "prefix": prefix,
            "hits": 0,
            "misses": 0,
            "hit_ratio": None,
            "keys": keys,
            "memory": "n/a",
        }
    raise NotImplementedError(f"{type(cache).__name__} has no statistics.")


#: The key of the records' generation: a new value whenever a user or a post changes.
GENERATION_KEY = "records:generation"


def records_generation() -> str:
    """The current generation of the records: part of the key of whatever shows many of them.

    A page kept under a key holding it is never served after a record
    changed, with no need to find and delete it. With the cache down every
    call gives a new value, so nothing is served from it.
    """
    cache = caches["default"]
    value = cache.get(GENERATION_KEY)
    if value is None:
        cache.add(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
        value = cache.get(GENERATION_KEY) or uuid.uuid4().hex
    return value


def records_generation_bump() -> None:
    """Start a new generation of the records: called on every write to a user or a post."""
    caches["default"].set(GENERATION_KEY, uuid.uuid4().hex, timeout=None)
