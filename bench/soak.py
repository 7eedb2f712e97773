"""Soak: minutes of mixed staff traffic against gunicorn, then a check that no data was lost.

    .venv/bin/python bench/soak.py                      # 2 runs of 180 s, 12 clients
    .venv/bin/python bench/soak.py --duration 60 --clients 8

It prepares the `camp_soak` database (created if missing, migrated, seeded
with `seed_demo --users 2000 --posts 20000 --seed 3 --reset`, static files
collected into a scratch directory) and runs the same traffic twice against
gunicorn (gunicorn.conf.py, DEBUG off, loopback only):

  redis up       the cache on 127.0.0.1:6379/7 under its own prefix `camp-soak`
  redis stopped  a private redis-server on a free port, terminated half-way

Each client thread logs in through the login form as its own staff superuser
and, until the time is up, browses the lists (pages, sorts, filters, the next
link), searches, opens details, creates posts with unique titles, edits its
own posts and a few shared ones (with the version the edit form carried, so
concurrent edits of a shared post are refused, never lost) and deletes some
of its own posts. Every response is recorded. A request that gets no answer
at all leaves its outcome unknown; the data check then accepts either.

Then it checks: no 5xx, and the database holds exactly what the successful
requests left behind: every created post exists once with the title of its
last successful edit and a version bumped once per successful edit, every
deleted post is gone, no post appeared that nobody created, and each created
post has exactly one creation record in its history.

The database is kept for the next run (`dropdb camp_soak` removes it); the
cache keys under the soak prefix, gunicorn and redis-server are always cleaned
up. gunicorn logs go to bench/results/soak-<run>.log.
"""

from __future__ import annotations

import argparse
import contextlib
import html
import json
import random
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path

import redis
from common import (
    GUNICORN,
    HOST,
    RESULTS,
    bench_env,
    ensure_database,
    exit_on_sigterm,
    free_port,
    gunicorn,
    load_average,
    manage,
    request,
    require_tools,
    setup_django,
    table,
)

SOAK_DB = "camp_soak"
SOAK_REDIS = "redis://127.0.0.1:6379/7"
SOAK_PREFIX = "camp-soak"
SOAK_PASSWORD = "camp-soak-password-1"
USER_PREFIX = "soak-"
SEED = ("--users", "2000", "--posts", "20000", "--seed", "3", "--reset")
SHARED_POSTS = 4
MAX_DURATION = 1800
SEARCH_WORDS = ("the", "camp", "data", "report", "note", "東京", "データ", "日本", "a", "zz")

#: How often each action is picked, relative to the others.
ACTIONS = {
    "list_posts": 18,
    "list_users": 8,
    "search": 12,
    "detail": 18,
    "home": 4,
    "create": 14,
    "edit": 18,
    "delete": 6,
}

CSRF_RE = re.compile(rb'name="csrfmiddlewaretoken" value="([^"]+)"')
VERSION_RE = re.compile(rb'name="version" value="(\d*)"')
NEXT_RE = re.compile(rb'<a href="([^"]+)" rel="next"')
POST_URL_RE = re.compile(r"/posts/(\d+)/$")


# ---------------------------------------------------------------------- ledger


@dataclass
class Sample:
    kind: str
    method: str
    status: int | None  # None: no answer (connection refused, reset, timeout)
    ms: float
    at: float  # seconds since the run started


@dataclass
class Edit:
    post_id: int
    loaded_version: int
    title: str
    outcome: str  # "ok", "refused", "invalid", "unknown"


@dataclass
class Ledger:
    """What one client did and what the server answered."""

    samples: list[Sample] = field(default_factory=list)
    created: dict[int, str] = field(default_factory=dict)
    create_unknown: list[str] = field(default_factory=list)
    create_refused: int = 0
    #: Refused edits whose form came back without what was typed.
    lost_input: int = 0
    edits: list[Edit] = field(default_factory=list)
    deleted: set[int] = field(default_factory=set)
    delete_unknown: set[int] = field(default_factory=set)


@dataclass
class SharedPost:
    id: int
    author: str
    version: int
    title: str


# ---------------------------------------------------------------------- client


class SoakClient(threading.Thread):
    """One logged-in staff member clicking around until `stop` is set."""

    def __init__(
        self,
        *,
        port: int,
        username: str,
        label: str,
        index: int,
        seed: int,
        post_ids: list[int],
        user_ids: list[int],
        shared: list[SharedPost],
        started: float,
        stop: threading.Event,
    ) -> None:
        super().__init__(name=username, daemon=True)
        self.port = port
        self.username = username
        self.label = label
        self.index = index
        self.rng = random.Random(seed)
        self.post_ids = post_ids
        self.user_ids = user_ids
        self.shared = shared
        self.started = started
        self.stop = stop
        self.ledger = Ledger()
        self.cookies: dict[str, str] = {}
        self.live: list[int] = []  # own posts, not deleted
        self.sequence = 0
        self.crash: BaseException | None = None

    # -- http

    def call(self, kind: str, method: str, path: str, form: dict | None = None):
        headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in self.cookies.items())}
        body = None
        if form is not None:
            body = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
            headers["Referer"] = f"http://{HOST}:{self.port}{path}"
        began = time.perf_counter()
        try:
            # A new connection per request: a keep-alive connection that gunicorn
            # closes (max_requests recycling) would otherwise leave the outcome of
            # the next POST unknown.
            response = request(self.port, method, path, headers=headers, body=body)
        except OSError:
            response = None
        elapsed = (time.perf_counter() - began) * 1000
        self.ledger.samples.append(
            Sample(
                kind,
                method,
                response.status if response else None,
                elapsed,
                time.monotonic() - self.started,
            )
        )
        if response is not None:
            self.cookies.update(response.cookies)
        return response

    def csrf_form(self, page) -> dict[str, str]:
        match = CSRF_RE.search(page.body)
        token = match.group(1).decode() if match else self.cookies.get("csrftoken", "")
        return {"csrfmiddlewaretoken": token}

    def login(self) -> None:
        page = self.call("login", "GET", "/accounts/login/")
        if page is None or page.status != 200:
            raise RuntimeError(f"{self.username}: login page answered {page and page.status}")
        form = {**self.csrf_form(page), "login": self.username, "password": SOAK_PASSWORD}
        sent = self.call("login", "POST", "/accounts/login/", form)
        if sent is None or sent.status != 302 or "sessionid" not in self.cookies:
            raise RuntimeError(f"{self.username}: login answered {sent and sent.status}")

    # -- actions

    def list_posts(self) -> None:
        params = {"page": self.rng.randint(1, 40)}
        if self.rng.random() < 0.3:
            params["sort"] = self.rng.choice(["title", "-created", "author", "-updated", "status"])
        if self.rng.random() < 0.2:
            params["status"] = self.rng.choice(["draft", "published", "archived"])
        page = self.call("list", "GET", "/posts/?" + urllib.parse.urlencode(params))
        # Sometimes follow Next, which carries the seek cursor.
        follow = page is not None and page.status == 200 and self.rng.random() < 0.4
        if follow and (match := NEXT_RE.search(page.body)):
            self.call("list", "GET", "/posts/" + html.unescape(match.group(1).decode()))

    def list_users(self) -> None:
        params = {"page": self.rng.randint(1, 40)}
        if self.rng.random() < 0.3:
            params["sort"] = self.rng.choice(["username", "-joined", "posts", "-email"])
        if self.rng.random() < 0.2:
            # Few users are staff: their list has one page.
            params = {"is_staff": "true", "page": 1}
        self.call("list", "GET", "/users/?" + urllib.parse.urlencode(params))

    def search(self) -> None:
        query = urllib.parse.urlencode({"q": self.rng.choice(SEARCH_WORDS)})
        path = self.rng.choice(["/posts/", "/users/", "/search/"])
        self.call("search", "GET", f"{path}?{query}")

    def detail(self) -> None:
        if self.rng.random() < 0.6:
            self.call("detail", "GET", f"/posts/{self.rng.choice(self.post_ids)}/")
        else:
            self.call("detail", "GET", f"/users/{self.rng.choice(self.user_ids)}/")

    def home(self) -> None:
        self.call("home", "GET", "/")

    def create(self) -> None:
        page = self.call("create", "GET", "/posts/new/")
        if page is None or page.status != 200:
            return
        self.sequence += 1
        title = f"soak {self.label} c{self.index:02d} n{self.sequence}"
        form = {
            **self.csrf_form(page),
            "title": title,
            "content": f"Written by {self.username} during the soak.",
            "status": self.rng.choice(["draft", "published"]),
            "author": self.username,
        }
        sent = self.call("create", "POST", "/posts/new/", form)
        if sent is None:
            self.ledger.create_unknown.append(title)
        elif sent.status == 302 and (match := POST_URL_RE.search(sent.headers["Location"])):
            post_id = int(match.group(1))
            self.ledger.created[post_id] = title
            self.live.append(post_id)
        elif sent.status == 200:
            self.ledger.create_refused += 1

    def edit(self) -> None:
        if self.live and self.rng.random() < 0.5:
            post_id, author = self.rng.choice(self.live), self.username
        else:
            shared = self.rng.choice(self.shared)
            post_id, author = shared.id, shared.author
        page = self.call("edit", "GET", f"/posts/{post_id}/edit/")
        if page is None or page.status != 200:
            return
        version = VERSION_RE.search(page.body)
        loaded = int(version.group(1)) if version and version.group(1) else 0
        self.sequence += 1
        title = f"soak {self.label} c{self.index:02d} e{self.sequence}"
        form = {
            **self.csrf_form(page),
            "title": title,
            "content": f"Edited by {self.username}.",
            "status": self.rng.choice(["draft", "published", "archived"]),
            "author": author,
            "version": loaded,
        }
        # A moment of reading the form widens the window for someone else's save.
        time.sleep(self.rng.uniform(0, 0.02))
        sent = self.call("edit", "POST", f"/posts/{post_id}/edit/", form)
        if sent is None:
            outcome = "unknown"
        elif sent.status == 302:
            outcome = "ok"
        elif sent.status == 200 and b"errorlist nonfield" in sent.body:
            # The form again, saying someone else saved first; it must keep the input.
            outcome = "refused"
            if title.encode() not in sent.body:
                self.ledger.lost_input += 1
        elif sent.status == 200:
            outcome = "invalid"  # a field error: the soak's own data was wrong
        else:
            return
        self.ledger.edits.append(Edit(post_id, loaded, title, outcome))

    def delete(self) -> None:
        if len(self.live) < 2:
            return self.create()
        post_id = self.live.pop(self.rng.randrange(len(self.live) - 1))
        page = self.call("delete", "GET", f"/posts/{post_id}/delete/")
        if page is None or page.status != 200:
            self.live.append(post_id)
            return None
        sent = self.call("delete", "POST", f"/posts/{post_id}/delete/", self.csrf_form(page))
        if sent is None:
            self.ledger.delete_unknown.add(post_id)
        elif sent.status == 302:
            self.ledger.deleted.add(post_id)
        else:
            self.live.append(post_id)
        return None

    def run(self) -> None:
        names, weights = zip(*ACTIONS.items(), strict=True)
        try:
            self.login()
            while not self.stop.is_set():
                getattr(self, self.rng.choices(names, weights)[0])()
        except BaseException as error:  # reported by the main thread
            self.crash = error


# ---------------------------------------------------------------------- redis


class OwnRedis:
    """A private redis-server on a free loopback port, for the run that stops it."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://{HOST}:{self.port}/0"
        self.process: subprocess.Popen | None = None
        self.stopped_at: float | None = None

    def start(self) -> None:
        server = shutil.which("redis-server")
        if not server:
            sys.exit("redis-server is not installed")
        self.process = subprocess.Popen(
            [server, "--port", str(self.port), "--bind", HOST, "--save", "", "--appendonly", "no"],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        client = redis.Redis(host=HOST, port=self.port, socket_connect_timeout=0.2)
        for _ in range(100):
            with contextlib.suppress(redis.ConnectionError):
                client.ping()
                return
            time.sleep(0.05)
        raise RuntimeError(f"redis-server did not start on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)


def forget_soak_keys() -> int:
    """Delete every key under the soak prefixes in the shared Redis; return how many."""
    connection = redis.Redis.from_url(SOAK_REDIS, socket_connect_timeout=2)
    deleted = 0
    with contextlib.suppress(redis.RedisError):
        keys = [
            key
            for pattern in (f"{SOAK_PREFIX}:*", f"{SOAK_PREFIX}-*")
            for key in connection.scan_iter(match=pattern, count=1000)
        ]
        for start in range(0, len(keys), 1000):
            deleted += connection.delete(*keys[start : start + 1000])
    return deleted


# ------------------------------------------------------------------------ data


def prepare(env: dict[str, str]) -> None:
    created = ensure_database(SOAK_DB)
    print(f"{'created' if created else 'reusing'} database {SOAK_DB}; migrating ...", flush=True)
    manage("migrate", "--no-input", "-v", "0", env=env)
    print(f"seed_demo {' '.join(SEED)} ...", flush=True)
    manage("seed_demo", *SEED, env=env, timeout=1800)
    print("collectstatic ...", flush=True)
    manage("collectstatic", "--no-input", "-v", "0", env=env)


def remove_soak_users() -> None:
    """Remove the soak accounts (and so their posts) of earlier runs."""
    from posts.models import Post
    from users.models import User

    Post.objects.filter(author__username__startswith=USER_PREFIX).delete()
    User.objects.filter(username__startswith=USER_PREFIX).delete()


def make_accounts(label: str, clients: int) -> tuple[list[str], list[SharedPost]]:
    """Create the run's staff superusers and the posts every client edits."""
    from django.contrib.auth.hashers import make_password

    from posts.models import Post
    from users.models import User

    password = make_password(SOAK_PASSWORD)  # hashed once: one PBKDF2 costs ~0.3 s
    names = [f"{USER_PREFIX}{label}-{i:02d}" for i in range(1, clients + 1)]
    owner = f"{USER_PREFIX}{label}-shared"
    for name in [*names, owner]:
        User.objects.create(
            username=name,
            email=f"{name}@example.com",
            password=password,
            is_staff=True,
            is_superuser=True,
        )
    author = User.objects.get(username=owner)
    shared = []
    for i in range(SHARED_POSTS):
        post = Post.objects.create(title=f"soak {label} shared {i}", content="", author=author)
        shared.append(SharedPost(post.id, owner, post.version, post.title))
    return names, shared


def browse_ids() -> tuple[list[int], list[int]]:
    from posts.models import Post
    from users.models import User

    posts = list(Post.objects.order_by("?").values_list("id", flat=True)[:2000])
    users = list(User.objects.order_by("?").values_list("id", flat=True)[:1000])
    return posts, users


def check_data(label: str, ledgers: list[Ledger], shared: list[SharedPost]) -> list[str]:
    """Compare the database with what the answered requests say happened; return problems."""
    from posts.models import Post

    problems: list[str] = []
    created: dict[int, str] = {}
    for ledger in ledgers:
        for post_id, title in ledger.created.items():
            if post_id in created:
                problems.append(f"post {post_id} reported created twice")
            created[post_id] = title
    deleted = set().union(*(ledger.deleted for ledger in ledgers))
    delete_unknown = set().union(*(ledger.delete_unknown for ledger in ledgers))
    create_unknown = [title for ledger in ledgers for title in ledger.create_unknown]
    edits = [edit for ledger in ledgers for edit in ledger.edits]

    start = {post_id: (title, 1) for post_id, title in created.items()}
    start.update({post.id: (post.title, post.version) for post in shared})
    rows = {
        row["id"]: row
        for row in Post.objects.filter(author__username__startswith=f"{USER_PREFIX}{label}-")
        .values("id", "title", "version")
        .iterator()
    }

    # Posts nobody created (or created twice) and posts whose deletion was answered.
    unknown_titles = Counter(create_unknown)
    for post_id, row in rows.items():
        if post_id in start:
            continue
        if unknown_titles[row["title"]] > 0:
            unknown_titles[row["title"]] -= 1  # a create whose answer was lost did happen
            continue
        problems.append(f"post {post_id} {row['title']!r} exists but no answered request made it")
    for post_id in deleted:
        if post_id in rows:
            problems.append(f"post {post_id} was deleted (302) but still exists")

    by_post: dict[int, list[Edit]] = {}
    for edit in edits:
        by_post.setdefault(edit.post_id, []).append(edit)
    for post_id, (title, version) in start.items():
        if post_id in deleted:
            continue
        row = rows.get(post_id)
        if row is None:
            if post_id not in delete_unknown:
                problems.append(f"post {post_id} {title!r} was created (302) but is missing")
            continue
        saved = sorted(
            (e for e in by_post.get(post_id, []) if e.outcome == "ok"),
            key=lambda e: e.loaded_version,
        )
        unknown = [e for e in by_post.get(post_id, []) if e.outcome == "unknown"]
        loaded = Counter(e.loaded_version for e in saved)
        for seen, times in loaded.items():
            if times > 1:
                problems.append(
                    f"post {post_id}: {times} saves succeeded from version {seen} (a lost update)"
                )
        expected_title = saved[-1].title if saved else title
        expected_version = version + len(saved)
        if not unknown:
            if row["title"] != expected_title:
                problems.append(
                    f"post {post_id}: title {row['title']!r}, expected {expected_title!r}"
                )
            if row["version"] != expected_version:
                problems.append(
                    f"post {post_id}: version {row['version']}, expected {expected_version} "
                    f"({len(saved)} successful edits)"
                )
        elif row["title"] not in {expected_title, *(e.title for e in unknown)}:
            problems.append(f"post {post_id}: title {row['title']!r} matches no edit")

    titles = Counter(row["title"] for row in rows.values())
    problems.extend(f"title {t!r} is stored {n} times" for t, n in titles.items() if n > 1)

    creations = Counter(
        Post.history.filter(id__in=list(created), history_type="+").values_list("id", flat=True)
    )
    problems.extend(
        f"post {post_id} has {creations[post_id]} creation records"
        for post_id in created
        if creations[post_id] != 1
    )
    return problems


# ------------------------------------------------------------------------- run


@dataclass
class RunResult:
    label: str
    seconds: float
    load: float = 0.0
    requests: int = 0
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    server_errors: int = 0
    client_errors: int = 0
    no_answer: int = 0
    created: int = 0
    create_refused: int = 0
    edits_ok: int = 0
    edits_refused: int = 0
    edits_unknown: int = 0
    edits_invalid: int = 0
    lost_input: int = 0
    deleted: int = 0
    after_redis_stop: int | None = None
    errors_logged: int = 0
    cache_failures_logged: int = 0
    worker_timeouts: int = 0
    problems: list[str] = field(default_factory=list)
    statuses: dict[str, int] = field(default_factory=dict)
    by_kind: dict[str, tuple[int, float, float]] = field(default_factory=dict)


def scan_log(path: Path) -> tuple[int, int, int]:
    """Count Django's request errors, the cache's failure lines and gunicorn worker timeouts."""
    errors = cache_failures = timeouts = 0
    if not path.exists():
        return 0, 0, 0
    for line in path.read_text(errors="replace").splitlines():
        if "WORKER TIMEOUT" in line:
            timeouts += 1
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
        except ValueError:
            continue
        if entry.get("logger") == "django.request" and entry.get("level") == "ERROR":
            errors += 1
        elif entry.get("logger") == "camp.cache":
            cache_failures += 1
    return errors, cache_failures, timeouts


def percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[round(q) - 1]


def soak_run(
    label: str,
    *,
    env: dict[str, str],
    args: argparse.Namespace,
    own_redis: OwnRedis | None,
) -> RunResult:
    names, shared = make_accounts(label, args.clients)
    post_ids, user_ids = browse_ids()
    port = free_port()
    log_path = RESULTS / f"soak-{label}.log"
    log_path.unlink(missing_ok=True)
    stop = threading.Event()
    timer: threading.Timer | None = None
    clients: list[SoakClient] = []
    print(
        f"[{label}] gunicorn on {HOST}:{port}, {args.clients} clients, {args.duration} s"
        + (
            f", redis-server :{own_redis.port} stops at {args.duration / 2:.0f} s"
            if own_redis
            else ""
        ),
        flush=True,
    )
    load = load_average()
    with gunicorn(env, port, log_path):
        started = time.monotonic()
        for index, name in enumerate(names, start=1):
            clients.append(
                SoakClient(
                    port=port,
                    username=name,
                    label=label,
                    index=index,
                    seed=args.seed * 1000 + index,
                    post_ids=post_ids,
                    user_ids=user_ids,
                    shared=shared,
                    started=started,
                    stop=stop,
                )
            )
        if own_redis:

            def stop_redis() -> None:
                own_redis.stop()
                own_redis.stopped_at = time.monotonic() - started
                print(
                    f"[{label}] redis-server stopped at {own_redis.stopped_at:.1f} s", flush=True
                )

            timer = threading.Timer(args.duration / 2, stop_redis)
            timer.start()
        try:
            for client in clients:
                client.start()
            deadline = started + args.duration
            while time.monotonic() < deadline and any(c.is_alive() for c in clients):
                time.sleep(0.5)
        finally:
            stop.set()
            if timer:
                timer.cancel()
            for client in clients:
                client.join(timeout=60)
        seconds = time.monotonic() - started
    for client in clients:
        if client.crash:
            raise RuntimeError(f"client {client.name} failed: {client.crash!r}") from client.crash

    ledgers = [client.ledger for client in clients]
    samples = [s for ledger in ledgers for s in ledger.samples]
    edits = [e for ledger in ledgers for e in ledger.edits]
    latencies = [s.ms for s in samples if s.status is not None]
    result = RunResult(label=label, seconds=round(seconds, 1), load=round(load, 1))
    result.requests = len(samples)
    result.rps = round(len(samples) / seconds, 1)
    result.p50_ms = round(percentile(latencies, 50), 1)
    result.p99_ms = round(percentile(latencies, 99), 1)
    result.server_errors = sum(1 for s in samples if s.status is not None and s.status >= 500)
    result.client_errors = sum(
        1 for s in samples if s.status is not None and 400 <= s.status < 500
    )
    result.no_answer = sum(1 for s in samples if s.status is None)
    result.statuses = dict(
        sorted(Counter(f"{s.method} {s.kind} {s.status}" for s in samples).items())
    )
    kinds: dict[str, list[float]] = {}
    for sample in samples:
        if sample.status is not None:
            kinds.setdefault(f"{sample.method} {sample.kind}", []).append(sample.ms)
    result.by_kind = {
        kind: (len(ms), round(percentile(ms, 50), 1), round(percentile(ms, 99), 1))
        for kind, ms in sorted(kinds.items())
    }
    result.created = sum(len(ledger.created) for ledger in ledgers)
    result.create_refused = sum(ledger.create_refused for ledger in ledgers)
    result.edits_ok = sum(1 for e in edits if e.outcome == "ok")
    result.edits_refused = sum(1 for e in edits if e.outcome == "refused")
    result.edits_unknown = sum(1 for e in edits if e.outcome == "unknown")
    result.edits_invalid = sum(1 for e in edits if e.outcome == "invalid")
    result.lost_input = sum(ledger.lost_input for ledger in ledgers)
    result.deleted = sum(len(ledger.deleted) for ledger in ledgers)
    if own_redis and own_redis.stopped_at is not None:
        result.after_redis_stop = sum(1 for s in samples if s.at >= own_redis.stopped_at)
    result.errors_logged, result.cache_failures_logged, result.worker_timeouts = scan_log(log_path)
    result.problems = check_data(label, ledgers, shared)
    return result


def print_results(results: list[RunResult]) -> None:
    def cell(result: RunResult, key: str) -> str:
        if key == "latency":
            return f"{result.p50_ms:.1f} / {result.p99_ms:.1f}"
        if key == "edits":
            return f"{result.edits_ok} / {result.edits_refused} / {result.edits_unknown}"
        if key == "check":
            return "OK" if not result.problems else f"FAIL ({len(result.problems)})"
        value = getattr(result, key)
        return "-" if value is None else f"{value:,}" if isinstance(value, int) else str(value)

    rows = [
        ("load average at start", "load"),
        ("seconds", "seconds"),
        ("requests", "requests"),
        ("req/s", "rps"),
        ("p50 / p99 ms", "latency"),
        ("5xx", "server_errors"),
        ("4xx", "client_errors"),
        ("no answer", "no_answer"),
        ("server errors logged", "errors_logged"),
        ("worker timeouts", "worker_timeouts"),
        ("cache failure log lines", "cache_failures_logged"),
        ("posts created", "created"),
        ("creates refused", "create_refused"),
        ("edits ok / refused / unknown", "edits"),
        ("edits with field errors", "edits_invalid"),
        ("refused edits that lost input", "lost_input"),
        ("posts deleted", "deleted"),
        ("requests after Redis stopped", "after_redis_stop"),
        ("data check", "check"),
    ]
    print()
    print(
        table(
            ["", *(r.label for r in results)],
            [[title, *(cell(r, key) for r in results)] for title, key in rows],
        )
    )
    kinds = sorted({kind for result in results for kind in result.by_kind})
    print()
    print(
        table(
            ["n, p50 / p99 ms", *(r.label for r in results)],
            [
                [
                    kind,
                    *(
                        "{:,}, {} / {}".format(*r.by_kind[kind]) if kind in r.by_kind else "-"
                        for r in results
                    ),
                ]
                for kind in kinds
            ],
        )
    )
    for result in results:
        for problem in result.problems[:20]:
            print(f"[{result.label}] {problem}")
        if len(result.problems) > 20:
            print(f"[{result.label}] ... and {len(result.problems) - 20} more")
        odd = {k: n for k, n in result.statuses.items() if not re.search(r" (200|302)$", k)}
        if odd:
            print(f"[{result.label}] other answers: {odd}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=180, help="seconds per run [180]")
    parser.add_argument("--clients", type=int, default=12, help="client threads [12]")
    parser.add_argument("--workers", type=int, help="gunicorn workers [gunicorn.conf.py]")
    parser.add_argument("--threads", type=int, help="threads per worker [gunicorn.conf.py]")
    parser.add_argument("--seed", type=int, default=1, help="random seed of the clients [1]")
    parser.add_argument(
        "--runs", choices=["both", "up", "down"], default="both", help="which runs [both]"
    )
    parser.add_argument("--json", type=Path, help="also write the results as JSON here")
    args = parser.parse_args()
    args.duration = max(10, min(args.duration, MAX_DURATION))
    args.clients = max(1, min(args.clients, 64))
    require_tools(GUNICORN)
    exit_on_sigterm()
    RESULTS.mkdir(parents=True, exist_ok=True)

    results: list[RunResult] = []
    own_redis: OwnRedis | None = None
    with tempfile.TemporaryDirectory(prefix="camp-soak-") as scratch:
        extra = {"BENCH_STATIC_ROOT": str(Path(scratch) / "static"), "LOG_LEVEL": "WARNING"}
        if args.workers:
            extra["WEB_CONCURRENCY"] = str(args.workers)
        if args.threads:
            extra["GUNICORN_THREADS"] = str(args.threads)
        env = bench_env(
            database=SOAK_DB, REDIS_URL=SOAK_REDIS, CACHE_KEY_PREFIX=SOAK_PREFIX, **extra
        )
        try:
            forget_soak_keys()
            prepare(env)
            setup_django(env)
            remove_soak_users()
            if args.runs in ("both", "up"):
                results.append(soak_run("redis-up", env=env, args=args, own_redis=None))
                forget_soak_keys()
            if args.runs in ("both", "down"):
                own_redis = OwnRedis()
                own_redis.start()
                down_env = {**env, "REDIS_URL": own_redis.url}
                results.append(
                    soak_run("redis-stopped", env=down_env, args=args, own_redis=own_redis)
                )
        finally:
            if own_redis:
                own_redis.stop()
            forget_soak_keys()

    print_results(results)
    if args.json:
        args.json.write_text(json.dumps([asdict(r) for r in results], indent=2))
    failed = [
        r.label
        for r in results
        if r.problems or r.server_errors or r.errors_logged or r.no_answer or r.lost_input
    ]
    if failed:
        sys.exit(f"soak failed: {', '.join(failed)}")


if __name__ == "__main__":
    main()
