"""Throughput of Camp behind nginx with one app server and with two.

    .venv/bin/python bench/scaleout.py                       # wrk -t2 -c16 -d10s on /posts/
    .venv/bin/python bench/scaleout.py --path / --rounds 3 --duration 20

It prepares the `camp_bench_scaleout` database once (migrated, seed_demo's
1,000 users and 10,000 posts; reused afterwards, drop it with `dropdb`),
starts gunicorn servers A and B (`--workers` x `--threads` each, default 2 x 1: sync workers)
and C (twice A's workers), logs in through nginx with a real form POST, and
runs wrk against the logged-in page in four set-ups:

  direct      wrk -> A                       (what nginx costs)
  1 server    wrk -> nginx -> A
  2 servers   wrk -> nginx -> A, B            (round robin, tests/scaleout/nginx.conf)
  1 big       wrk -> nginx -> C               (A + B's processes in one server)

All of them run on this machine: two servers share its CPUs, so "2 servers"
against "1 server" shows what a second server's processes bring on the same
cores (and "1 big" that the same processes in one server bring as much), not
what a second machine would bring. Nothing leaves 127.0.0.1; every process is
stopped at the end.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import statistics
import sys
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from common import (
    BENCH_DB,
    BENCH_REDIS,
    HOST,
    ROOT,
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
    login,
    manage,
    require_tools,
    setup_django,
    wait_for_quiet,
    wrk,
)

sys.path.insert(0, str(ROOT))
from tests.scaleout.servers import NGINX, Nginx

DATABASE = f"{BENCH_DB}_scaleout"
CACHE_PREFIX = "camp-bench-scaleout"
SEED_USERS = 1_000
SEED_POSTS = 10_000
SETUPS = ("direct", "1 server", "2 servers", "1 big")


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--path", default="/posts/", help="Logged-in page to load (/posts/).")
    add_load_options(parser, duration=10, warmup=3, connections=16, wrk_threads=2)
    parser.add_argument("--rounds", type=int, default=1, help="Repeat every set-up (median).")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers per server.")
    parser.add_argument("--threads", type=int, default=1, help="gunicorn threads per worker (1).")
    add_quiet_options(parser, below=30, wait=60, others=10, retries=2)
    return parser.parse_args()


def prepare(env: dict[str, str]) -> None:
    """Create, migrate and seed the database (once), collect static files, create the user."""
    created = ensure_database(DATABASE)
    print(f"{'created' if created else 'reusing'} database {DATABASE}; migrating ...", flush=True)
    manage("migrate", "--no-input", "-v", "0", env=env)
    setup_django(env)
    from posts.models import Post

    if Post.objects.count() < SEED_POSTS:
        print(f"seeding {SEED_USERS:,} users and {SEED_POSTS:,} posts ...", flush=True)
        manage(
            "seed_demo",
            *("--users", str(SEED_USERS), "--posts", str(SEED_POSTS)),
            *("--seed", "1", "--reset"),
            env=env,
            timeout=1800,
        )
    manage("collectstatic", "--no-input", "-v", "0", env=env)
    ensure_bench_user()


@contextlib.contextmanager
def nginx_in_front_of(root: Path, *ports: int) -> Iterator[Nginx]:
    nginx = Nginx(root, [f"{HOST}:{port}" for port in ports])
    try:
        nginx.start()
        nginx.wait_until_ready()
        yield nginx
    finally:
        nginx.stop()


@dataclass
class Run:
    rps: float
    p99_ms: float
    errors: int
    others_pct: float


def measure(port: int, cookie: str, pgids: list[int], args: argparse.Namespace) -> Run:
    """Run wrk against `port`; again (up to --retries) while others used the CPUs."""
    kept: Run | None = None
    for _ in range(1 + args.retries):
        check_ok(port, args.path, cookie)
        wait_for_quiet(args.quiet_below, args.quiet_wait)
        if args.warmup:
            wrk(port, args.path, cookie, duration=args.warmup, connections=args.connections)
        with CpuMeter(pgids, DATABASE) as meter:
            result = wrk(
                port,
                args.path,
                cookie,
                duration=args.duration,
                connections=args.connections,
                threads=args.wrk_threads,
            )
        # A 302 to the login page is no error to wrk: the session must have held throughout.
        check_ok(port, args.path, cookie)
        run = Run(result.rps, result.p99_ms, result.errors, meter.others_pct)
        if kept is None or run.others_pct < kept.others_pct:
            kept = run
        if run.others_pct <= args.max_others:
            break
    return kept


def main() -> None:
    args = parse_args()
    require_tools(WRK, NGINX)
    exit_on_sigterm()
    scratch = Path(tempfile.mkdtemp(prefix="camp-bench-scaleout-"))
    env = bench_env(
        database=DATABASE,
        CACHE_KEY_PREFIX=CACHE_PREFIX,
        BENCH_STATIC_ROOT=str(scratch / "static"),
        LOG_LEVEL="WARNING",
    )
    try:
        prepare(env)

        def server_env(workers: int) -> dict[str, str]:
            return {**env, "WEB_CONCURRENCY": str(workers), "GUNICORN_THREADS": str(args.threads)}

        cpus = len(os.sched_getaffinity(0))
        print(
            f"{cpus} CPUs; servers A and B: {args.workers} workers x {args.threads} threads each, "
            f"C: {2 * args.workers} x {args.threads}; wrk -t{args.wrk_threads} "
            f"-c{args.connections} -d{args.duration}s {args.path}",
            flush=True,
        )
        results: dict[str, list[Run]] = {name: [] for name in SETUPS}
        a_port, b_port, c_port = free_port(), free_port(), free_port()
        with (
            gunicorn(server_env(args.workers), a_port, scratch / "gunicorn-a.log") as a,
            gunicorn(server_env(args.workers), b_port, scratch / "gunicorn-b.log") as b,
            gunicorn(server_env(2 * args.workers), c_port, scratch / "gunicorn-c.log") as c,
            nginx_in_front_of(scratch / "nginx-1", a_port) as one,
            nginx_in_front_of(scratch / "nginx-2", a_port, b_port) as two,
            nginx_in_front_of(scratch / "nginx-big", c_port) as big,
        ):
            pgids = [p.pid for p in (a, b, c, one.process, two.process, big.process)]
            # One login through nginx serves every set-up: the session lives in
            # PostgreSQL and Redis, not in the server that created it.
            cookie = login(two.port)
            ports = {
                "direct": a_port,
                "1 server": one.port,
                "2 servers": two.port,
                "1 big": big.port,
            }
            for round_ in range(args.rounds):
                order = SETUPS if round_ % 2 == 0 else tuple(reversed(SETUPS))
                for name in order:
                    run = measure(ports[name], cookie, pgids, args)
                    results[name].append(run)
                    print(
                        f"  round {round_ + 1}  {name:<10} {run.rps:8.1f} req/s  "
                        f"p99 {run.p99_ms:7.1f} ms  errors {run.errors}  "
                        f"others' CPU {run.others_pct:.0f}%",
                        flush=True,
                    )
    finally:
        _delete_cache_keys()
        shutil.rmtree(scratch, ignore_errors=True)

    median = {name: statistics.median(r.rps for r in runs) for name, runs in results.items()}
    print()
    print(f"{'set-up':<10} {'req/s':>8} {'p99 ms':>8} {'errors':>6} {'others':>7}")
    for name, runs in results.items():
        p99 = statistics.median(r.p99_ms for r in runs)
        others = max(r.others_pct for r in runs)
        errors = sum(r.errors for r in runs)
        print(f"{name:<10} {median[name]:8.1f} {p99:8.1f} {errors:6d} {others:6.0f}%")
    print()
    print(f"2 servers / 1 server: {median['2 servers'] / median['1 server']:.2f}x")
    print(f"1 big / 1 server:     {median['1 big'] / median['1 server']:.2f}x")
    print(f"1 server / direct:    {median['1 server'] / median['direct']:.2f}x (nginx's cost)")
    print(
        f"All on one {cpus}-CPU machine: the two servers, nginx, wrk, PostgreSQL and Redis "
        "share its CPUs, so this is no measure of what a second machine adds. "
        "'others' is the most CPU other processes took during a kept run."
    )


def _delete_cache_keys() -> None:
    import redis

    client = redis.Redis.from_url(BENCH_REDIS)
    keys = list(client.scan_iter(match=f"{CACHE_PREFIX}*", count=1000))
    if keys:
        client.delete(*keys)


if __name__ == "__main__":
    main()
