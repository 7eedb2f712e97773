"""What Camp's Redis cache buys, on the camp_bench database.

    .venv/bin/python bench/cache.py [--reads 2000] [--duration 8] [--browse 1500]

Three measurements, against Redis DB 7 (prefix `camp-bench`):

1. In-process: `users.selectors.user_summary` read on a hit vs a miss (the
   key deleted before each miss read), median µs over --reads reads each,
   cycling over 100 demo users.
2. Under gunicorn (gunicorn.conf.py, DEBUG off): the dashboard home `/` with
   its statistics cached (the default) and uncached (DASHBOARD_STATS_TTL=0,
   gunicorn restarted), wrk req/s and latency side by side.
3. Under gunicorn: the Redis hit ratio over a mixed browse (lists, post and
   user details, home) from a cold app cache, driven by a Python loop over
   one keep-alive connection. Redis's keyspace_hits/misses are server-wide,
   so the script first measures what a page that caches nothing costs (the
   session read) and subtracts it; anything else using this Redis server at
   the same time (another test run) still skews the numbers.

Run bench/run.py (make bench) first: it creates and seeds camp_bench.
"""

from __future__ import annotations

import argparse
import http.client
import json
import random
import statistics
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import (
    BENCH_DB,
    BENCH_REDIS,
    BENCH_USER,
    GUNICORN,
    HOST,
    RESULTS,
    WRK,
    CpuMeter,
    add_load_options,
    bench_env,
    check_ok,
    ensure_bench_user,
    exit_on_sigterm,
    free_port,
    gunicorn,
    login,
    manage,
    request,
    require_tools,
    setup_django,
    table,
    wait_for_quiet,
    wrk,
)

SAMPLE_USERS = 100


# ----------------------------------------------------------------- in-process


def summary_hit_vs_miss(reads: int) -> dict:
    from django.core.cache import cache

    from users.models import User
    from users.selectors import USER_SUMMARY_VERSION, user_summary, user_summary_key

    rng = random.Random(1)
    ids = list(User.objects.filter(username__startswith="demo_").values_list("id", flat=True))
    sample = rng.sample(ids, min(SAMPLE_USERS, len(ids)))
    for user_id in sample:
        user_summary(user_id=user_id)

    def timed(user_id: int) -> float:
        started = time.perf_counter()
        user_summary(user_id=user_id)
        return (time.perf_counter() - started) * 1e6

    hits = [timed(sample[i % len(sample)]) for i in range(reads)]
    misses = []
    for i in range(reads):
        user_id = sample[i % len(sample)]
        cache.delete(user_summary_key(user_id), version=USER_SUMMARY_VERSION)
        misses.append(timed(user_id))
    hit, miss = statistics.median(hits), statistics.median(misses)
    return {
        "reads": reads,
        "users": len(sample),
        "hit_us": round(hit, 1),
        "miss_us": round(miss, 1),
        "hit_p90_us": round(statistics.quantiles(hits, n=10)[-1], 1),
        "miss_p90_us": round(statistics.quantiles(misses, n=10)[-1], 1),
        "ratio": round(miss / hit, 1),
    }


def home_queries(ttl: int) -> int:
    from django.db import connection
    from django.test import Client
    from django.test.utils import CaptureQueriesContext, override_settings

    from users.models import User

    client = Client()
    client.force_login(User.objects.get(username=BENCH_USER))
    with override_settings(DASHBOARD_STATS_TTL=ttl):
        client.get("/")
        with CaptureQueriesContext(connection) as captured:
            response = client.get("/")
    if response.status_code != 200:
        raise RuntimeError(f"GET / in-process: HTTP {response.status_code}")
    return len(captured)


# ------------------------------------------------------------------- browsing


def redis_stats() -> tuple[int, int]:
    import redis

    info = redis.Redis.from_url(BENCH_REDIS, socket_timeout=5).info("stats")
    return info["keyspace_hits"], info["keyspace_misses"]


def browse_paths(count: int) -> list[tuple[str, str]]:
    """A deterministic mixed browse: (kind, path) pairs, weighted like a staff session."""
    from posts.models import Post
    from users.models import User

    rng = random.Random(2)
    recent = list(
        Post.objects.order_by("-created_at", "-id").values_list("id", "author_id")[:2000]
    )
    user_ids = list(User.objects.values_list("id", flat=True)[:5000])
    lists = ["/posts/", "/posts/?page=2", "/posts/?page=3", "/users/", "/posts/?status=draft"]
    kinds = ["list", "post", "user", "home"]
    paths = []
    for _ in range(count):
        kind = rng.choices(kinds, weights=[25, 30, 30, 15])[0]
        if kind == "list":
            paths.append((kind, rng.choice(lists)))
        elif kind == "post":
            paths.append((kind, f"/posts/{rng.choice(recent)[0]}/"))
        elif kind == "user":
            # Mostly the author of a recent post (a few write most), sometimes anyone.
            if rng.random() < 0.8:
                paths.append((kind, f"/users/{rng.choice(recent)[1]}/"))
            else:
                paths.append((kind, f"/users/{rng.choice(user_ids)}/"))
        else:
            paths.append((kind, "/"))
    return paths


def drive(port: int, cookie: str, paths: list[str], deadline: float) -> tuple[int, int]:
    """GET each path in turn over one keep-alive connection; return (requests, failures)."""
    conn = http.client.HTTPConnection(HOST, port, timeout=30)
    done = failures = 0
    try:
        for path in paths:
            if time.monotonic() > deadline:
                break
            try:
                got = request(port, "GET", path, headers={"Cookie": cookie}, conn=conn)
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection(HOST, port, timeout=30)
                failures += 1
                continue
            done += 1
            failures += got.status != 200
    finally:
        conn.close()
    return done, failures


def browse(port: int, cookie: str, count: int, seconds: float) -> dict:
    from camp.records.cache import invalidate_pattern

    # Per-request overhead: a page that caches nothing still reads the session.
    calibration = 200
    before = redis_stats()
    drive(port, cookie, ["/bench/floor/"] * calibration, time.monotonic() + 60)
    after = redis_stats()
    per_request_hits = (after[0] - before[0]) / calibration
    per_request_misses = (after[1] - before[1]) / calibration

    for pattern in ("user:*", "dashboard:*"):
        invalidate_pattern(pattern)
    paths = browse_paths(count)
    before = redis_stats()
    started = time.monotonic()
    done, failures = drive(port, cookie, [p for _, p in paths], started + seconds)
    elapsed = time.monotonic() - started
    after = redis_stats()
    hits, misses = after[0] - before[0], after[1] - before[1]
    app_hits = hits - round(per_request_hits * done)
    app_misses = misses - round(per_request_misses * done)
    kinds = {}
    for kind, _ in paths[:done]:
        kinds[kind] = kinds.get(kind, 0) + 1
    return {
        "requests": done,
        "failures": failures,
        "seconds": round(elapsed, 1),
        "kinds": kinds,
        "overhead_hits_per_request": per_request_hits,
        "overhead_misses_per_request": per_request_misses,
        "server_hits": hits,
        "server_misses": misses,
        "server_hit_ratio": round(hits / (hits + misses), 3) if hits + misses else None,
        "app_hits": app_hits,
        "app_misses": app_misses,
        "app_hit_ratio": (
            round(app_hits / (app_hits + app_misses), 3) if app_hits + app_misses > 0 else None
        ),
        # What the app should have read: one key per user detail and per home page.
        "app_reads_expected": kinds.get("user", 0) + kinds.get("home", 0),
    }


# ------------------------------------------------------------------------ main


@dataclass
class HomeRun:
    label: str
    ttl: str
    queries: int
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    errors: int = 0
    cpu_ms: float = 0.0
    others_cpu: float = 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--reads", type=int, default=2000, help="summary reads per side [2000]")
    add_load_options(parser, duration=8, warmup=2, connections=8)
    parser.add_argument("--browse", type=int, default=1500, help="mixed-browse requests [1500]")
    parser.add_argument("--browse-seconds", type=int, default=30, help="mixed-browse cap [30]")
    parser.add_argument("--quiet-below", type=float, default=20, help="see run.py [20]")
    parser.add_argument("--quiet-wait", type=float, default=30, help="see run.py [30]")
    args = parser.parse_args()
    args.reads = max(10, min(args.reads, 100_000))
    args.duration = max(1, min(args.duration, 60))
    args.browse = max(10, min(args.browse, 20_000))
    args.browse_seconds = max(1, min(args.browse_seconds, 120))
    require_tools(GUNICORN, WRK)
    exit_on_sigterm()

    with tempfile.TemporaryDirectory(prefix="camp-bench-cache-") as scratch:
        scratch = Path(scratch)
        env = bench_env(BENCH_STATIC_ROOT=str(scratch / "static"))
        # The test client asks for host "testserver"; its request log lines are noise here.
        setup_django({**env, "ALLOWED_HOSTS": "127.0.0.1,testserver", "LOG_LEVEL": "WARNING"})
        from posts.models import Post

        if not Post.objects.exists():
            raise SystemExit(f"{BENCH_DB} is empty: run bench/run.py (make bench) first.")
        manage("collectstatic", "--no-input", "-v", "0", env=env)
        ensure_bench_user()

        print("user_summary, in-process ...", flush=True)
        summary = summary_hit_vs_miss(args.reads)
        runs = [HomeRun("cached", "60 s (default)", home_queries(60))]
        runs.append(HomeRun("uncached", "0 (off)", home_queries(0)))
        from django.db import connection

        connection.close()

        browsing = None
        for run in runs:
            extra = {"DASHBOARD_STATS_TTL": "0"} if run.label == "uncached" else {}
            print(f"dashboard home, {run.label}, under gunicorn ...", flush=True)
            port = free_port()
            log = scratch / f"gunicorn-{run.label}.log"
            with gunicorn({**env, **extra}, port, log) as proc:
                cookie = login(port)
                check_ok(port, "/", cookie)
                wait_for_quiet(args.quiet_below, args.quiet_wait)
                if args.warmup:
                    wrk(port, "/", cookie, duration=args.warmup, connections=args.connections)
                with CpuMeter(proc.pid, BENCH_DB) as meter:
                    result = wrk(
                        port, "/", cookie, duration=args.duration, connections=args.connections
                    )
                check_ok(port, "/", cookie)
                run.rps, run.p50_ms, run.p99_ms = result.rps, result.p50_ms, result.p99_ms
                run.errors = result.errors
                run.cpu_ms = round(1000 * meter.server_s / max(result.requests, 1), 2)
                run.others_cpu = meter.others_pct
                if run.label == "cached":
                    print("mixed browse, under gunicorn ...", flush=True)
                    browsing = browse(port, cookie, args.browse, args.browse_seconds)
        connection.close()

    print()
    print(
        f"user_summary read, in-process, {summary['reads']:,} reads each over "
        f"{summary['users']} demo users (Redis {BENCH_REDIS})"
    )
    print(
        table(
            ["read", "median µs", "p90 µs"],
            [
                ["hit", f"{summary['hit_us']:.0f}", f"{summary['hit_p90_us']:.0f}"],
                ["miss", f"{summary['miss_us']:.0f}", f"{summary['miss_p90_us']:.0f}"],
            ],
        )
    )
    print(f"a miss costs {summary['ratio']}x a hit")
    print()
    print(f"dashboard home / under gunicorn, wrk -t2 -c{args.connections} -d{args.duration}s")
    print(
        table(
            [
                "home /",
                "DASHBOARD_STATS_TTL",
                "req/s",
                "p50 ms",
                "p99 ms",
                "queries",
                "CPU ms",
                "errors",
                "others",
            ],
            [
                [
                    r.label,
                    r.ttl,
                    f"{r.rps:.1f}",
                    f"{r.p50_ms:.1f}",
                    f"{r.p99_ms:.1f}",
                    str(r.queries),
                    f"{r.cpu_ms:.1f}",
                    str(r.errors),
                    f"{r.others_cpu:.0f}%",
                ]
                for r in runs
            ],
            left=2,
        )
    )
    cached, uncached = runs
    print(
        f"cached: {cached.rps / uncached.rps:.1f}x the req/s, "
        f"{uncached.p50_ms / cached.p50_ms:.1f}x lower p50, "
        f"{uncached.cpu_ms / cached.cpu_ms:.1f}x less CPU per request "
        "(CPU ms: gunicorn + PostgreSQL per request; others: other people's share of the CPUs)"
    )
    if browsing:
        b = browsing
        print()
        print(
            f"mixed browse from a cold app cache: {b['requests']:,} requests in "
            f"{b['seconds']} s ({', '.join(f'{k} {v}' for k, v in sorted(b['kinds'].items()))}), "
            f"{b['failures']} failures"
        )
        print(
            f"  Redis server-wide: {b['server_hits']:,} hits / {b['server_misses']:,} misses "
            f"= {b['server_hit_ratio']:.1%} (includes one session read per request)"
        )
        print(
            f"  app cache only (minus {b['overhead_hits_per_request']:.2f} hits and "
            f"{b['overhead_misses_per_request']:.2f} misses per request measured on B0): "
            f"{b['app_hits']:,} hits / {b['app_misses']:,} misses = "
            + (f"{b['app_hit_ratio']:.1%}" if b["app_hit_ratio"] is not None else "-")
            + f" of {b['app_hits'] + b['app_misses']:,} reads "
            f"(expected {b['app_reads_expected']:,}: one per user detail and home page)"
        )
    RESULTS.mkdir(parents=True, exist_ok=True)
    out = RESULTS / "cache.json"
    payload = {
        "user_summary": summary,
        "home": [vars(r) for r in runs],
        "browse": browsing,
    }
    out.write_text(json.dumps(payload, indent=2, ensure_ascii=False))
    print(f"\nwritten: bench/results/{out.name}")


if __name__ == "__main__":
    main()
