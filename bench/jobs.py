"""Background jobs on a seeded database: rows per second, worker memory, kill and resume.

    .venv/bin/python bench/jobs.py [--posts 100000] [--import-users 100000] [--keep]

Seeds its own database (camp_jobs_bench, dropped at the end unless --keep)
with `seed_demo`, then:

0. where a batch of the bulk status change spends its time: the batch's one
   statement (UPDATE of 1,000 posts and INSERT of their history rows) timed
   in transactions that are rolled back, with every index and without any
   index but the primary key (median of --statement-rounds each);

then, each with a real `manage.py worker` process:

1. archive every post as one job: rows/s (from the job's first to last
   committed batch) against the goal (5,000 rows/s), and the worker's
   resident memory, sampled as it runs (peak; at the start, at 10 % and 90 %
   of the job and at the end, to see it stays flat);
2. publish them all again, SIGKILL the worker a third of the way, start a
   new one, and check the final state: every post published, each one's
   version bumped exactly once, exactly one history entry per post for that
   job, every user's post count still exact, the job done with every row
   counted;
3. the baseline: steps 0 and 1 again with the three trigram GIN indexes back
   on posts_post, where they were until posts/migrations/0009 moved them to
   posts_postsearch (built for the run, dropped after it), and both side by
   side as a ratio;
4. import --import-users new users (default 100,000) from one CSV as a member
   does: the upload read and stored (the request's part, timed), its preview
   job and its import job, each with rows/s and the worker's peak memory;
   then the request's part alone for the largest upload (--upload-rows posts,
   about 180 MB), against gunicorn's 30 s timeout;
5. export every post to XLSX as a job (the post list's export past its
   in-request limit): seconds from the first to the last batch, the file's
   size, and the worker's peak memory against its memory after the first
   batch.

Skip steps with --skip (e.g. `--skip baseline,import,xlsx`).
"""

from __future__ import annotations

import argparse
import signal
import statistics
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager

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


#: Read a CSV into the database as the upload request does, then queue its preview.
#: Prints the preview job's id, the seconds the request's part took and its peak RSS.
UPLOAD = """
import resource, time
from django.core.files.uploadedfile import TemporaryUploadedFile
from camp.lists.import_jobs import PREVIEW_LABEL, import_params, preview_kind
from camp.lists.services import pending_import_create, pending_import_preview
from users.models import User
owner, _ = User.objects.get_or_create(
    username="bench-jobs",
    defaults={"email": "bench-jobs@example.com", "is_staff": True, "is_superuser": True},
)
IMPORTER
upload = TemporaryUploadedFile("bench.csv", "text/csv", 0, "utf-8")
upload.write(HEADER.encode())
for start in range(0, COUNT, 10_000):
    rows = range(start, min(COUNT, start + 10_000))
    upload.write("".join((ROW).format(n=n) for n in rows).encode())
upload.size = upload.tell()
started = time.perf_counter()
pending = pending_import_create(owner=owner, list_name=LIST, upload=upload, importer=importer)
seconds = time.perf_counter() - started
job = pending_import_preview(
    pending=pending, kind=preview_kind(KIND), owner=owner,
    label=PREVIEW_LABEL % {"file": "bench.csv"}, params=import_params(pending=pending, client={}),
)
print(job.pk, pending.pk, seconds, upload.size, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""

#: Queue the import of a previewed upload; prints the job's id.
CONFIRM = """
from camp.lists.import_jobs import IMPORT_LABEL, import_params
from camp.lists.services import pending_import_enqueue
from camp.models import PendingImport
pending = PendingImport.objects.get(pk=PENDING)
assert pending.checked, "the preview found errors"
job = pending_import_enqueue(
    pending=pending, kind=KIND, owner=pending.owner, label=IMPORT_LABEL % {"file": "bench.csv"},
    params=import_params(pending=pending, client={}),
)
print(job.pk)
"""

USERS_CSV = {
    "LIST": '"users"',
    "KIND": '"users.import"',
    "IMPORTER": "from users.services import UserImporter; importer = UserImporter(by=owner)",
    "HEADER": '"username,email,name\\n"',
    "ROW": '"imported{n},imported{n}@example.com,Imported {n}\\n"',
}

#: Posts of about 180 bytes a row: a million of them make the largest upload Camp takes.
POSTS_CSV = {
    "LIST": '"posts"',
    "KIND": '"posts.import"',
    "IMPORTER": "from posts.services import PostImporter; importer = PostImporter()",
    "HEADER": '"title,author,content\\n"',
    "ROW": '"Uploaded post {n},bench-jobs," + "x" * 140 + " {n}\\n"',
}


def snippet(template: str, **values) -> str:
    for name, value in values.items():
        template = template.replace(name, str(value))
    return template


EXPORT_XLSX = """
from camp.jobs.services import job_enqueue
from camp.lists.exporting import export_filename
from posts.models import Post
from users.models import User
owner, _ = User.objects.get_or_create(
    username="bench-jobs",
    defaults={"email": "bench-jobs@example.com", "is_staff": True, "is_superuser": True},
)
params = {"query": "", "filename": export_filename("posts")}
job = job_enqueue(
    kind="posts.xlsx", owner=owner, label="xlsx", params=params, total=Post.objects.count()
)
print(job.pk)
"""

#: The goal for a bulk status change with its history (rows/s).
GOAL_ROWS_PER_S = 5_000

#: The batch statement of posts.services._set_status_with_history_sql, for 1,000 posts.
COLUMNS = "id, title, content, status, created_at, updated_at, author_id, version"
BATCH_STATEMENT = f"""
WITH changed AS (
    UPDATE posts_post SET status = 'archived', updated_at = now(), version = version + 1
    WHERE id = ANY(%s)
    RETURNING {COLUMNS}
)
INSERT INTO posts_historicalpost
    ({COLUMNS}, history_date, history_change_reason, history_type, history_user_id)
SELECT {COLUMNS}, now(), 'Bulk status change', '~', NULL FROM changed
"""  # noqa: S608
#: The search indexes as they were on posts_post until posts/migrations/0009
#: moved them to posts_postsearch: the baseline puts them back for its run.
POSTS_SEARCH_INDEXES = {
    "posts_post_title_trgm": "USING gin ((upper(title::text)) gin_trgm_ops)",
    "posts_post_content_trgm": "USING gin ((upper(content::text)) gin_trgm_ops)",
    "posts_post_phrase_trgm": (
        "USING gin ((replace(upper(title::text || ' ' || content::text), ' ', 'ᚠ')) gin_trgm_ops)"
    ),
}


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


def load() -> str:
    with open("/proc/loadavg") as loadavg:
        return " ".join(loadavg.read().split()[:3])


def next_batch(conn, after: int) -> list[int]:
    """Lock the next 1,000 posts after id `after`; fewer at the end.

    Archiving an archived post costs what archiving any post does: the
    "updated" time changes, so every index takes the row again.
    """
    return [
        pk
        for (pk,) in conn.execute(
            "SELECT id FROM posts_post WHERE id > %s ORDER BY id LIMIT 1000 FOR UPDATE", [after]
        )
    ]


#: Indexes of posts_post besides the primary key (and, before 0009, the search indexes).
OTHER_INDEXES = (
    "posts_post_created_idx",
    "posts_post_author_created_idx",
    "posts_post_status_created_idx",
    "posts_post_title_idx",
    "posts_post_updated_idx",
    "posts_post_id_created_idx",
)


def statement_costs(rounds: int, setups: dict[str, tuple[str, ...]]) -> dict:
    """Milliseconds of the batch statement for 1,000 posts, for each setup's indexes.

    `setups` maps a name to the indexes dropped for it. Each round locks the
    next 1,000 posts, runs the statement and rolls it all back (the indexes
    dropped inside the transaction come back).
    """
    costs, after = {}, 0
    with psycopg.connect(DB_URL) as conn:
        for name, dropped in setups.items():
            times = []
            for _ in range(rounds):
                with conn.transaction(force_rollback=True):
                    for index in dropped:
                        conn.execute(f"DROP INDEX {index}")
                    ids = next_batch(conn, after) or next_batch(conn, 0)  # small databases
                    after = ids[-1]
                    started = time.perf_counter()
                    conn.execute(BATCH_STATEMENT, [ids])
                    conn.execute("SET CONSTRAINTS ALL IMMEDIATE")
                    times.append((time.perf_counter() - started) * 1000)
            costs[name] = statistics.median(times)
    return costs


def watch(worker: subprocess.Popen, job_id: int) -> tuple[int, list[tuple[float, int]]]:
    """Sample the worker until it exits: (peak kB, [(fraction done, RSS kB), ...])."""
    total = job_row(job_id)["total"] or 1
    peak, samples = 0, []
    while worker.poll() is None:
        memory = memory_kb(worker.pid)
        if memory:
            peak = max(peak, memory[1])
            samples.append((job_row(job_id)["done"] / total, memory[0]))
        time.sleep(0.5)
    return peak, samples


def archive_all(env: dict) -> dict:
    with psycopg.connect(DB_URL) as conn:
        pending = conn.execute("SELECT 1 FROM posts_post WHERE status <> 'archived' LIMIT 1")
        action = "archive" if pending.fetchone() else "publish"
    job_id = enqueue(action, env)
    total = job_row(job_id)["total"]
    worker = start_worker(env, "--until-idle")
    peak, samples = watch(worker, job_id)
    job = job_row(job_id)
    assert job["state"] == "done" and job["done"] == total, job
    seconds = (job["heartbeat_at"] - job["started_at"]).total_seconds()
    working = [(done, rss) for done, rss in samples if done > 0] or samples

    def rss_at(fraction: float) -> int:
        return next((rss for done, rss in working if done >= fraction), working[-1][1])

    return {
        "rows": total,
        "seconds": seconds,
        "rows_per_s": total / seconds,
        "peak_mb": peak / 1024,
        "rss_start_mb": working[0][1] / 1024,
        "rss_10_mb": rss_at(0.1) / 1024,
        "rss_90_mb": rss_at(0.9) / 1024,
        "rss_end_mb": working[-1][1] / 1024,
    }


POST_COUNTS_OFF = """
SELECT count(*) FROM users_user u
LEFT JOIN (SELECT author_id, count(*) AS n FROM posts_post GROUP BY author_id) p
    ON p.author_id = u.id
WHERE u.post_count <> COALESCE(p.n, 0)
"""


@contextmanager
def search_indexes_on_posts() -> Iterator[None]:
    """Put the search indexes back on posts_post for a `with` block; drop them after it."""
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("SET maintenance_work_mem = '512MB'")
        for name, definition in POSTS_SEARCH_INDEXES.items():
            conn.execute(f"CREATE INDEX IF NOT EXISTS {name} ON posts_post {definition}")
        try:
            yield
        finally:
            for name in POSTS_SEARCH_INDEXES:
                conn.execute(f"DROP INDEX IF EXISTS {name}")


def print_archive(archive: dict, label: str = "archive all as one job") -> None:
    verdict = "met" if archive["rows_per_s"] >= GOAL_ROWS_PER_S else "missed"
    print(
        f"{label}: {archive['rows']:,} rows in {archive['seconds']:.1f} s, "
        f"{archive['rows_per_s']:,.0f} rows/s vs goal {GOAL_ROWS_PER_S:,} ({verdict}); "
        f"worker RSS peak {archive['peak_mb']:.0f} MB, {archive['rss_start_mb']:.0f} MB "
        f"at the start, {archive['rss_10_mb']:.0f} MB at 10 %, "
        f"{archive['rss_90_mb']:.0f} MB at 90 %, {archive['rss_end_mb']:.0f} MB at the end"
    )


def print_costs(costs: dict, rounds: int) -> None:
    print(
        f"batch statement, 1,000 posts (rolled back, median of {rounds}): "
        + ", ".join(f"{name} {ms:.0f} ms" for name, ms in costs.items())
    )


def kill_and_resume(env: dict) -> dict:
    with psycopg.connect(DB_URL) as conn:
        # Each post's version before the job: the job must bump each exactly once.
        conn.execute("DROP TABLE IF EXISTS bench_versions")
        conn.execute(
            "CREATE TABLE bench_versions AS SELECT id, version FROM posts_post "
            "WHERE status <> 'published'"
        )
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
        versions_off = conn.execute(
            "SELECT count(*) FROM bench_versions b LEFT JOIN posts_post p USING (id) "
            "WHERE p.version IS DISTINCT FROM b.version + 1"
        ).fetchone()[0]
        counts_off = conn.execute(POST_COUNTS_OFF).fetchone()[0]
        conn.execute("DROP TABLE bench_versions")
    ok = (
        job["state"] == "done"
        and job["done"] == total
        and job["attempts"] == 2
        and not_published == 0
        and entries == posts == total
        and versions_off == 0
        and counts_off == 0
    )
    return {
        "rows": total,
        "killed_at": at_kill,
        "state": job["state"],
        "done": job["done"],
        "attempts": job["attempts"],
        "history_entries": entries,
        "posts_with_entry": posts,
        "versions_off": versions_off,
        "counts_off": counts_off,
        "ok": ok,
    }


def run_job(env: dict, job_id: int) -> dict:
    """Run queued job `job_id` with a worker until idle: rows, seconds, rows/s, peak RSS."""
    worker = start_worker(env, "--until-idle")
    peak, _samples = watch(worker, job_id)
    job = job_row(job_id)
    assert job["state"] == "done" and job["done"] == job["total"], job
    seconds = (job["heartbeat_at"] - job["started_at"]).total_seconds()
    return {
        "rows": job["done"],
        "seconds": seconds,
        "rows_per_s": job["done"] / seconds,
        "peak_mb": peak / 1024,
    }


def upload(env: dict, count: int, csv: dict) -> dict:
    """Read `count` rows of `csv` as the upload request does; the preview job queued."""
    values = {**csv, "COUNT": count}
    out = manage("shell", "-c", snippet(UPLOAD, **values), env=env, timeout=3600).split()
    job_id, pending, seconds, size, peak = out[-5:]
    return {
        "job": int(job_id),
        "pending": int(pending),
        "seconds": float(seconds),
        "mb": int(size) / 2**20,
        "peak_mb": int(peak) / 1024,
    }


def import_users(env: dict, count: int) -> dict:
    """Upload, preview and import `count` new users, as a member would: three steps timed."""
    env = {**env, "IMPORT_MAX_ROWS": str(max(count, 1_000_000))}
    uploaded = upload(env, count, USERS_CSV)
    preview = run_job(env, uploaded["job"])
    script = snippet(CONFIRM, PENDING=uploaded["pending"], KIND=USERS_CSV["KIND"])
    imported = run_job(env, int(manage("shell", "-c", script, env=env).split()[-1]))
    return {"upload": uploaded, "preview": preview, "import": imported}


def upload_largest(env: dict, count: int) -> dict:
    """The request's part of the largest upload: `count` posts read, checked and stored."""
    return upload(env, count, POSTS_CSV)


def export_xlsx(env: dict) -> dict:
    job_id = int(manage("shell", "-c", EXPORT_XLSX, env=env).split()[-1])
    total = job_row(job_id)["total"]
    worker = start_worker(env, "--until-idle")
    peak, samples = watch(worker, job_id)
    job = job_row(job_id)
    assert job["state"] == "done" and job["done"] == total, job
    with psycopg.connect(DB_URL) as conn:
        size = conn.execute(
            "SELECT size FROM jobs_jobfile WHERE job_id = %s", [job_id]
        ).fetchone()[0]
    return {
        "rows": total,
        "seconds": (job["heartbeat_at"] - job["started_at"]).total_seconds(),
        "file_mb": size / 2**20,
        "peak_mb": peak / 1024,
        # After the first batch: Django, openpyxl and the workbook loaded.
        "rss_first_batch_mb": next((rss for done, rss in samples if done > 0), 0) / 1024,
    }


def main() -> None:
    global DB, DB_URL
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--posts", type=int, default=100_000, help="posts to seed")
    parser.add_argument("--database", default=DB, help="the database to seed (and drop)")
    parser.add_argument("--import-users", type=int, default=100_000, help="users to import")
    parser.add_argument(
        "--upload-rows", type=int, default=1_000_000, help="posts in the largest upload"
    )
    parser.add_argument(
        "--statement-rounds", type=int, default=7, help="rolled-back batches per index setup"
    )
    parser.add_argument(
        "--skip",
        default="",
        help="steps to leave out: statement,archive,resume,baseline,import,upload,xlsx",
    )
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = parser.parse_args()
    # Each figure as soon as it is known, also into a file or a pipe.
    sys.stdout.reconfigure(line_buffering=True)
    skip = set(filter(None, args.skip.split(",")))
    DB, DB_URL = args.database, f"{PG_SERVER}/{args.database}"
    env = bench_env(database=DB)
    recreate_database()
    failed = False
    try:
        manage("migrate", "--no-input", env=env)
        started = time.perf_counter()
        manage(
            "seed_demo", "--users", str(max(1000, args.posts // 10)), "--posts",
            str(args.posts), env=env, timeout=3600,
        )  # fmt: skip
        print(f"seeded {args.posts:,} posts in {time.perf_counter() - started:.0f} s")
        if "statement" not in skip:
            print(f"[load {load()}]")
            costs = statement_costs(
                args.statement_rounds, {"every index": (), "primary key only": OTHER_INDEXES}
            )
            print_costs(costs, args.statement_rounds)
        if "archive" not in skip:
            print(f"[load {load()}]")
            archive = archive_all(env)
            print_archive(archive)
        if "resume" not in skip:
            print(f"[load {load()}]")
            resume = kill_and_resume(env)
            failed = not resume["ok"]
            print(
                f"kill and resume: {resume['rows']:,} rows, SIGKILL at {resume['killed_at']:,} "
                f"done; final state {resume['state']}, {resume['done']:,} done in "
                f"{resume['attempts']} runs, {resume['history_entries']:,} history entries for "
                f"{resume['posts_with_entry']:,} posts, {resume['versions_off']:,} versions not "
                f"bumped exactly once, {resume['counts_off']:,} users' post counts off: "
                f"{'OK' if resume['ok'] else 'WRONG'}"
            )
        if "baseline" not in skip:
            print(f"[load {load()}] baseline: the search indexes back on posts_post ...")
            with search_indexes_on_posts():
                if "statement" not in skip:
                    before = statement_costs(
                        args.statement_rounds,
                        {"every index, the search indexes on posts_post": ()},
                    )
                    print_costs(before, args.statement_rounds)
                print(f"[load {load()}]")
                baseline = archive_all(env)
            print_archive(baseline, "baseline, the search indexes on posts_post")
            if "archive" not in skip:
                ratio = archive["rows_per_s"] / baseline["rows_per_s"]
                print(
                    f"status change: {archive['rows_per_s']:,.0f} vs "
                    f"{baseline['rows_per_s']:,.0f} rows/s = {ratio:.1f}x the baseline"
                )
        if "import" not in skip:
            print(f"[load {load()}]")
            imported = import_users(env, args.import_users)
            up, preview, done = imported["upload"], imported["preview"], imported["import"]
            print(
                f"import {args.import_users:,} users: upload read and stored in "
                f"{up['seconds']:.1f} s ({up['mb']:.0f} MB); preview job "
                f"{preview['rows_per_s']:,.0f} rows/s ({preview['seconds']:.0f} s, worker RSS "
                f"peak {preview['peak_mb']:.0f} MB); import job {done['rows_per_s']:,.0f} rows/s "
                f"({done['seconds']:.0f} s, worker RSS peak {done['peak_mb']:.0f} MB)"
            )
        if "upload" not in skip:
            print(f"[load {load()}]")
            largest = upload_largest(env, args.upload_rows)
            print(
                f"upload of {args.upload_rows:,} posts ({largest['mb']:.0f} MB): read, checked "
                f"and stored in {largest['seconds']:.1f} s (the request's part; its limit is "
                f"gunicorn's 30 s timeout), RSS peak {largest['peak_mb']:.0f} MB"
            )
        if "xlsx" not in skip:
            print(f"[load {load()}]")
            xlsx = export_xlsx(env)
            print(
                f"XLSX export as one job: {xlsx['rows']:,} rows in {xlsx['seconds']:.1f} s, "
                f"{xlsx['rows'] / xlsx['seconds']:,.0f} rows/s, a {xlsx['file_mb']:.0f} MB file; "
                f"worker RSS peak {xlsx['peak_mb']:.0f} MB vs {xlsx['rss_first_batch_mb']:.0f} MB "
                "after its first batch"
            )
        print(f"[load {load()}]")
        if failed:
            sys.exit(1)
    finally:
        if not args.keep:
            drop_database()


if __name__ == "__main__":
    main()
