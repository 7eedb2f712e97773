"""Shared fixtures and the check that the real services are there.

Tests talk to real PostgreSQL and Redis. When either is missing the run stops
at once with one line saying which and how to start it: a missing service is
never turned into skipped tests.
"""

import re
from collections.abc import Callable

import psycopg
import pytest
import redis
from django.conf import settings
from django.db import connection
from django.forms import CheckboxInput
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext, override_settings

from posts.tests.factories import PostFactory
from users.tests.factories import StaffUserFactory, UserFactory


def _require_services() -> None:
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith(".postgresql"):
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
    if not cache["BACKEND"].endswith(".RedisCache"):
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
    """Remove every key the test wrote under Camp's prefixes, in any version, and only those."""
    from django.core.cache import caches
    from django_redis import get_redis_connection

    yield
    for alias in settings.CACHES:
        cache = caches[alias]
        if not hasattr(cache, "delete_pattern"):
            continue
        # Keys are "<prefix>:<version>:<key>"; delete_pattern() sees one version only.
        prefix = re.sub(r"([*?\[\]])", r"[\1]", cache.key_prefix)
        connection = get_redis_connection(alias)
        keys = list(connection.scan_iter(match=f"{prefix}:*", count=1000))
        if keys:
            connection.delete(*keys)


@pytest.fixture
def user(db):
    return UserFactory()


@pytest.fixture
def post(db):
    return PostFactory()


@pytest.fixture
def staff_client_with(db) -> Callable[..., Client]:
    """Return a function that logs a new staff member holding `perms` in to a new client.

    Permissions are "app_label.codename" strings; the member is `client.user`.
    """

    def make(*perms: str, **user_fields) -> Client:
        member = StaffUserFactory(permissions=perms, **user_fields)
        client = Client()
        client.force_login(member)
        client.user = member
        return client

    return make


@pytest.fixture
def non_staff_client(db) -> Client:
    """A client logged in as an active user who is not staff."""
    member = UserFactory()
    client = Client()
    client.force_login(member)
    client.user = member
    return client


@pytest.fixture
def form_data() -> Callable[..., dict]:
    """Return a function giving what a browser would submit for the form on a page.

    Every field keeps the value the page shows (hidden fields included), then
    `overrides` replace some; an override of None leaves the field out.
    """

    def collect(response: HttpResponse, **overrides) -> dict:
        form = response.context["form"]
        data = {}
        for field in form:
            value = field.value()
            if isinstance(field.field.widget, CheckboxInput):
                value = "on" if value else None
            if value is not None:
                data[field.html_name] = value
        data.update(overrides)
        return {name: value for name, value in data.items() if value is not None}

    return collect


@pytest.fixture
def count_queries() -> Callable[..., int]:
    """Return a function counting the queries one GET of `url` issues.

    A first request warms the session cache; the data caches are then emptied
    so the counted request loads everything it shows from the database.
    """
    from django.core.cache import caches

    def count(client: Client, url: str, data: dict | None = None) -> int:
        client.get(url, data)
        for alias in settings.CACHES:
            if alias == getattr(settings, "SESSION_CACHE_ALIAS", None):
                continue
            cache = caches[alias]
            if hasattr(cache, "delete_pattern"):
                cache.delete_pattern("*")
            else:
                cache.clear()
        with CaptureQueriesContext(connection) as context:
            response = client.get(url, data)
        assert response.status_code == 200, response.status_code
        return len(context.captured_queries)

    return count
