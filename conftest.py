"""Shared fixtures, and the PostgreSQL and Redis the tests run against.

Tests talk to real PostgreSQL and Redis. When nothing answers at the test
URLs, private servers are started from the wheels in requirements-dev.txt
(tests/services.py) and removed when the run ends; `TEST_SERVERS=system`
insists on the URLs' servers instead (the run stops at once with one line
saying which one is missing) and `TEST_SERVERS=private` always starts private
ones. A missing service is never turned into skipped tests.
"""

import os
import re
import signal
import time
from collections.abc import Callable
from urllib.parse import parse_qs, urlsplit, urlunsplit

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
from tests.services import PrivateServers, ServiceError
from users.tests.factories import StaffUserFactory, UserFactory

SERVER_CHOICES = ("auto", "system", "private")
_private = PrivateServers()


def _postgres_version(db: dict) -> str | None:
    """The server's version, or None when nothing answers at `db`."""
    try:
        with psycopg.connect(
            dbname="postgres",
            user=db["USER"],
            password=db["PASSWORD"],
            host=db["HOST"],
            port=db["PORT"] or None,
            connect_timeout=3,
        ) as conn:
            return conn.execute("SHOW server_version").fetchone()[0].split()[0]
    except psycopg.OperationalError:
        return None


def _redis_version(url: str) -> str | None:
    try:
        return redis.Redis.from_url(url, socket_connect_timeout=2).info("server")["redis_version"]
    except redis.RedisError:
        return None


def _with_address(url: str, host: str, port: int) -> str:
    """`url` (a Redis URL) pointing at host:port, keeping its database index."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{host}:{port}"))


def _interrupt(signum, frame):
    # A terminated run ends like an interrupted one: the session's teardown
    # runs and the private servers are stopped and removed.
    raise KeyboardInterrupt


def _use_servers() -> str:
    """Point the settings at the servers this run uses; return the line that says which.

    Runs after Django's setup but before any connection or cache exists, so
    changing the settings' dictionaries in place is enough.
    """
    choice = os.environ.get("TEST_SERVERS", "auto") or "auto"
    if choice not in SERVER_CHOICES:
        pytest.exit(f"TEST_SERVERS must be one of {', '.join(SERVER_CHOICES)}", returncode=4)
    db = settings.DATABASES["default"]
    if not db["ENGINE"].endswith(".postgresql"):
        pytest.exit(
            "Tests need PostgreSQL: run `make test` or set DATABASE_URL=postgres://...",
            returncode=3,
        )
    cache_url = settings.CACHES["default"].get("LOCATION", "")
    if not settings.CACHES["default"]["BACKEND"].endswith(".RedisCache"):
        pytest.exit("Tests need Redis: run `make test` or set REDIS_URL=redis://...", returncode=3)
    db_url = f"postgres://{db['USER']}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}"

    pg_version = None if choice == "private" else _postgres_version(db)
    redis_version = None if choice == "private" else _redis_version(cache_url)
    missing = [
        (name, url)
        for name, version, url in (
            ("PostgreSQL", pg_version, db_url),
            ("Redis", redis_version, cache_url),
        )
        if version is None
    ]
    if choice == "system" and missing:
        name, url = missing[0]
        pytest.exit(
            f"{name} is not answering at {url} (TEST_SERVERS=system): start it, "
            "or leave TEST_SERVERS unset to run on private servers.",
            returncode=3,
        )

    def private(server, url: str) -> str:
        why = "TEST_SERVERS=private" if choice == "private" else f"no server answered at {url}"
        return f"private {server.version()} on 127.0.0.1:{server.port} ({why})"

    try:
        if pg_version is None:
            server = _private.start_postgres()
            db.update(HOST="127.0.0.1", PORT=server.port, USER="postgres", PASSWORD="")
            os.environ["DATABASE_URL"] = server.url(db["NAME"])
            pg_line = private(server, db_url)
        else:
            pg_line = f"{pg_version} at {db_url}"
        if redis_version is None:
            server = _private.start_redis()
            for cache in settings.CACHES.values():
                if cache["BACKEND"].endswith(".RedisCache"):
                    cache["LOCATION"] = _with_address(cache["LOCATION"], "127.0.0.1", server.port)
            os.environ["REDIS_URL"] = settings.CACHES["default"]["LOCATION"]
            redis_line = private(server, cache_url)
        else:
            redis_line = f"{redis_version} at {cache_url}"
    except BaseException as error:
        _private.close()
        if isinstance(error, ServiceError):
            pytest.exit(f"Could not start a private server: {error}", returncode=3)
        raise
    line = f"PostgreSQL: {pg_line}; Redis: {redis_line}"
    if _private.sandbox is not None:
        signal.signal(signal.SIGTERM, _interrupt)
        line += f"; started in {_private.started_in:.1f} s"
    return line


@pytest.hookimpl(trylast=True)
def pytest_configure(config: pytest.Config) -> None:
    line = _use_servers()
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(line)


def pytest_unconfigure(config: pytest.Config) -> None:
    if _private.sandbox is None:
        return
    _private.close()
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    reporter = config.pluginmanager.get_plugin("terminalreporter")
    if reporter is not None:
        reporter.write_line(
            f"Private servers stopped and {_private.sandbox.root} removed "
            f"in {_private.stopped_in:.1f} s."
        )


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


def preview_import(client: Client, url: str, file, **extra) -> HttpResponse:
    """Upload `file` to a list's import page `url`, run here the preview job it queues, and
    return the page showing the preview (or the form with its errors, if the file was refused)."""
    from camp.jobs.services import job_run

    response = client.post(url, {"file": file}, **extra)
    if response.status_code != 302:
        return response
    job_run(job_id=int(parse_qs(urlsplit(response.url).query)["preview"][0]))
    return client.get(response.url, **extra)


def mark_reauthenticated(client: Client, user) -> None:
    """Record in the client's session that `user` has just given their password again.

    As after allauth's re-authentication page: the sensitive actions
    (camp.accounts.mixins) go through for the next few minutes. Tests of those
    actions log in without it.
    """
    session = client.session
    session["account_authentication_methods"] = [
        {"method": "password", "at": time.time(), "reauthenticated": True}
    ]
    session["account_authentication_methods_user"] = str(user.pk)
    session.save()


@pytest.fixture
def reauthenticate() -> Callable[[Client, object], None]:
    return mark_reauthenticated


@pytest.fixture
def admin_client(admin_client: Client, admin_user) -> Client:
    """pytest-django's superuser client, having just given the password again."""
    mark_reauthenticated(admin_client, admin_user)
    return admin_client


@pytest.fixture
def staff_client_with(db) -> Callable[..., Client]:
    """Return a function that logs a new staff member holding `perms` in to a new client.

    Permissions are "app_label.codename" strings; the member is `client.user`.
    The member has just given the password again (`mark_reauthenticated`).
    """

    def make(*perms: str, **user_fields) -> Client:
        member = StaffUserFactory(permissions=perms, **user_fields)
        client = Client()
        client.force_login(member)
        mark_reauthenticated(client, member)
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
