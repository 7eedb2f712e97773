"""How much faster is `seed_demo` than the bulk_create loop anyone would write first?

    .venv/bin/python bench/seed.py [--users 20000] [--posts 200000] [--json PATH]

In a scratch database (`camp_bench_seed`, created and migrated if missing,
emptied before each variant) it inserts the same rows twice, timing each:

  seed_demo    camp.dashboard.seeding.seed_demo: COPY, indexes rebuilt after the load,
               a history row per record, ANALYZE
  bulk_create  a plain loop of User/Post.objects.bulk_create in batches of
               1,000 inside one transaction, indexes kept up to date row by
               row, no history rows

Both draw the rows from the same DemoData generator with the same seed, so
they insert identical users and posts and pay the same Python cost to make
them. The cache is the local-memory one: Redis plays no part here.
"""

from __future__ import annotations

import argparse
import json
import time
from pathlib import Path

from common import (
    bench_env,
    ensure_database,
    exit_on_sigterm,
    manage,
    proc_cpu_seconds,
    setup_django,
)

SEED_DB = "camp_bench_seed"
BATCH = 1_000
TABLES = ("posts_historicalpost", "users_historicaluser", "posts_post", "users_user")


def empty_tables() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(TABLES)} RESTART IDENTITY CASCADE")
        cursor.execute("CHECKPOINT")


def time_seed_demo(users: int, posts: int, seed: int) -> float:
    from camp.dashboard.seeding import seed_demo

    started = time.perf_counter()
    seed_demo(users=users, posts=posts, seed=seed)
    return time.perf_counter() - started


def time_bulk_create(users: int, posts: int, seed: int) -> float:
    from django.db import transaction
    from django.utils import timezone

    from camp.dashboard.seeding import DemoData
    from posts.models import Post
    from users.models import User

    started = time.perf_counter()
    # The same generator and `until` as seed_demo, so the rows are the same.
    until = timezone.now().replace(hour=0, minute=0, second=0, microsecond=0)
    data = DemoData(seed, until=until)
    with transaction.atomic():
        user_ids: list[int] = []
        for start in range(0, users, BATCH):
            batch = [data.user(index) for index in range(start, min(start + BATCH, users))]
            user_ids.extend(u.pk for u in User.objects.bulk_create(batch))
        for start in range(0, posts, BATCH):
            batch = [data.post(user_ids) for _ in range(min(BATCH, posts - start))]
            Post.objects.bulk_create(batch)
    return time.perf_counter() - started


def cpu_seconds() -> float:
    """CPU time of this process and of its PostgreSQL backend so far."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (backend,) = cursor.fetchone()
    return time.process_time() + (proc_cpu_seconds(backend) or 0.0)


def counts() -> tuple[int, int]:
    from posts.models import Post
    from users.models import User

    return User.objects.count(), Post.objects.count()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--users", type=int, default=20_000, help="users to insert [20000]")
    parser.add_argument("--posts", type=int, default=200_000, help="posts to insert [200000]")
    parser.add_argument("--seed", type=int, default=1, help="DemoData seed [1]")
    parser.add_argument("--json", type=Path, help="also write the result here")
    args = parser.parse_args()
    users = max(1, min(args.users, 200_000))
    posts = max(0, min(args.posts, 2_000_000))

    exit_on_sigterm()
    env = bench_env(database=SEED_DB, REDIS_URL="", LOG_LEVEL="WARNING")
    created = ensure_database(SEED_DB)
    print(f"{'created' if created else 'reusing'} scratch database {SEED_DB}; migrating ...")
    manage("migrate", "--no-input", "-v", "0", env=env)
    setup_django(env)

    results, cpu = {}, {}
    # bulk_create first: if anything, seed_demo then runs on a warmer server.
    for name, timer in (("bulk_create", time_bulk_create), ("seed_demo", time_seed_demo)):
        empty_tables()
        print(f"{name}: {users:,} users + {posts:,} posts ...", flush=True)
        cpu_before = cpu_seconds()
        seconds = timer(users, posts, args.seed)
        cpu[name] = cpu_seconds() - cpu_before
        got = counts()
        if got != (users, posts):
            raise SystemExit(f"{name} left {got[0]:,} users and {got[1]:,} posts, not the target")
        results[name] = seconds
        print(f"{name}: {seconds:.1f} s ({(users + posts) / seconds:,.0f} rows/s)", flush=True)
    empty_tables()

    ratio = results["bulk_create"] / results["seed_demo"]
    print()
    print(f"{users:,} users + {posts:,} posts, wall time (CPU time of Python + its backend)")
    print(
        f"  bulk_create loop (batches of {BATCH:,}): {results['bulk_create']:>7.1f} s "
        f"({cpu['bulk_create']:.1f} s)"
    )
    print(
        f"  seed_demo (COPY):                    {results['seed_demo']:>7.1f} s "
        f"({cpu['seed_demo']:.1f} s)"
    )
    print(
        f"  seed_demo is {ratio:.1f}x faster "
        f"({cpu['bulk_create'] / cpu['seed_demo']:.1f}x less CPU, "
        "not counting parallel index build workers)"
    )
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "users": users,
            "posts": posts,
            "bulk_create_s": round(results["bulk_create"], 2),
            "seed_demo_s": round(results["seed_demo"], 2),
            "ratio": round(ratio, 2),
            "bulk_create_cpu_s": round(cpu["bulk_create"], 2),
            "seed_demo_cpu_s": round(cpu["seed_demo"], 2),
            "at": time.strftime("%Y-%m-%dT%H:%M:%S%z"),
        }
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
