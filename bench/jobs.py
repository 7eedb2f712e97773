"""Background jobs on a seeded database: rows per second, worker memory, kill and resume.

    .venv/bin/python bench/jobs.py [--posts 100000] [--import-users 100000] [--keep]

Seeds its own database (camp_jobs_bench, dropped at the end unless --keep)
with `seed_demo`, then, each with a real `manage.py worker` process:

1. archive every post as one job: rows/s (from the job's first to last
   committed batch) and the worker's resident memory, sampled as it runs
   (peak, and at 10 % and 90 % of the job, to see it stays flat);
2. publish them all again, SIGKILL the worker a third of the way, start a
   new one, and check the final state: every post published, exactly one
   history entry per post for that job, the job done with every row counted;
3. import --import-users new users (default 100,000) from one CSV as a job:
   rows/s from the start of the validation pass to the last batch, and the
   worker's peak memory.
"""

from __future__ import annotations

import argparse
import signal
import subprocess
import sys
import time

import psycopg
from common import MANAGE, PG_SERVER, PYTHON, ROOT, bench_env, manage

DB = "camp_jobs_bench"
DB_URL = f"{PG_SERVER}/{DB}"

ENQUEUE = """
from camp.jobs.services import job_enqueue
from posts.models import Post
from users.models import User
owner, _ = User.objects.get_or_create(
    username="bench-jobs",
    defaults={"email": "bench-jobs@example.com", "is_staff": True, "is_superuser": True},
)
action = "ACTION"
pending = Post.objects.exclude(status="archived" if action == "archive" else "published")
params = {"action": action, "scope": "all", "query": "", "ids": []}
job = job_enqueue(
    kind="posts.bulk", owner=owner, label=action, params=params, total=pending.count()
)
print(job.pk)
"""


IMPORT_USERS = """
from camp.jobs.services import job_enqueue
from camp.lists.import_jobs import import_params
from camp.models import PendingImport
from users.models import User
owner, _ = User.objects.get_or_create(
    username="bench-jobs",
    defaults={"email": "bench-jobs@example.com", "is_staff": True, "is_superuser": True},
)
count = COUNT
text = "username,email,name\\n" + "".join(
    f"imported{n},imported{n}@example.com,Imported {n}\\n" for n in range(count)
)
pending = PendingImport.objects.create(
    owner=owner, list_name="users", filename="bench.csv", text=text
)
params = import_params(pending=pending, client={})
job = job_enqueue(kind="users.import", owner=owner, label="import", params=params)
print(job.pk)
"""


def recreate_database() -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def drop_database() -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def enqueue(action: str, env: dict) -> int:
    return int(manage("shell", "-c", ENQUEUE.replace("ACTION", action), env=env).split()[-1])


def job_row(job_id: int) -> dict:
    with psycopg.connect(DB_URL) as conn:
        cur = conn.execute(
            "SELECT state, done, total, attempts, started_at, heartbeat_at FROM jobs_job "
            "WHERE id = %s",
            [job_id],
        )
        names = [c.name for c in cur.description]
        return dict(zip(names, cur.fetchone(), strict=True))


def start_worker(env: dict, *args: str) -> subprocess.Popen:
    return subprocess.Popen(
        [str(PYTHON), str(MANAGE), "worker", "--interval", "0.2", *args],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def memory_kb(pid: int) -> tuple[int, int] | None:
    """(VmRSS, VmHWM) of a process in kB, or None once it has gone."""
    try:
        with open(f"/proc/{pid}/status") as status:
            fields = dict(line.split(":", 1) for line in status if ":" in line)
    except FileNotFoundError:
        return None
    return int(fields["VmRSS"].split()[0]), int(fields["VmHWM"].split()[0])


def archive_all(env: dict) -> dict:
    job_id = enqueue("archive", env)
    total = job_row(job_id)["total"]
    worker = start_worker(env, "--until-idle")
    peak, samples = 0, []
    while worker.poll() is None:
        memory = memory_kb(worker.pid)
        if memory:
            peak = max(peak, memory[1])
            samples.append((job_row(job_id)["done"] / max(total, 1), memory[0]))
        time.sleep(0.5)
    job = job_row(job_id)
    assert job["state"] == "done" and job["done"] == total, job
    seconds = (job["heartbeat_at"] - job["started_at"]).total_seconds()

    def rss_at(fraction: float) -> int:
        return next((rss for done, rss in samples if done >= fraction), samples[-1][1])

    return {
        "rows": total,
        "seconds": seconds,
        "rows_per_s": total / seconds,
        "peak_mb": peak / 1024,
        "rss_10_mb": rss_at(0.1) / 1024,
        "rss_90_mb": rss_at(0.9) / 1024,
    }


def kill_and_resume(env: dict) -> dict:
    job_id = enqueue("publish", env)
    total = job_row(job_id)["total"]
    worker = start_worker(env)
    while job_row(job_id)["done"] < total // 3:
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    at_kill = job_row(job_id)["done"]
    resumed = start_worker({**env, "JOBS_STALLED_SECONDS": "3"}, "--until-idle")
    resumed.wait(timeout=1800)
    job = job_row(job_id)
    with psycopg.connect(DB_URL) as conn:
        not_published = conn.execute(
            "SELECT count(*) FROM posts_post WHERE status <> 'published'"
        ).fetchone()[0]
        entries, posts = conn.execute(
            "SELECT count(*), count(DISTINCT id) FROM posts_historicalpost "
            "WHERE history_type = '~' AND status = 'published' AND history_date >= %s",
            [job["started_at"]],
        ).fetchone()
    ok = (
        job["state"] == "done"
        and job["done"] == total
        and job["attempts"] == 2
        and not_published == 0
        and entries == posts == total
    )
    return {
        "rows": total,
        "killed_at": at_kill,
        "state": job["state"],
        "done": job["done"],
        "attempts": job["attempts"],
        "history_entries": entries,
        "posts_with_entry": posts,
        "ok": ok,
    }


def import_users(env: dict, count: int) -> dict:
    limits = {"IMPORT_MAX_ROWS": str(count), "IMPORT_MAX_BYTES": str(200 * 2**20)}
    env = {**env, **limits}
    job_id = int(
        manage("shell", "-c", IMPORT_USERS.replace("COUNT", str(count)), env=env).split()[-1]
    )
    worker = start_worker(env, "--until-idle")
    peak = 0
    while worker.poll() is None:
        memory = memory_kb(worker.pid)
        if memory:
            peak = max(peak, memory[1])
        time.sleep(0.5)
    job = job_row(job_id)
    assert job["state"] == "done" and job["done"] == count, job
    seconds = (job["heartbeat_at"] - job["started_at"]).total_seconds()
    return {
        "rows": count,
        "seconds": seconds,
        "rows_per_s": count / seconds,
        "peak_mb": peak / 1024,
    }


def main() -> None:
    global DB, DB_URL
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000, help="posts to seed")
    parser.add_argument("--database", default=DB, help="the database to seed (and drop)")
    parser.add_argument("--import-users", type=int, default=100_000, help="users to import")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    DB, DB_URL = args.database, f"{PG_SERVER}/{args.database}"
    env = bench_env(database=DB)
    recreate_database()
    try:
        manage("migrate", "--no-input", env=env)
        started = time.perf_counter()
        manage(
            "seed_demo", "--users", str(max(1000, args.posts // 10)), "--posts",
            str(args.posts), env=env, timeout=3600,
        )  # fmt: skip
        print(f"seeded {args.posts:,} posts in {time.perf_counter() - started:.0f} s")
        archive = archive_all(env)
        print(
            f"archive all as one job: {archive['rows']:,} rows in {archive['seconds']:.1f} s, "
            f"{archive['rows_per_s']:,.0f} rows/s; worker RSS peak {archive['peak_mb']:.0f} MB, "
            f"{archive['rss_10_mb']:.0f} MB at 10 % and {archive['rss_90_mb']:.0f} MB at 90 %"
        )
        resume = kill_and_resume(env)
        print(
            f"kill and resume: {resume['rows']:,} rows, SIGKILL at {resume['killed_at']:,} done; "
            f"final state {resume['state']}, {resume['done']:,} done in {resume['attempts']} "
            f"runs, {resume['history_entries']:,} history entries for "
            f"{resume['posts_with_entry']:,} posts: {'OK' if resume['ok'] else 'WRONG'}"
        )
        imported = import_users(env, args.import_users)
        print(
            f"import users as one job: {imported['rows']:,} rows in {imported['seconds']:.1f} s, "
            f"{imported['rows_per_s']:,.0f} rows/s; worker RSS peak {imported['peak_mb']:.0f} MB"
        )
        if not resume["ok"]:
            sys.exit(1)
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
