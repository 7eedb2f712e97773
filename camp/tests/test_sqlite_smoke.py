"""The SQLite quick start stays honest: migrate, log in and open every kind of page.

Camp runs in a subprocess the way `make run` starts it, with no PostgreSQL and
no Redis in its environment: DEBUG on, no `.env`, an SQLite file of its own and
the local-memory cache. A browser-like client with a cookie jar logs in through
the real login form, CSRF token included.
"""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus
from pathlib import Path

import pytest

BASE_DIR = Path(__file__).resolve().parents[2]
USERNAME = "smoke-admin"
PASSWORD = "smoke-Passphrase-42"
STARTUP_SECONDS = 60
PRINT_VENDOR = "from django.db import connection; print(connection.vendor)"

#: Variables that would point the quick start at the services the tests use.
SERVICE_VARIABLES = {
    "DATABASE_URL",
    "REDIS_URL",
    "TEST_DATABASE_NAME",
    "CACHE_KEY_PREFIX",
    "SECRET_KEY",
    "DJANGO_SETTINGS_MODULE",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Page:
    status: int
    url: str
    text: str


class Browser:
    """Just enough of a browser: cookies, redirects, forms with their CSRF token."""

    def __init__(self, base_url: str) -> None:
        self.base_url = base_url
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
        )

    def open(self, path: str, data: dict | None = None) -> Page:
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        request = urllib.request.Request(self.base_url + path, data=body)  # noqa: S310 (http only)
        try:
            with self.opener.open(request, timeout=30) as response:
                return Page(response.status, response.url, response.read().decode())
        except urllib.error.HTTPError as error:
            return Page(error.code, error.url, error.read().decode(errors="replace"))

    def submit(self, path: str, data: dict) -> Page:
        """Open the form at `path`, then post `data` with the page's CSRF token."""
        form = self.open(path)
        assert form.status == HTTPStatus.OK, (path, form.status)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text)
        assert token, f"No CSRF token on {path}"
        return self.open(path, {"csrfmiddlewaretoken": token.group(1), **data})


def manage(env: dict, *args: str) -> subprocess.CompletedProcess:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}"
    return result


@pytest.fixture(scope="module")
def quick_start(tmp_path_factory) -> Iterator[Browser]:
    """Migrate a fresh SQLite file, create the superuser and serve Camp on a free port."""
    workdir = tmp_path_factory.mktemp("quick-start")
    env = {name: value for name, value in os.environ.items() if name not in SERVICE_VARIABLES}
    env.update(
        DEBUG="true",
        ENV_FILE=os.devnull,
        DATABASE_URL=f"sqlite:///{workdir / 'db.sqlite3'}",
        DJANGO_SUPERUSER_USERNAME=USERNAME,
        DJANGO_SUPERUSER_PASSWORD=PASSWORD,
        PYTHONUNBUFFERED="1",
    )
    check = manage(env, "shell", "--no-imports", "-c", PRINT_VENDOR)
    assert check.stdout.strip() == "sqlite"
    manage(env, "migrate", "--no-input")
    manage(env, "ensure_superuser")

    port = free_port()
    log_path = workdir / "server.log"
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", f"127.0.0.1:{port}", "--noreload"],
            cwd=BASE_DIR,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        browser = Browser(f"http://127.0.0.1:{port}")
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            try:
                if browser.open("/healthz").status == HTTPStatus.OK:
                    break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"runserver did not start:\n{log_path.read_text()}")
            time.sleep(0.2)
        yield browser
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait(timeout=10)


@pytest.fixture(scope="module")
def logged_in(quick_start: Browser) -> Browser:
    page = quick_start.submit(
        "/accounts/login/", {"login": USERNAME, "password": PASSWORD, "next": "/"}
    )
    assert page.status == HTTPStatus.OK
    assert urllib.parse.urlsplit(page.url).path == "/"
    return quick_start


@pytest.fixture(scope="module")
def smoke_post_url(logged_in: Browser) -> str:
    page = logged_in.submit(
        "/posts/new/",
        {
            "title": "SQLite の投稿",
            "content": "first line\nsecond line",
            "status": "draft",
            "author": USERNAME,
        },
    )
    assert page.status == HTTPStatus.OK
    path = urllib.parse.urlsplit(page.url).path
    assert re.fullmatch(r"/posts/\d+/", path), path
    assert "SQLite の投稿" in page.text
    return path


@pytest.fixture(scope="module")
def smoke_user_url(logged_in: Browser) -> str:
    page = logged_in.open(f"/users/?q={USERNAME}")
    match = re.search(r'href="(/users/\d+/)"', page.text)
    assert match, "The user list does not link to the superuser"
    return match.group(1)


def test_health_checks_answer(quick_start):
    assert quick_start.open("/healthz").status == HTTPStatus.OK
    ready = quick_start.open("/readyz")
    assert ready.status == HTTPStatus.OK
    assert '"database": true' in ready.text
    assert '"cache": true' in ready.text


def test_anonymous_visitor_is_sent_to_login(quick_start):
    page = Browser(quick_start.base_url).open("/posts/")

    assert page.status == HTTPStatus.OK
    assert urllib.parse.urlsplit(page.url).path == "/accounts/login/"


def test_static_files_are_served(quick_start):
    assert quick_start.open("/static/css/camp.css").status == HTTPStatus.OK


@pytest.mark.parametrize(
    "path",
    [
        "/",
        "/search/?q=smoke",
        "/users/",
        "/users/?q=smoke&is_active=true&sort=-posts",
        "/users/new/",
        "/posts/",
        "/posts/?status=draft&status=archived&sort=-created&q=SQLite",
        "/posts/new/",
        "/posts/deleted/",
        "/audit/",
        "/audit/?event=login&member=smoke-admin&when_after=2020-01-01",
        "/admin/",
        "/admin/audit/auditevent/",
    ],
)
def test_page_opens(logged_in, smoke_post_url, path):
    page = logged_in.open(path)

    assert page.status == HTTPStatus.OK, page.text[:2000]
    assert urllib.parse.urlsplit(page.url).path == urllib.parse.urlsplit(path).path


@pytest.mark.parametrize("suffix", ["", "edit/", "delete/"])
def test_post_page_opens(logged_in, smoke_post_url, suffix):
    page = logged_in.open(smoke_post_url + suffix)

    assert page.status == HTTPStatus.OK, page.text[:2000]
    assert "SQLite の投稿" in page.text


@pytest.mark.parametrize("suffix", ["", "edit/", "password/"])
def test_user_page_opens(logged_in, smoke_user_url, smoke_post_url, suffix):
    page = logged_in.open(smoke_user_url + suffix)

    assert page.status == HTTPStatus.OK, page.text[:2000]
    assert USERNAME in page.text


def test_own_delete_page_is_refused(logged_in, smoke_user_url):
    # Nobody deletes themselves, superusers included.
    assert logged_in.open(smoke_user_url + "delete/").status == HTTPStatus.FORBIDDEN


def test_post_detail_keeps_line_breaks(logged_in, smoke_post_url):
    assert "first line<br>second line" in logged_in.open(smoke_post_url).text


def test_post_list_finds_the_post(logged_in, smoke_post_url):
    page = logged_in.open("/posts/?q=" + urllib.parse.quote("の投稿"))

    assert smoke_post_url in page.text
