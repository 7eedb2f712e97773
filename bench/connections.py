"""Compare Camp's PostgreSQL connection-reuse modes under gunicorn + wrk.

    .venv/bin/python bench/connections.py [--duration 10] [--connections 16]

Three modes, measured one after the other in one run:

  A  no reuse     DATABASE_CONN_MAX_AGE=0, DATABASE_POOL=false  (the baseline)
  B  persistent   DATABASE_POOL=false, CONN_MAX_AGE from settings (600)
  C  pool         DATABASE_POOL=true: psycopg_pool, one pool per worker process

All three keep CONN_HEALTH_CHECKS=True, as camp/settings.py does.

For each mode the script starts gunicorn (gthread) on a free loopback port
against its own bench database (`camp_bench_connections`, created, migrated and
seeded once and reused afterwards; bench/run.py's `camp_bench` with a million
posts is left alone), logs in through /accounts/login/ with a real POST, drives
wrk against /posts/ with the session cookie, samples pg_stat_activity while
wrk runs, and stops gunicorn. A single-threaded in-process microbenchmark then
times N request cycles of `SELECT 1` through Django's request signals (the
same connection handling as a real request, without HTTP or templates).

Nothing leaves 127.0.0.1. gunicorn is always stopped, even on Ctrl-C.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from common import (
    BENCH_USER,
    GUNICORN,
    HOST,
    PYTHON,
    WRK,
    add_load_options,
    bench_env,
    check_ok,
    ensure_bench_user,
    ensure_database,
    exit_on_sigterm,
    free_port,
    group_cpu_seconds,
    gunicorn,
    load_average,
    login,
    manage,
    pg_connect,
    require_tools,
    run,
    setup_django,
    wrk,
)

# Not bench/run.py's camp_bench: that one holds a million posts, changes under
# that script's runs, and its clients would count in pg_stat_activity here.
BENCH_DB = "camp_bench_connections"
BENCH_REDIS = "redis://127.0.0.1:6379/8"

MAX_DURATION = 300  # seconds, per wrk run


@dataclass
class Mode:
    key: str
    name: str
    env: dict[str, str]


MODES = [
    Mode("A", "no reuse", {"DATABASE_POOL": "false", "DATABASE_CONN_MAX_AGE": "0"}),
    Mode("B", "persistent", {"DATABASE_POOL": "false"}),
    Mode("C", "psycopg pool", {"DATABASE_POOL": "true"}),
]


@dataclass
class Result:
    mode: Mode
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    pg_peak: int = 0
    pg_held: int = 0
    pg_after_stop: int = 0
    micro_us: float | None = None
    load: float = 0.0
    app_cpu_ms: float = 0.0
    rounds: list[float] = field(default_factory=list)


# --------------------------------------------------------------------------- env


def base_env(args: argparse.Namespace) -> dict[str, str]:
    env = bench_env(
        database=BENCH_DB,
        # Static files collected into the run's scratch directory, not staticfiles/.
        BENCH_STATIC_ROOT=str(args.scratch / "static"),
        # Empty means the per-process memory cache (settings treat "" as unset).
        REDIS_URL=BENCH_REDIS if args.redis else "",
        LOG_LEVEL="WARNING",
    )
    if args.pool_max_size:
        env["DATABASE_POOL_MAX_SIZE"] = str(args.pool_max_size)
    return env


def mode_env(args: argparse.Namespace, mode: Mode) -> dict[str, str]:
    env = base_env(args)
    env.update(mode.env)
    return env


# -------------------------------------------------------------------- postgres


def pg_backends(conn) -> int:
    # Asked from the `postgres` database, so this connection is not counted.
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [BENCH_DB]
    ).fetchone()
    return int(row[0])


class BackendSampler(threading.Thread):
    """Polls pg_stat_activity while wrk runs and remembers the peak."""

    def __init__(self, interval: float = 0.25):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        with pg_connect() as conn:
            while not self._stop_event.is_set():
                self.peak = max(self.peak, pg_backends(conn))
                self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join(timeout=5)
        return self.peak


# ----------------------------------------------------------------------- setup


def prepare(args: argparse.Namespace) -> None:
    env = base_env(args)
    print(f"preparing {BENCH_DB}: migrate, seed {args.posts} posts, collectstatic ...")
    if ensure_database(BENCH_DB):
        print(f"created database {BENCH_DB}")
    manage("migrate", "--noinput", "-v", "0", env=env, timeout=300)
    print(run([str(PYTHON), __file__, "--_seed", str(args.posts)], env, timeout=300).strip())
    manage("collectstatic", "--noinput", "-v", "0", env=env, timeout=300)


def seed(posts: int) -> None:
    """Runs in a subprocess with the bench environment (see prepare)."""
    setup_django({})
    from posts.models import Post
    from users.models import User

    ensure_bench_user()
    user = User.objects.get(username=BENCH_USER)
    authors = [user]
    for i in range(1, 5):
        author, _ = User.objects.get_or_create(
            username=f"bench-author-{i}", defaults={"email": f"bench-author-{i}@example.com"}
        )
        authors.append(author)
    missing = posts - Post.objects.count()
    if missing > 0:
        statuses = [s.value for s in Post.Status]
        Post.objects.bulk_create(
            Post(
                title=f"Bench post {i}",
                content=f"Body of bench post {i}. " * 20,
                author=authors[i % len(authors)],
                status=statuses[i % len(statuses)],
            )
            for i in range(missing)
        )
    print(f"bench data: user {BENCH_USER!r}, {Post.objects.count()} posts")


# ------------------------------------------------------------------ microbench


def micro(iterations: int) -> None:
    """Runs in a subprocess with one mode's environment; prints µs per cycle.

    Each cycle is what Django's WSGI handler does around a view that runs one
    query: request_started (close_old_connections: health-check flag, max age),
    SELECT 1, request_finished (close, or return to the pool).
    """
    setup_django({})
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import connection

    def cycle() -> None:
        request_started.send(sender=WSGIHandler, environ={})
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        request_finished.send(sender=WSGIHandler)

    for _ in range(min(50, iterations)):
        cycle()
    start = time.perf_counter()
    for _ in range(iterations):
        cycle()
    elapsed = time.perf_counter() - start
    connection.close()
    if connection.pool:
        connection.close_pool()
    print(json.dumps({"us_per_request": elapsed / iterations * 1e6}))


def run_micro(args: argparse.Namespace, mode: Mode) -> float:
    out = run(
        [str(PYTHON), __file__, "--_micro", str(args.micro)],
        mode_env(args, mode),
        timeout=120,
    )
    return json.loads(out.strip().splitlines()[-1])["us_per_request"]


# ------------------------------------------------------------------------ main


def bench_mode(args: argparse.Namespace, mode: Mode, log_dir: Path, micro_too: bool) -> Result:
    result = Result(mode)
    port = free_port()
    log_path = log_dir / f"gunicorn-{mode.key}.log"
    print(f"[{mode.key}] {mode.name}: gunicorn on {HOST}:{port} ...", flush=True)
    options = ("--workers", str(args.workers), "--threads", str(args.threads))
    # gthread even with one thread, and a short graceful stop between modes.
    options += ("--worker-class", "gthread", "--graceful-timeout", "10")
    with gunicorn(mode_env(args, mode), port, log_path, *options) as proc:
        cookie = login(port)
        check_ok(port, args.path, cookie)
        shape = dict(connections=args.connections, threads=args.wrk_threads, limit=MAX_DURATION)
        if args.warmup:
            wrk(port, args.path, cookie, duration=args.warmup, **shape)
        result.load = load_average()
        sampler = BackendSampler()
        sampler.start()
        cpu_before = group_cpu_seconds(proc.pid)
        try:
            stats = wrk(port, args.path, cookie, duration=args.duration, **shape)
        finally:
            result.pg_peak = sampler.stop()
        cpu = group_cpu_seconds(proc.pid) - cpu_before
        result.app_cpu_ms = cpu * 1000 / max(stats.requests, 1)
        with pg_connect() as conn:
            result.pg_held = pg_backends(conn)
        if args.verbose:
            print(stats.raw)
    # Backends exit asynchronously after their client goes away.
    with pg_connect() as conn:
        for _ in range(20):
            result.pg_after_stop = pg_backends(conn)
            if result.pg_after_stop == 0:
                break
            time.sleep(0.1)
    result.rps, result.requests = stats.rps, stats.requests
    result.p50_ms, result.p99_ms, result.errors = stats.p50_ms, stats.p99_ms, stats.errors
    print(
        f"[{mode.key}] {result.rps:.1f} req/s, p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms, gunicorn CPU {result.app_cpu_ms:.1f} ms/req, "
        f"load avg {result.load:.1f}; "
        f"{BENCH_DB} backends in pg_stat_activity: "
        f"{result.pg_held} held at end, peak {result.pg_peak}, "
        f"{result.pg_after_stop} after gunicorn stopped",
        flush=True,
    )
    if micro_too and args.micro:
        result.micro_us = run_micro(args, mode)
        print(f"[{mode.key}] SELECT 1 microbench: {result.micro_us:.0f} µs/request", flush=True)
    return result


def summarize(mode: Mode, runs: list[Result]) -> Result:
    """One row per mode: medians over the rounds, worst case for errors/connections."""
    micro = [r.micro_us for r in runs if r.micro_us is not None]
    return Result(
        mode,
        rps=statistics.median(r.rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        app_cpu_ms=statistics.median(r.app_cpu_ms for r in runs),
        requests=sum(r.requests for r in runs),
        errors=sum(r.errors for r in runs),
        pg_peak=max(r.pg_peak for r in runs),
        pg_held=max(r.pg_held for r in runs),
        pg_after_stop=max(r.pg_after_stop for r in runs),
        micro_us=statistics.median(micro) if micro else None,
        load=statistics.median(r.load for r in runs),
        rounds=[r.rps for r in runs],
    )


def print_table(args: argparse.Namespace, results: list[Result]) -> None:
    baseline = next((r.rps for r in results if r.mode.key == "A"), None) or results[0].rps
    pool_size = args.pool_max_size or "settings default"
    print()
    print(
        f"GET {args.path} | gunicorn gthread {args.workers} workers x {args.threads} threads | "
        f"wrk {args.connections} connections, {args.duration}s x {args.rounds} round(s) | "
        f"pool max_size {pool_size} | cache {'redis' if args.redis else 'locmem'} | "
        f"{os.cpu_count()} CPUs"
    )
    header = (
        f"{'mode':<17} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs A':>6} "
        f"{'errors':>6} {'pg conns end/peak':>17} {'CPU ms/req':>10} {'load':>5}"
    )
    if args.micro:
        header += f" {'SELECT 1 µs/req':>16}"
    if args.rounds > 1:
        header += "  req/s per round"
    print(header)
    print("-" * len(header))
    for r in results:
        line = (
            f"{r.mode.key + ' ' + r.mode.name:<17} {r.rps:>8.1f} {r.p50_ms:>8.1f} "
            f"{r.p99_ms:>8.1f} {r.rps / baseline:>5.2f}x {r.errors:>6} "
            f"{f'{r.pg_held}/{r.pg_peak}':>17} {r.app_cpu_ms:>10.1f} {r.load:>5.1f}"
        )
        if args.micro:
            line += f" {r.micro_us:>16.0f}" if r.micro_us is not None else f" {'-':>16}"
        if args.rounds > 1:
            line += "  " + " / ".join(f"{x:.1f}" for x in r.rounds)
        print(line)
    notes = [
        "req/s, p50, p99: wrk --latency"
        + (", median over rounds" if args.rounds > 1 else "")
        + "; vs A: req/s relative to mode A.",
        "pg conns: SELECT count(*) FROM pg_stat_activity WHERE datname='camp_bench_connections', "
        "right after wrk (end) and the most seen while it ran (peak).",
        "CPU ms/req: user+system CPU of the gunicorn processes during the measured run "
        "per request (PostgreSQL's side not included).",
        "load: 1-minute load average when the measured wrk run started (other work on "
        "the machine skews every number).",
    ]
    if args.micro:
        notes.append(
            f"SELECT 1 µs/req: one thread, {args.micro} request cycles "
            "(request_started, SELECT 1, request_finished) in-process, no HTTP."
        )
    for note in notes:
        print(note)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    add_load_options(parser, duration=10, warmup=2, connections=16, wrk_threads=1)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [2]")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker [4]")
    parser.add_argument("--pool-max-size", type=int, default=0, help="DATABASE_POOL_MAX_SIZE")
    parser.add_argument("--modes", default="ABC", help="which modes to run [ABC]")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat all modes, order reversed each round [1]"
    )
    parser.add_argument("--path", default="/posts/", help="page to load [/posts/]")
    parser.add_argument("--posts", type=int, default=300, help="posts to seed [300]")
    parser.add_argument(
        "--micro", type=int, default=1000, help="SELECT 1 cycles per mode, 0 to skip [1000]"
    )
    parser.add_argument("--redis", action="store_true", help=f"cache in {BENCH_REDIS}")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("-v", "--verbose", action="store_true", help="print wrk's output")
    parser.add_argument("--_seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_micro", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.duration = max(1, min(args.duration, MAX_DURATION))
    args.warmup = max(0, min(args.warmup, 30))
    args.connections = max(1, min(args.connections, 1000))
    args.rounds = max(1, min(args.rounds, 10))
    args.micro = max(0, min(args.micro, 100_000))
    if not args.path.startswith("/"):
        parser.error("--path must start with /")
    unknown = set(args.modes.upper()) - {m.key for m in MODES}
    if unknown:
        parser.error(f"unknown modes: {''.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args._seed is not None:
        seed(args._seed)
        return
    if args._micro is not None:
        micro(args._micro)
        return
    # SIGTERM/SIGHUP unwind like Ctrl-C, so the finally blocks stop gunicorn.
    exit_on_sigterm()
    require_tools(GUNICORN, WRK)
    modes = [m for m in MODES if m.key in args.modes.upper()]
    runs: dict[str, list[Result]] = {m.key: [] for m in modes}
    with tempfile.TemporaryDirectory(prefix="camp-bench-") as log_dir:
        args.scratch = Path(log_dir)
        prepare(args)
        for round_no in range(args.rounds):
            # Alternate the order so a slow drift in machine load favours no mode.
            order = modes if round_no % 2 == 0 else modes[::-1]
            if args.rounds > 1:
                print(f"round {round_no + 1}/{args.rounds}: {''.join(m.key for m in order)}")
            for mode in order:
                runs[mode.key].append(bench_mode(args, mode, Path(log_dir), round_no == 0))
    results = [summarize(m, runs[m.key]) for m in modes]
    print_table(args, results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "args": {k: str(v) for k, v in vars(args).items() if not k.startswith("_")},
            "results": [
                {
                    "mode": r.mode.key,
                    "name": r.mode.name,
                    **{k: v for k, v in vars(r).items() if k != "mode"},
                }
                for r in results
            ],
        }
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
