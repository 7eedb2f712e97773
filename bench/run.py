"""Camp's page benchmark: each main page under gunicorn + wrk, against two baselines.

    .venv/bin/python bench/run.py            # or: make bench
    .venv/bin/python bench/run.py --sweep    # pick gunicorn workers x threads

It prepares the `camp_bench` PostgreSQL database (migrated, 100,000 demo users
and 1,000,000 posts, seeded once and reused), starts gunicorn with
gunicorn.conf.py and DEBUG off on a free loopback port, logs in through the
real login form, and drives `wrk` against each page, next to

  B0  /bench/floor/                  a tiny page behind the same middleware and login
  B1  /bench/stock-admin/posts/post/ a stock ModelAdmin for Post (full counts)

Queries per page are counted in this process with Django's test client on the
same database and settings. It then times search with and without the
trigram indexes, and (through bench/seed.py) seeding against a plain
bulk_create loop, and prints the goal checks. Nothing leaves 127.0.0.1.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import runpy
import statistics
import subprocess
import tempfile
import time
import urllib.parse
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from common import (
    BENCH_DB,
    BENCH_DIR,
    BENCH_USER,
    GUNICORN,
    GUNICORN_CONF,
    PYTHON,
    RESULTS,
    WRK,
    CpuMeter,
    add_load_options,
    add_quiet_options,
    bench_env,
    check_ok,
    ensure_bench_user,
    ensure_database,
    exit_on_sigterm,
    free_port,
    gunicorn,
    load_average,
    login,
    manage,
    require_tools,
    setup_django,
    table,
    wait_for_quiet,
    wrk,
)

SEED_USERS = 100_000
SEED_POSTS = 1_000_000
PER_PAGE = 25
DEEP_PAGE = 10_000
#: (created_at, id) of this row (1-based, default ordering) is the `after`
#: cursor of page DEEP_PAGE: the last row of the page before it.
DEEP_CURSOR_ROW = (DEEP_PAGE - 1) * PER_PAGE
SEARCH_ROUNDS = 3
VACUUM_TABLES = (
    "posts_post",
    "posts_postsearch",
    "users_user",
    "posts_historicalpost",
    "users_historicaluser",
)
TRIGRAM_INDEXES = ("posts_postsearch_title_trgm", "posts_postsearch_content_trgm")
#: The indexes of the text the marker words go into (a title), dropped while
#: they are written.
TITLE_INDEXES = ("posts_postsearch_title_trgm", "posts_postsearch_phrase_trgm")
# Common words of the demo data (about 225,000 and 49,000 matching posts), two
# phrases (about 900 and 1,100) and a two-character word trigrams cannot serve.
SEARCHES = ("coffee", "ラーメン", "river coffee", "京都温泉", "温泉")
#: Marker words the bench writes into the titles of a known share of posts
#: (`mark_search_words`): (key, word, id modulus, remainders). The demo data
#: never uses them, so each matches exactly that share, whatever the seed.
MARKERS = (
    ("w01_en", "quokka", 1000, (0,)),
    ("w1_en", "narwhal", 100, (1,)),
    ("w10_en", "walrus", 10, (2,)),
    ("w30_en", "puffin", 10, (3, 4, 5)),
    ("w01_ja", "ヤマネコ", 1000, (0,)),
    ("w1_ja", "カワウソ", 100, (1,)),
    ("w10_ja", "シマリス", 10, (2,)),
    ("w30_ja", "モモンガ", 10, (3, 4, 5)),
)
MARKER_SHARE = {"w01": "0.1 %", "w1": "1 %", "w10": "10 %", "w30": "30 %"}
WORD_KEYS = tuple(key for key, *_ in MARKERS)
PHRASE_KEYS = ("phrase_en", "phrase_ja")
ONE_CONNECTION_KEYS = frozenset(
    (
        "admin",
        "list",
        "deep",
        "deep_offset",
        "search_en",
        "search_ja",
        "search_ja2",
        *PHRASE_KEYS,
        *WORD_KEYS,
        "author",
        "users_posts",
    )
)


@dataclass
class Endpoint:
    key: str
    name: str
    path: str
    queries: int | None = None
    queries_first: int | None = None
    solo_ms: float | None = None
    rps: float | None = None
    p50_ms: float | None = None
    p99_ms: float | None = None
    # One connection, one request at a time, over HTTP: a person's wait on an
    # otherwise idle server (the search pages and the lists only).
    p50_one_ms: float | None = None
    requests: int | None = None
    errors: int | None = None
    load: float | None = None
    busy: float | None = None
    cpu_ms: float | None = None
    server_cpu: float | None = None
    others_cpu: float | None = None
    rounds_rps: list[float] = field(default_factory=list)
    vs_b0: float | None = None
    vs_b1: float | None = None


@dataclass
class Goal:
    name: str
    met: bool | None
    detail: str


@dataclass
class Report:
    started: str
    machine: dict = field(default_factory=dict)
    gunicorn: dict = field(default_factory=dict)
    seeding: dict = field(default_factory=dict)
    targets: dict = field(default_factory=dict)
    endpoints: list[Endpoint] = field(default_factory=list)
    search: list[dict] = field(default_factory=list)
    seed_bench: dict | None = None
    goals: list[Goal] = field(default_factory=list)


# ----------------------------------------------------------------------- setup


def prepare(env: dict[str, str], report: Report) -> None:
    """Create, migrate and seed camp_bench (once), collect static files, create the bench user."""
    created = ensure_database(BENCH_DB)
    print(f"{'created' if created else 'reusing'} database {BENCH_DB}; migrating ...", flush=True)
    manage("migrate", "--no-input", "-v", "0", env=env)

    from posts.models import Post
    from users.models import User

    posts = Post.objects.count()
    if posts < SEED_POSTS:
        print(
            f"{BENCH_DB} has {posts:,} posts (< {SEED_POSTS:,}): seeding "
            f"{SEED_USERS:,} users and {SEED_POSTS:,} posts ...",
            flush=True,
        )
        started = time.monotonic()
        subprocess.run(
            [
                str(PYTHON),
                "manage.py",
                "seed_demo",
                "--users",
                str(SEED_USERS),
                "--posts",
                str(SEED_POSTS),
                "--seed",
                "1",
                "--reset",
            ],
            cwd=BENCH_DIR.parent,
            env=env,
            check=True,
            timeout=3600,
        )
        report.seeding = {"seeded": True, "seconds": round(time.monotonic() - started, 1)}
        print(f"seeded in {report.seeding['seconds']:.1f} s", flush=True)
        _remember_seed_time(report.seeding["seconds"])
    else:
        report.seeding = {"seeded": False, **_remembered_seed_time()}
    report.seeding.update(posts=Post.objects.count(), users=User.objects.count())
    report.seeding["marked"] = mark_search_words()
    report.seeding["vacuumed"] = vacuum_if_needed()

    print("collectstatic ...", flush=True)
    manage("collectstatic", "--no-input", "-v", "0", env=env)
    ensure_bench_user()


def mark_search_words() -> bool:
    """Append the MARKERS words to the titles of their share of posts, once.

    Chosen by id, so the shares hold whatever the seed: 0.1 %, 1 %, 10 % and
    30 % of the posts, each with an English and a Japanese word (the sets do
    not overlap). The titles' trigram indexes are dropped for the UPDATE and
    built again after it (updating a GIN index row by row is far slower).
    Returns whether it wrote anything.
    """
    from django.db import connection, transaction

    first_word, modulus, remainders = MARKERS[0][1:]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT title LIKE %s FROM posts_post WHERE id %% %s = ANY(%s) ORDER BY id LIMIT 1",
            [f"% {first_word} %", modulus, list(remainders)],
        )
        row = cursor.fetchone()
    if row is None or row[0]:
        return False
    groups: dict[tuple[int, tuple[int, ...]], list[str]] = {}
    for _key, word, modulus, remainders in MARKERS:
        groups.setdefault((modulus, remainders), []).append(word)
    cases = []
    params: list = []
    for (modulus, remainders), words in groups.items():
        cases.append("WHEN id %% %s = ANY(%s) THEN %s")
        params += [modulus, list(remainders), " " + " ".join(words) + " "]
    print("writing the search marker words into post titles ...", flush=True)
    started = time.monotonic()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes WHERE indexname = ANY(%s)",
            [list(TITLE_INDEXES)],
        )
        indexes = cursor.fetchall()
        for name, _definition in indexes:
            cursor.execute(f'DROP INDEX "{name}"')
        where = " OR ".join("id %% %s = ANY(%s)" for _ in groups)
        where_params = [v for (modulus, remainders) in groups for v in (modulus, list(remainders))]
        cursor.execute(
            f"UPDATE posts_post SET title = title || CASE {' '.join(cases)} END WHERE {where}",  # noqa: S608 (constants)
            params + where_params,
        )
        for _name, definition in indexes:
            cursor.execute(definition)
    print(f"marked in {time.monotonic() - started:.1f} s", flush=True)
    return True


def vacuum_if_needed() -> list[str]:
    """VACUUM (ANALYZE) the big tables if many rows arrived since their last vacuum.

    seed_demo only ANALYZEs. Until a table is vacuumed its visibility map is
    empty (index-only scans visit the heap) and the first read of each row
    writes its hint bits, which made the first runs several times slower.
    Production has autovacuum for this; a bench server may not (this one has
    it off), so the bench does it itself.
    """
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT relname FROM pg_stat_user_tables WHERE relname = ANY(%s) "
            "AND n_ins_since_vacuum + n_dead_tup > 0.1 * GREATEST(n_live_tup, 1000)",
            [list(VACUUM_TABLES)],
        )
        tables = [row[0] for row in cursor.fetchall()]
        if tables:
            print(f"VACUUM (ANALYZE) {', '.join(tables)} ...", flush=True)
            started = time.monotonic()
            cursor.execute(f"VACUUM (ANALYZE) {', '.join(tables)}")
            print(f"vacuumed in {time.monotonic() - started:.1f} s", flush=True)
    return tables


def _remember_seed_time(seconds: float) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    payload = {"seconds": seconds, "at": datetime.now(UTC).isoformat(timespec="seconds")}
    (RESULTS / "seed_time.json").write_text(json.dumps(payload))


def _remembered_seed_time() -> dict:
    try:
        previous = json.loads((RESULTS / "seed_time.json").read_text())
    except (OSError, ValueError):
        return {}
    return {"previous_seconds": previous["seconds"], "previous_at": previous["at"]}


def find_targets(report: Report) -> dict[str, str]:
    """Pick the rows the detail, filter and deep-page URLs point at."""
    from django.db.models import Count

    from camp.lists.paginator import encode_cursor
    from posts.models import Post
    from users.models import User

    moment, pk = Post.objects.order_by("-created_at", "-id").values_list("created_at", "id")[
        DEEP_CURSOR_ROW - 1
    ]
    top = (
        Post.objects.values("author")
        .annotate(posts=Count("id"))
        .order_by("-posts", "author")
        .first()
    )
    author = User.objects.get(pk=top["author"])
    post = Post.objects.order_by("-created_at", "-id").first()
    report.targets = {
        "deep_cursor_row": DEEP_CURSOR_ROW,
        "deep_cursor": encode_cursor(moment, pk),
        "author": author.username,
        "author_id": author.pk,
        "author_posts": top["posts"],
        "post_id": post.pk,
    }
    return report.targets


def endpoints(targets: dict) -> list[Endpoint]:
    quote = urllib.parse.quote
    return [
        Endpoint("B0", "B0 floor", "/bench/floor/"),
        Endpoint("B0L", "B0 floor + layout", "/bench/floor/layout/"),
        Endpoint("B1", "B1 stock admin", "/bench/stock-admin/posts/post/"),
        Endpoint("admin", "Camp admin posts", "/admin/posts/post/"),
        Endpoint("list", "post list p1", "/posts/"),
        Endpoint("list_cached", "post list p1, page cached", "/bench/cached/posts/"),
        Endpoint(
            "deep",
            f"post list p{DEEP_PAGE:,} seek",
            f"/posts/?page={DEEP_PAGE}&after={targets['deep_cursor']}",
        ),
        Endpoint("deep_offset", f"post list p{DEEP_PAGE:,} offset", f"/posts/?page={DEEP_PAGE}"),
        Endpoint("search_en", "search 'coffee'", "/posts/?q=coffee"),
        Endpoint("search_ja", "search 'ラーメン'", f"/posts/?q={quote('ラーメン')}"),
        Endpoint("search_ja2", "search '温泉' (2 chars)", f"/posts/?q={quote('温泉')}"),
        Endpoint("phrase_en", "search 'river coffee'", f"/posts/?q={quote('river coffee')}"),
        Endpoint("phrase_ja", "search '京都温泉'", f"/posts/?q={quote('京都温泉')}"),
        *(
            Endpoint(
                key,
                f"search '{word}' ({MARKER_SHARE[key.split('_')[0]]})",
                f"/posts/?q={quote(word)}",
            )
            for key, word, _modulus, _remainders in MARKERS
        ),
        Endpoint("author", "posts by author", f"/posts/?author={quote(targets['author'])}"),
        Endpoint("users_posts", "users by post count", "/users/?sort=-posts"),
        Endpoint("post", "post detail", f"/posts/{targets['post_id']}/"),
        Endpoint("user", "user detail", f"/users/{targets['author_id']}/"),
        Endpoint("home", "dashboard home", "/"),
    ]


# ------------------------------------------------------------- in-process work


def count_queries(eps: list[Endpoint]) -> None:
    """Queries per page with the test client, logged in as the bench user; solo latency."""
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext

    from users.models import User

    client = Client()
    client.force_login(User.objects.get(username=BENCH_USER))
    for ep in eps:
        with CaptureQueriesContext(connection) as first:
            response = client.get(ep.path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {ep.path} in-process: HTTP {response.status_code}")
        with CaptureQueriesContext(connection) as warm:
            client.get(ep.path)
        ep.queries_first, ep.queries = len(first), len(warm)
        times = []
        for _ in range(5):
            started = time.perf_counter()
            client.get(ep.path)
            times.append((time.perf_counter() - started) * 1000)
        # The best of five: on a shared machine the others only ever add time.
        ep.solo_ms = round(min(times), 2)
        print(
            f"  {ep.name:<28} {ep.queries} queries ({ep.queries_first} on first load), "
            f"{ep.solo_ms:.1f} ms alone",
            flush=True,
        )


def _search_once(query: str) -> tuple[float, list[str]]:
    """Run what the post list does for `?q=query` (count, page 1); return ms and its SQL."""
    from django.db import connection
    from django.http import QueryDict
    from django.test.utils import CaptureQueriesContext

    from camp.lists.paginator import SeekPaginator
    from posts.selectors import post_list

    params = QueryDict(urllib.parse.urlencode({"q": query}))
    with CaptureQueriesContext(connection) as captured:
        started = time.perf_counter()
        queryset = post_list(params=params).qs
        page = SeekPaginator(queryset, PER_PAGE, key=("created_at", "id")).page(1)
        len(page.object_list)
        elapsed = (time.perf_counter() - started) * 1000
    return elapsed, [q["sql"] for q in captured.captured_queries]


def _indexes_in_plan(sql: str) -> list[str]:
    from django.db import connection

    if sql.lstrip().upper().startswith("EXPLAIN"):
        return []  # the paginator's own row estimate
    with connection.cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}")
        (plan,) = cursor.fetchone()
    if isinstance(plan, str):
        plan = json.loads(plan)
    found: list[str] = []

    def walk(node: dict) -> None:
        if name := node.get("Index Name"):
            found.append(name)
        for child in node.get("Plans", []):
            walk(child)

    walk(plan[0]["Plan"])
    return found


def _best(query: str, *setup: str) -> tuple[float, list[str]]:
    """Best of SEARCH_ROUNDS, inside a transaction that runs `setup` and is rolled back."""
    from django.db import connection, transaction

    best, plans = float("inf"), []
    for _ in range(SEARCH_ROUNDS):
        with transaction.atomic():
            with connection.cursor() as cursor:
                for statement in setup:
                    cursor.execute(statement)
            elapsed, sqls = _search_once(query)
            if not plans:
                plans = sorted({i for sql in sqls for i in _indexes_in_plan(sql)})
            transaction.set_rollback(True)
        best = min(best, elapsed)
    return best, plans


def search_without_index(report: Report) -> None:
    """Time the search page's ORM work with the trigram indexes, without them, and with
    PostgreSQL's index scans switched off (the rolled-back transaction keeps the indexes)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname FROM pg_indexes WHERE indexname = ANY(%s)", [list(TRIGRAM_INDEXES)]
        )
        present = {row[0] for row in cursor.fetchall()}
    for query in SEARCHES:
        _best(query)  # warm the buffer cache
        indexed, indexed_plan = _best(query)
        row = {"query": query, "indexed_ms": round(indexed, 2), "indexed_plan": indexed_plan}
        if present == set(TRIGRAM_INDEXES):
            dropped, dropped_plan = _best(query, f"DROP INDEX {', '.join(TRIGRAM_INDEXES)}")
            row.update(no_trigram_ms=round(dropped, 2), no_trigram_plan=dropped_plan)
            row["ratio_no_trigram"] = round(dropped / indexed, 1)
        scans_off, scans_off_plan = _best(
            query, "SET LOCAL enable_bitmapscan = off", "SET LOCAL enable_indexscan = off"
        )
        row.update(scans_off_ms=round(scans_off, 2), scans_off_plan=scans_off_plan)
        row["ratio_scans_off"] = round(scans_off / indexed, 1)
        report.search.append(row)
        print(
            f"  {query!r}: {indexed:.1f} ms with the indexes "
            f"({', '.join(indexed_plan) or 'no index'}); "
            + (
                f"{row['no_trigram_ms']:.1f} ms without the trigram indexes "
                f"({row['ratio_no_trigram']}x); "
                if "no_trigram_ms" in row
                else "trigram indexes missing; "
            )
            + f"{scans_off:.1f} ms with index scans off ({row['ratio_scans_off']}x)",
            flush=True,
        )
    connection.close()


# -------------------------------------------------------------------- gunicorn


def gunicorn_settings(extra: dict[str, str]) -> dict:
    """The workers and threads gunicorn.conf.py gives with `extra` in the environment."""
    saved = dict(os.environ)
    try:
        for name in ("WEB_CONCURRENCY", "GUNICORN_THREADS"):
            os.environ.pop(name, None)
        os.environ.update(extra)
        conf = runpy.run_path(str(GUNICORN_CONF))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    return {
        "workers": conf["workers"],
        "threads": conf["threads"],
        "worker_class": conf["worker_class"],
        "max_requests": conf["max_requests"],
    }


def measure(
    env: dict[str, str], eps: list[Endpoint], args: argparse.Namespace, log_dir: Path, label: str
) -> None:
    port = free_port()
    with gunicorn(env, port, log_dir / f"gunicorn-{label}.log") as proc:
        cookie = login(port)
        for ep in eps:
            check_ok(port, ep.path, cookie)
        for ep in eps:
            kept = None
            for attempt in range(1 + args.retries):
                # Others' work on a shared machine skews every number: start in a quiet
                # moment, and run again if they were busy all the same.
                busy = wait_for_quiet(args.quiet_below, args.quiet_wait)
                load = round(load_average(), 2)
                if args.warmup:
                    wrk(port, ep.path, cookie, duration=args.warmup, connections=args.connections)
                with CpuMeter(proc.pid, BENCH_DB) as meter:
                    result = wrk(
                        port, ep.path, cookie, duration=args.duration, connections=args.connections
                    )
                if kept is None or meter.others_pct < kept[1].others_pct:
                    kept = (result, meter, busy, load)
                if meter.others_pct <= args.max_others:
                    break
                if attempt < args.retries:
                    print(
                        f"  {ep.name:<28} others used {meter.others_pct}% of the CPU "
                        f"({result.rps:.1f} req/s): again",
                        flush=True,
                    )
                # A 302 to the login page is not an error to wrk: make sure the session
                # lived through the run (anyone resetting the bench user's password ends it).
                check_ok(port, ep.path, cookie)
            result, meter, ep.busy, ep.load = kept
            ep.rps, ep.p50_ms, ep.p99_ms = result.rps, result.p50_ms, result.p99_ms
            ep.requests, ep.errors = result.requests, result.errors
            ep.server_cpu, ep.others_cpu = meter.server_pct, meter.others_pct
            ep.cpu_ms = round(1000 * meter.server_s / max(result.requests, 1), 2)
            if not result.requests:
                # Nothing finished within the run: wrk's latencies are empty.
                ep.p50_ms = ep.p99_ms = ep.cpu_ms = None
            if ep.key in ONE_CONNECTION_KEYS:
                one = wrk(port, ep.path, cookie, duration=args.duration, connections=1, threads=1)
                ep.p50_one_ms = one.p50_ms if one.requests else None
            print(
                f"  {ep.name:<28} {ep.rps:>8.1f} req/s  p50 {fmt(ep.p50_ms):>7} ms  "
                f"p99 {fmt(ep.p99_ms):>7} ms  {fmt(ep.cpu_ms)} CPU ms/req  errors {ep.errors}  "
                f"CPU: server {ep.server_cpu}%, others {ep.others_cpu}%"
                + (f"  one connection: p50 {fmt(ep.p50_one_ms)} ms" if ep.p50_one_ms else ""),
                flush=True,
            )


def measure_rounds(
    env: dict[str, str], eps: list[Endpoint], args: argparse.Namespace, log_dir: Path
) -> None:
    """Measure every page `--rounds` times, in alternating order; keep the medians in `eps`."""
    runs: dict[str, list[Endpoint]] = {ep.key: [] for ep in eps}
    for round_no in range(args.rounds):
        if args.rounds > 1:
            print(f"round {round_no + 1}/{args.rounds}:", flush=True)
        fresh = [replace(ep) for ep in eps]
        order = fresh if round_no % 2 == 0 else fresh[::-1]
        measure(env, order, args, log_dir, f"run-{round_no + 1}")
        for ep in fresh:
            runs[ep.key].append(ep)
    for ep in eps:
        done = runs[ep.key]
        for attr in (
            "rps",
            "p50_ms",
            "p99_ms",
            "p50_one_ms",
            "cpu_ms",
            "server_cpu",
            "busy",
            "load",
        ):
            values = [v for r in done if (v := getattr(r, attr)) is not None]
            setattr(ep, attr, statistics.median(values) if values else None)
        ep.requests = sum(r.requests for r in done)
        ep.errors = sum(r.errors for r in done)
        ep.others_cpu = max(r.others_cpu for r in done)
        ep.rounds_rps = [r.rps for r in done]


# ------------------------------------------------------------------ the report


def ratio(a: float | None, b: float | None) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def fmt(value: float | None, spec: str = ".1f", suffix: str = "") -> str:
    return "-" if value is None else f"{value:{spec}}{suffix}"


def print_table(report: Report, args: argparse.Namespace) -> None:
    by_key = {ep.key: ep for ep in report.endpoints}
    for ep in report.endpoints:
        ep.vs_b0 = ratio(ep.rps, by_key["B0"].rps)
        ep.vs_b1 = ratio(ep.rps, by_key["B1"].rps)
    g = report.gunicorn
    print()
    print(
        f"gunicorn {g['worker_class']} {g['workers']} workers x {g['threads']} threads | "
        f"wrk -t2 -c{args.connections} -d{args.duration}s --latency (after {args.warmup} s "
        f"warm-up) | {report.machine['cpus']} CPUs | {report.seeding['posts']:,} posts, "
        f"{report.seeding['users']:,} users"
    )
    rows = [
        [
            ep.name,
            fmt(ep.rps),
            fmt(ep.p50_ms),
            fmt(ep.p99_ms),
            fmt(ep.p50_one_ms),
            fmt(ep.queries, "d"),
            fmt(ep.cpu_ms, ".1f"),
            fmt(ep.vs_b0, ".2f", "x"),
            fmt(ep.vs_b1, ".1f", "x"),
            fmt(ep.solo_ms),
            fmt(ep.errors, "d"),
            fmt(ep.others_cpu, ".0f", "%"),
        ]
        for ep in report.endpoints
    ]
    print(
        table(
            [
                "page",
                "req/s",
                "p50 ms",
                "p99 ms",
                "p50 1c",
                "queries",
                "CPU ms",
                "vs B0",
                "vs B1",
                "solo ms",
                "errors",
                "others",
            ],
            rows,
        )
    )
    rounds = f", median of {args.rounds} rounds" if args.rounds > 1 else ""
    notes = [
        f"req/s, p50, p99: wrk{rounds} ('-': no request finished within the run); "
        "vs B0/B1: req/s relative to theirs",
        "p50 1c: p50 over one connection (wrk -t1 -c1), no request waiting for another",
        "queries: SQL per request once warm (test client, same database and settings)",
        "CPU ms: gunicorn + PostgreSQL CPU time per request during the wrk run",
        "solo ms: one request at a time in-process, no HTTP (best of 5)",
        "others: share of all CPUs other people's processes used during the run (above "
        f"{args.max_others:.0f}% a run is repeated up to {args.retries} times, the quietest kept)",
    ]
    print("\n".join(notes))
    for ep in report.endpoints:
        if ep.queries_first != ep.queries:
            print(f"  {ep.name}: {ep.queries_first} queries on the first load (cold cache)")
    print("paths:")
    for ep in report.endpoints:
        print(f"  {ep.name:<28} {ep.path}")


def check_goals(report: Report) -> None:
    by_key = {ep.key: ep for ep in report.endpoints}
    goals = report.goals
    lst, b0, b1 = by_key["list"], by_key["B0"], by_key["B1"]
    goals.append(
        Goal(
            "post list >= 10x B1 req/s",
            lst.vs_b1 >= 10,
            f"{lst.rps:.1f} vs {b1.rps:.1f} req/s = {lst.vs_b1:.1f}x "
            f"(CPU per request: {lst.cpu_ms:.1f} vs {b1.cpu_ms:.1f} ms = "
            f"{b1.cpu_ms / lst.cpu_ms:.1f}x less)",
        )
    )
    # Served again from the list page cache while no record changes; rendered
    # afresh (what every page costs right after a write) in the row above.
    cached = by_key.get("list_cached")
    if cached is not None and cached.rps:
        goals.append(
            Goal(
                "post list (page cached) >= 0.5x B0 req/s",
                cached.vs_b0 >= 0.5,
                f"{cached.rps:.1f} vs {b0.rps:.1f} req/s = {cached.vs_b0:.2f}x "
                f"(CPU per request: {cached.cpu_ms:.1f} vs {b0.cpu_ms:.1f} ms); "
                f"rendered afresh: {lst.rps:.1f} req/s = {lst.vs_b0:.2f}x, "
                f"{lst.cpu_ms:.1f} ms of CPU",
            )
        )
    deep = by_key["deep"]
    goals.append(
        Goal(
            f"page {DEEP_PAGE:,} p50 <= 1.5x page 1 p50",
            deep.p50_ms <= 1.5 * lst.p50_ms,
            f"{deep.p50_ms:.1f} vs {lst.p50_ms:.1f} ms = {deep.p50_ms / lst.p50_ms:.2f}x "
            f"(without the cursor: {_latency(by_key['deep_offset'], report)}, "
            f"{by_key['deep_offset'].solo_ms:.0f} ms alone)",
        )
    )
    admin = by_key["admin"]
    goals.append(
        Goal(
            "Camp admin posts >= 10x B1 req/s",
            admin.vs_b1 is not None and admin.vs_b1 >= 10,
            f"{fmt(admin.rps)} vs {fmt(b1.rps)} req/s = {fmt(admin.vs_b1)}x "
            f"(CPU per request: {fmt(admin.cpu_ms)} vs {fmt(b1.cpu_ms)} ms; "
            f"{admin.solo_ms:.1f} vs {b1.solo_ms:.1f} ms in-process)",
        )
    )
    offset = by_key["deep_offset"]
    goals.append(
        Goal(
            f"typed page {DEEP_PAGE:,} (no cursor) p50 <= 2x page 1 p50, one connection",
            offset.p50_one_ms is not None
            and lst.p50_one_ms is not None
            and offset.p50_one_ms <= 2 * lst.p50_one_ms,
            f"{fmt(offset.p50_one_ms)} vs {fmt(lst.p50_one_ms)} ms = "
            f"{fmt(ratio(offset.p50_one_ms, lst.p50_one_ms), '.2f')}x "
            f"({offset.solo_ms:.1f} vs {lst.solo_ms:.1f} ms in-process)",
        )
    )
    users_posts = by_key["users_posts"]
    goals.append(
        Goal(
            "users sorted by post count p50 < 50 ms, one connection",
            users_posts.p50_one_ms is not None and users_posts.p50_one_ms < 50,
            f"p50 {fmt(users_posts.p50_one_ms)} ms over one connection; "
            f"{users_posts.solo_ms:.1f} ms in-process ({report.seeding['users']:,} users)",
        )
    )
    search_keys = ("search_en", "search_ja", *WORD_KEYS, *PHRASE_KEYS, "search_ja2")
    for key in search_keys:
        ep = by_key[key]
        limit = 100 if key in PHRASE_KEYS else 50
        goals.append(
            Goal(
                f"{'(extra) ' if key == 'search_ja2' else ''}{ep.name} p50 < {limit} ms",
                ep.p50_one_ms is not None and ep.p50_one_ms < limit,
                f"p50 {fmt(ep.p50_one_ms)} ms over one connection ({_latency(ep, report)} "
                f"under {report.gunicorn['connections']} connections, where requests queue "
                f"for the {report.gunicorn['workers']} workers); {ep.solo_ms:.1f} ms in-process"
                + ("; trigrams need 3+ characters" if key == "search_ja2" else ""),
            )
        )
    for row in report.search:
        if row["query"] == "温泉":
            continue
        if "ratio_no_trigram" in row:
            goals.append(
                Goal(
                    f"search {row['query']!r} >= 20x faster than without the trigram indexes",
                    row["ratio_no_trigram"] >= 20,
                    f"{row['indexed_ms']:.1f} vs {row['no_trigram_ms']:.1f} ms = "
                    f"{row['ratio_no_trigram']}x (with all index scans off: "
                    f"{row['scans_off_ms']:.1f} ms = {row['ratio_scans_off']}x)",
                )
            )
        else:
            goals.append(Goal(f"search {row['query']!r} index", False, "trigram indexes missing"))
    seed = report.seed_bench
    if seed:
        goals.append(
            Goal(
                "seeding >= 5x faster than a bulk_create loop",
                seed["ratio"] >= 5,
                f"seed_demo {seed['seed_demo_s']:.1f} s vs bulk_create loop "
                f"{seed['bulk_create_s']:.1f} s = {seed['ratio']:.1f}x "
                f"({seed['users']:,} users + {seed['posts']:,} posts)"
                + (f"; from an earlier run ({seed['at']})" if seed.get("reused") else ""),
            )
        )
    else:
        goals.append(Goal("seeding >= 5x faster than a bulk_create loop", None, "not measured"))

    print()
    s = report.seeding
    if s.get("seeded"):
        print(f"seeding {SEED_USERS:,} users + {SEED_POSTS:,} posts: {s['seconds']:.1f} s")
    elif "previous_seconds" in s:
        print(
            f"seeding: reused {BENCH_DB}; it was seeded in {s['previous_seconds']:.1f} s "
            f"({s['previous_at']})"
        )
    else:
        print(f"seeding: reused {BENCH_DB} (seeded before this script kept the time)")
    print("goals:")
    for goal in goals:
        mark = {True: "MET   ", False: "MISSED", None: "n/a   "}[goal.met]
        print(f"  [{mark}] {goal.name}: {goal.detail}")


def _latency(ep: Endpoint, report: Report) -> str:
    if ep.p50_ms is None:
        return f"none finished in {report.gunicorn['duration']} s"
    return f"p50 {ep.p50_ms:.1f} ms"


def run_seed_bench(args: argparse.Namespace) -> dict | None:
    path = RESULTS / "seed.json"
    if args.skip_seed_bench:
        try:
            previous = json.loads(path.read_text())
        except (OSError, ValueError):
            return None
        return {**previous, "reused": True}
    print("\nseeding benchmark (bench/seed.py) ...", flush=True)
    subprocess.run(
        [str(PYTHON), str(BENCH_DIR / "seed.py"), "--json", str(path)],
        cwd=BENCH_DIR.parent,
        check=True,
        timeout=3600,
    )
    return json.loads(path.read_text())


# ----------------------------------------------------------------------- sweep


def sweep(args: argparse.Namespace, base: dict[str, str], log_dir: Path) -> None:
    """Measure B0 and the post list for each workers x threads combination.

    Rounds run the combinations in alternating order so drifting machine load
    favours none; the table shows the median of the rounds.
    """
    combos = [(w, t) for w in args.sweep_workers for t in args.sweep_threads]
    cells: dict[tuple[int, int], list[list[Endpoint]]] = {c: [] for c in combos}
    for round_no in range(args.rounds):
        order = combos if round_no % 2 == 0 else combos[::-1]
        for workers, threads in order:
            extra = {"WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}
            eps = [
                Endpoint("B0", "B0 floor", "/bench/floor/"),
                Endpoint("list", "post list p1", "/posts/"),
            ]
            print(f"round {round_no + 1}: {workers} workers x {threads} threads", flush=True)
            measure({**base, **extra}, eps, args, log_dir, f"sweep-{workers}x{threads}")
            cells[(workers, threads)].append(eps)

    rows, payload = [], []
    for workers, threads in combos:
        runs = cells[(workers, threads)]
        conf = gunicorn_settings(
            {"WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(threads)}
        )

        def median(index: int, attr: str, runs=runs) -> float:
            return statistics.median(getattr(r[index], attr) for r in runs)

        payload.append({**conf, "rounds": [[asdict(ep) for ep in r] for r in runs]})
        rows.append(
            [
                f"{workers} x {threads} ({conf['worker_class']})",
                fmt(median(0, "rps")),
                fmt(median(0, "p50_ms")),
                fmt(median(0, "cpu_ms"), ".2f"),
                fmt(median(1, "rps")),
                fmt(median(1, "p50_ms")),
                fmt(median(1, "p99_ms")),
                fmt(median(1, "cpu_ms"), ".2f"),
                fmt(median(1, "server_cpu"), ".0f", "%"),
                " / ".join(f"{r[1].rps:.0f}" for r in runs),
                fmt(max(max(ep.others_cpu or 0 for ep in r) for r in runs), ".0f", "%"),
            ]
        )
    print()
    print(
        f"wrk -t2 -c{args.connections} -d{args.duration}s per cell, median of {args.rounds} "
        f"round(s), {os.cpu_count()} CPUs"
    )
    print(
        table(
            [
                "workers x threads",
                "B0 req/s",
                "B0 p50",
                "B0 CPU ms",
                "list req/s",
                "list p50",
                "list p99",
                "list CPU ms",
                "list server CPU",
                "list req/s per round",
                "max others",
            ],
            rows,
        )
    )
    print(
        "CPU ms: gunicorn + PostgreSQL CPU per request; server CPU: their share of all "
        "CPUs during the run; others: other people's share (the worst run)."
    )
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "sweep.json").write_text(json.dumps(payload, indent=2, ensure_ascii=False))


# ------------------------------------------------------------------------ main


def parse_args() -> argparse.Namespace:
    def numbers(text: str) -> list[int]:
        return [int(x) for x in text.split(",") if x.strip()]

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_options(parser, duration=8, warmup=2, connections=8)
    parser.add_argument("--workers", type=int, help="WEB_CONCURRENCY (default: gunicorn.conf.py)")
    parser.add_argument("--threads", type=int, help="GUNICORN_THREADS (default: gunicorn.conf.py)")
    parser.add_argument("--only", help="comma-separated page keys to run (e.g. B0,list)")
    parser.add_argument(
        "--skip-seed-bench",
        action="store_true",
        help="do not run bench/seed.py; report its last result if there is one",
    )
    add_quiet_options(parser, below=20, wait=30, others=15, retries=1)
    parser.add_argument("--sweep", action="store_true", help="compare workers x threads instead")
    parser.add_argument("--sweep-workers", type=numbers, default=[2, 3, 5])
    parser.add_argument("--sweep-threads", type=numbers, default=[1, 4])
    parser.add_argument(
        "--rounds",
        type=int,
        help="measure every page this many times, alternating the order; report medians "
        "[1; 2 with --sweep]",
    )
    args = parser.parse_args()
    args.duration = max(1, min(args.duration, 60))
    args.warmup = max(0, min(args.warmup, 10))
    args.connections = max(1, min(args.connections, 64))
    args.rounds = max(1, min(args.rounds or (2 if args.sweep else 1), 5))
    args.retries = max(0, min(args.retries, 5))
    return args


def main() -> None:
    args = parse_args()
    exit_on_sigterm()
    require_tools(GUNICORN, WRK)
    report = Report(started=datetime.now(UTC).isoformat(timespec="seconds"))
    report.machine = {
        "cpus": os.cpu_count(),
        "python": platform.python_version(),
        "load_at_start": round(load_average(), 2),
    }
    with tempfile.TemporaryDirectory(prefix="camp-bench-") as scratch:
        scratch = Path(scratch)
        env = bench_env(BENCH_STATIC_ROOT=str(scratch / "static"))
        gunicorn_env = dict(env)
        if args.workers:
            gunicorn_env["WEB_CONCURRENCY"] = str(args.workers)
        if args.threads:
            gunicorn_env["GUNICORN_THREADS"] = str(args.threads)
        # The test client asks for host "testserver"; its request log lines are noise here.
        setup_django({**env, "ALLOWED_HOSTS": "127.0.0.1,testserver", "LOG_LEVEL": "WARNING"})
        prepare(env, report)

        if args.sweep:
            from django.db import connection

            connection.close()
            sweep(args, env, scratch)
            return

        targets = find_targets(report)
        eps = endpoints(targets)
        if args.only:
            keep = set(args.only.split(",")) | {"B0", "B1"}
            eps = [ep for ep in eps if ep.key in keep]
        report.endpoints = eps
        print("queries per page (in-process):", flush=True)
        count_queries(eps)
        if any(ep.key.startswith("search") for ep in eps):
            print("search with and without the trigram indexes (in-process, best of 3):")
            search_without_index(report)

        from django.db import connection

        connection.close()
        report.gunicorn = {
            **gunicorn_settings(
                {
                    k: v
                    for k, v in gunicorn_env.items()
                    if k in ("WEB_CONCURRENCY", "GUNICORN_THREADS")
                }
            ),
            "connections": args.connections,
            "duration": args.duration,
            "warmup": args.warmup,
        }
        print("wrk against gunicorn:", flush=True)
        measure_rounds(gunicorn_env, eps, args, scratch)

    if not args.only:
        report.seed_bench = run_seed_bench(args)
    print_table(report, args)
    if not args.only:
        check_goals(report)
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "run.json"
    out.write_text(json.dumps(asdict(report), indent=2, ensure_ascii=False))
    print(f"\nwritten: {out.relative_to(BENCH_DIR.parent)}")


if __name__ == "__main__":
    main()
