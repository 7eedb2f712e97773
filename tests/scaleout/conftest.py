"""Two Camp servers behind nginx, sharing one PostgreSQL database and one Redis.

The servers are separate processes, so they cannot see pytest-django's test
database (each test's data lives in a transaction nobody else sees). The
module gets a database of its own instead (`camp_scaleout_<random>`, migrated
and seeded through manage.py) and a cache key prefix of its own on the test
Redis; both are removed at the end, whatever happens. Each test gets fresh
gunicorn servers A and B and an nginx balancing between them.
"""

import http.client
import json
import os
import re
import secrets
import subprocess
import sys
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from html.parser import HTMLParser
from http import HTTPStatus
from http.cookies import SimpleCookie
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import quote, urlencode

import psycopg
import pytest
import redis
from django.conf import settings

from .servers import BASE_DIR, HOST, NGINX, AppServer, Nginx

ADMIN = "scaleout-admin"
REVIEWER = "scaleout-reviewer"
PASSWORD = "Scaleout-test-password-1"
AUTHOR_NAME = "山田 花子"
REQUEST_TIMEOUT = 30

_SEED = """
import json, os
from posts.models import Post
from users.models import User

password = os.environ["SCALEOUT_PASSWORD"]
for username in (os.environ["SCALEOUT_ADMIN"], os.environ["SCALEOUT_REVIEWER"]):
    User.objects.create_superuser(
        username=username, email=f"{username}@example.com", password=password
    )
author = User.objects.create_user(
    username="hanako", email="hanako@example.com", name=os.environ["SCALEOUT_AUTHOR_NAME"]
)
post = Post.objects.create(title="Written before the servers started", author=author)
print(json.dumps({"post": post.pk, "author": author.pk}))
"""


# ---------------------------------------------------------------------- browser


class _FormFields(HTMLParser):
    """Collect what a browser would submit for the page's `record-form`."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, str] = {}
        self._in_form = False
        self._textarea: str | None = None
        self._select: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {name: value or "" for name, value in attrs}
        if tag == "form":
            self._in_form = "record-form" in a.get("class", "").split()
            return
        if not self._in_form:
            return
        if tag == "option":
            if self._select and "selected" in a:
                self.fields[self._select] = a.get("value", "")
            return
        name = a.get("name")
        if not name:
            return
        if tag == "input":
            kind = a.get("type", "text")
            if kind in {"checkbox", "radio"}:
                if "checked" in a:
                    self.fields[name] = a.get("value") or "on"
            elif kind not in {"submit", "button", "reset"}:
                self.fields[name] = a.get("value", "")
        elif tag == "textarea":
            self._textarea = name
            self.fields[name] = ""
        elif tag == "select":
            self._select = name

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self._in_form = False
        elif tag == "textarea":
            self._textarea = None
        elif tag == "select":
            self._select = None

    def handle_data(self, data: str) -> None:
        if self._textarea:
            self.fields[self._textarea] += data


def form_fields(html: str) -> dict[str, str]:
    parser = _FormFields()
    parser.feed(html)
    for name, value in parser.fields.items():
        # A browser drops the newline that opens a <textarea>; HTMLParser keeps it.
        if value.startswith("\n"):
            parser.fields[name] = value[1:]
    return parser.fields


@dataclass
class Page:
    status: int
    headers: dict[str, str]
    text: str
    port: int

    @property
    def answered_by(self) -> str:
        """The app server nginx got this page from (after a retry, the last one it tried)."""
        return self.headers["x-upstream"].split(",")[-1].strip()


@dataclass
class Browser:
    """Just enough of a browser for Camp: a cookie jar, forms with CSRF, no redirects followed.

    Requests go to nginx unless `via` names an app server's port.
    """

    port: int
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self, method: str, path: str, *, via: int | None = None, form: dict | None = None
    ) -> Page:
        port = via or self.port
        headers = {}
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Origin"] = f"http://{HOST}:{port}"
        connection = http.client.HTTPConnection(HOST, port, timeout=REQUEST_TIMEOUT)
        try:
            connection.request(method, path, body=body, headers=headers)
            raw = connection.getresponse()
            text = raw.read().decode("utf-8", errors="replace")
        finally:
            connection.close()
        for header in raw.headers.get_all("Set-Cookie") or []:
            for name, morsel in SimpleCookie(header).items():
                self.cookies[name] = morsel.value
        return Page(raw.status, {k.lower(): v for k, v in raw.getheaders()}, text, port)

    def get(self, path: str, *, via: int | None = None) -> Page:
        return self.request("GET", path, via=via)

    def submit(self, form_page: Page, path: str, **changes: str) -> Page:
        """Post the form of `form_page` back to the server it came from, with `changes`."""
        fields = form_fields(form_page.text)
        assert "csrfmiddlewaretoken" in fields, form_page.text[:2000]
        return self.request("POST", path, via=form_page.port, form={**fields, **changes})

    def log_in(self, username: str, password: str = PASSWORD) -> None:
        page = self.get("/accounts/login/")
        assert page.status == HTTPStatus.OK, page.status
        response = self.submit(page, "/accounts/login/", login=username, password=password)
        assert response.status == HTTPStatus.FOUND, (response.status, response.text[:2000])
        assert "sessionid" in self.cookies

    def cookie_header(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())


# ------------------------------------------------------------------------- site


@dataclass
class Site:
    """The database, cache prefix and environment the app servers share."""

    env: dict[str, str]
    cache_prefix: str
    post_id: int
    author_id: int


def _postgres(dbname: str = "postgres") -> psycopg.Connection:
    db = settings.DATABASES["default"]
    return psycopg.connect(
        dbname=dbname,
        user=db["USER"],
        password=db["PASSWORD"],
        host=db["HOST"] or HOST,
        port=db["PORT"] or 5432,
        autocommit=True,
        connect_timeout=5,
    )


def _database_url(name: str) -> str:
    db = settings.DATABASES["default"]
    credentials = quote(db["USER"], safe="")
    if db["PASSWORD"]:
        credentials += ":" + quote(db["PASSWORD"], safe="")
    return f"postgres://{credentials}@{db['HOST'] or HOST}:{db['PORT'] or 5432}/{name}"


def _environment(root: Path, database: str, cache_prefix: str) -> dict[str, str]:
    """Production settings (DEBUG off), the module's database and cache prefix."""
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "HOME": os.environ.get("HOME", str(root)),
        "LANG": "C.UTF-8",
        "PYTHONUNBUFFERED": "1",
        "ENV_FILE": os.devnull,
        "DJANGO_SETTINGS_MODULE": "camp.settings",
        "DEBUG": "false",
        "SECRET_KEY": "camp-scaleout-test-secret-key-" + secrets.token_urlsafe(32),
        "ALLOWED_HOSTS": f"{HOST},localhost",
        "DATABASE_URL": _database_url(database),
        "REDIS_URL": settings.CACHES["default"]["LOCATION"],
        "CACHE_KEY_PREFIX": cache_prefix,
        "STATIC_ROOT": str(root / "static"),
        # The members log in with a password alone.
        "CAMP_REQUIRE_MFA": "false",
        # nginx in front: its X-Forwarded-For names the client.
        "TRUSTED_PROXY_COUNT": "1",
        "LOG_FORMAT": "plain",
        "LOG_LEVEL": "WARNING",
    }


def _manage(env: dict[str, str], *args: str, extra: dict[str, str] | None = None) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=BASE_DIR,
        env={**env, **(extra or {})},
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )
    assert result.returncode == 0, f"manage.py {args[0]}:\n{result.stdout}{result.stderr}"
    return result.stdout


def _delete_keys(prefix: str) -> None:
    client = redis.Redis.from_url(settings.CACHES["default"]["LOCATION"])
    pattern = re.sub(r"([*?\[\]])", r"[\1]", prefix) + "*"
    keys = list(client.scan_iter(match=pattern, count=1000))
    if keys:
        client.delete(*keys)


@pytest.fixture(scope="module")
def nginx_binary() -> Path:
    if not NGINX.exists():
        pytest.fail(
            f"The scale-out tests need nginx at {NGINX}: install Debian's package with "
            "`apt-get install nginx-light` (.ci/run does this).",
            pytrace=False,
        )
    return NGINX


@pytest.fixture(scope="module")
def site(nginx_binary: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    """A migrated, seeded database and a cache prefix for the app servers; removed at the end."""
    suffix = secrets.token_hex(4)
    database = f"camp_scaleout_{suffix}"
    cache_prefix = f"{settings.CACHES['default']['KEY_PREFIX']}-scaleout-{suffix}"
    env = _environment(tmp_path_factory.mktemp("scaleout"), database, cache_prefix)
    with _postgres() as connection:
        connection.execute(f'CREATE DATABASE "{database}"')
    try:
        _manage(env, "migrate", "--no-input", "-v", "0")
        _manage(env, "collectstatic", "--no-input", "-v", "0")
        seeded = _manage(
            env,
            "shell",
            "--no-imports",
            "-c",
            _SEED,
            extra={
                "SCALEOUT_ADMIN": ADMIN,
                "SCALEOUT_REVIEWER": REVIEWER,
                "SCALEOUT_PASSWORD": PASSWORD,
                "SCALEOUT_AUTHOR_NAME": AUTHOR_NAME,
            },
        )
        ids = json.loads(seeded.strip().splitlines()[-1])
        yield Site(env, cache_prefix, post_id=ids["post"], author_id=ids["author"])
    finally:
        with _postgres() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        _delete_keys(cache_prefix)


@dataclass
class Cluster:
    """App servers A and B behind nginx."""

    a: AppServer
    b: AppServer
    nginx: Nginx

    def name_of(self, address: str) -> str:
        return {self.a.address: "A", self.b.address: "B"}[address]

    def logs(self) -> str:
        return "\n".join(p.log_tail() for p in (self.a, self.b, self.nginx))


@pytest.fixture
def cluster(site: Site, tmp_path: Path) -> Iterator[Cluster]:
    """Start gunicorn servers A and B and nginx in front of them; stop them all at the end."""
    a, b = AppServer("A", tmp_path), AppServer("B", tmp_path)
    nginx = Nginx(tmp_path / "nginx", [a.address, b.address])
    try:
        a.start(site.env)
        b.start(site.env)
        nginx.start()
        failure = ""
        try:
            for process in (a, b, nginx):
                process.wait_until_ready()
        except RuntimeError as error:
            failure = str(error)
        if failure:
            pytest.fail(failure, pytrace=False)
        yield Cluster(a, b, nginx)
    finally:
        for process in (nginx, a, b):
            process.stop()


@pytest.fixture
def two_worker_server(site: Site, tmp_path: Path) -> Iterator[AppServer]:
    """One gunicorn server with two sync workers; /metrics open to loopback."""
    server = AppServer("metrics", tmp_path, workers=2, threads=1)
    try:
        server.start({**site.env, "METRICS_ALLOWED_IPS": HOST})
        try:
            server.wait_until_ready()
        except RuntimeError as error:
            pytest.fail(str(error), pytrace=False)
        yield server
    finally:
        server.stop()


@pytest.fixture
def admin(cluster: Cluster) -> Browser:
    """A superuser logged in through nginx."""
    browser = Browser(cluster.nginx.port)
    browser.log_in(ADMIN)
    return browser


class _Unavailable(BaseHTTPRequestHandler):
    """What every Camp server answers while PostgreSQL is down."""

    def do_GET(self) -> None:
        body = b"<h1>Temporarily unavailable</h1>"
        self.send_response(HTTPStatus.SERVICE_UNAVAILABLE)
        self.send_header("Retry-After", "30")
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args) -> None:
        pass


@pytest.fixture
def unavailable_nginx(nginx_binary: Path, tmp_path: Path) -> Iterator[Nginx]:
    """nginx in front of two stand-in servers that answer every request with a 503 page."""
    servers = [ThreadingHTTPServer((HOST, 0), _Unavailable) for _ in range(2)]
    for server in servers:
        threading.Thread(target=server.serve_forever, daemon=True).start()
    nginx = Nginx(tmp_path / "nginx", [f"{HOST}:{s.server_address[1]}" for s in servers])
    try:
        nginx.start()
        nginx.wait_until_ready()
        yield nginx
    finally:
        nginx.stop()
        for server in servers:
            server.shutdown()
            server.server_close()
