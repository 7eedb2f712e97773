"""Shared fixtures and the check that the real services are there.

Tests talk to real PostgreSQL and Redis. When either is missing the run stops
at once with one line saying which and how to start it: a missing service is
never turned into skipped tests.
"""

import psycopg
import pytest
import redis
from django.conf import settings
from django.test.utils import override_settings

from posts.tests.factories import PostFactory
from users.tests.factories import UserFactory


def _require_services() -> None:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "django.db.backends.postgresql":
        pytest.exit(
            "Tests need PostgreSQL: run `make test` or set DATABASE_URL=postgres://...",
            returncode=3,
        )
    url = f"postgresql://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/postgres"
    try:
        psycopg.connect(
            dbname="postgres",
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"],
            port=db["PORT"] or None,
            connect_timeout=3,
        ).close()
    except psycopg.OperationalError:
        pytest.exit(
            f"PostgreSQL is not answering at {url}: start it with "
            "`pg_ctlcluster --skip-systemctl-redirect 15 main start`.",
            returncode=3,
        )
    cache = settings.CACHES["default"]
    if cache["BACKEND"] != "django_redis.cache.RedisCache":
        pytest.exit("Tests need Redis: run `make test` or set REDIS_URL=redis://...", returncode=3)
    try:
        redis.Redis.from_url(cache["LOCATION"], socket_connect_timeout=2).ping()
    except redis.RedisError:
        pytest.exit(
            f"Redis is not answering at {cache['LOCATION']}: start it with "
            "`redis-server --daemonize yes --port 6379`.",
            returncode=3,
        )


def pytest_configure(config: pytest.Config) -> None:
    _require_services()


@pytest.fixture(scope="session", autouse=True)
def _plain_static_storage():
    """Serve static files without a collectstatic manifest during tests."""
    storages = {
        **settings.STORAGES,
        "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    }
    with override_settings(STORAGES=storages):
        yield


@pytest.fixture(autouse=True)
def _clean_cache():
    """Remove every key the test wrote under Camp's prefix, and only those."""
    from django.core.cache import cache

    yield
    cache.delete_pattern("*")


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def post(db):
    return PostFactory()
