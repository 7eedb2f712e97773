"""Two PostgreSQL task queues side by side: django-tasks (database backend) and procrastinate.

What Camp needs from a queue, measured the same way for both: the cost of
enqueueing one job inside a transaction, no-op jobs per second with one and
with two workers, and what becomes of a job whose worker is killed with
SIGKILL half-way. Each queue gets a database of its own (camp_queues_bench),
created and dropped here.

    .venv/bin/pip install -r bench/requirements.txt   # procrastinate, for this script only
    .venv/bin/python bench/queues.py [--jobs 2000]

Workers are separate processes of this script (`worker-tasks`, `worker-procrastinate`).
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psycopg

PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres:postgres@127.0.0.1:5432")
DB = "camp_queues_bench"
DB_URL = f"{PG_SERVER}/{DB}"
HERE = Path(__file__).resolve()


# django-tasks -------------------------------------------------------------


def setup_django() -> None:
    import django
    from django.conf import settings

    if settings.configured:
        return
    settings.configure(
        INSTALLED_APPS=["django_tasks", "django_tasks_db"],
        DATABASES={
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": DB,
                "USER": "postgres",
                "PASSWORD": "postgres",
                "HOST": "127.0.0.1",
                "PORT": 5432,
            }
        },
        TASKS={"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}},
        USE_TZ=True,
    )
    django.setup()


def tasks_module():
    """The task functions, defined once Django is set up."""
    setup_django()
    from django_tasks import task

    # A task is found again by its function's dotted path, so the module
    # names must point at the Task objects, in the workers too.
    for name in ("_noop", "_sleep"):
        if callable(globals()[name]) and not hasattr(globals()[name], "enqueue"):
            globals()[name] = task()(globals()[name])
    return globals()["_noop"], globals()["_sleep"]


def _noop() -> None:
    return None


def _sleep(seconds: float) -> None:
    time.sleep(seconds)


def tasks_worker() -> None:
    tasks_module()
    from django.core.management import call_command

    call_command(
        "db_worker", batch=True, interval=0.1, startup_delay=False, reload=False, verbosity=0
    )


def tasks_kill_worker() -> None:
    tasks_module()
    from django.core.management import call_command

    call_command("db_worker", interval=0.1, startup_delay=False, reload=False, verbosity=0)


def bench_tasks(jobs: int) -> dict:
    noop, sleep = tasks_module()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django_tasks_db.models import DBTaskResult

    call_command("migrate", verbosity=0)
    result: dict = {}
    start = time.perf_counter()
    with transaction.atomic():
        for _ in range(jobs):
            noop.enqueue()
    result["enqueue_ms"] = (time.perf_counter() - start) * 1000 / jobs
    connection.close()
    result["one_worker"] = jobs / run_workers("worker-tasks", 1)
    with transaction.atomic():
        for _ in range(jobs):
            noop.enqueue()
    connection.close()
    result["two_workers"] = jobs / run_workers("worker-tasks", 2)
    DBTaskResult.objects.all().delete()
    sleep.enqueue(30)
    connection.close()
    worker = spawn("worker-tasks-forever")
    wait_for(lambda: DBTaskResult.objects.filter(status="RUNNING").exists())
    worker.send_signal(signal.SIGKILL)
    worker.wait()
    time.sleep(2)
    result["killed"] = (
        f"status {DBTaskResult.objects.get().status} after the kill; "
        "no lease or heartbeat: stays RUNNING until something re-queues it"
    )
    return result


# procrastinate ------------------------------------------------------------


def procrastinate_app():
    import procrastinate

    app = procrastinate.App(connector=procrastinate.PsycopgConnector(conninfo=DB_URL))

    @app.task(name="noop", queue="bench")
    def noop() -> None:
        return None

    @app.task(name="sleep", queue="bench")
    def sleep(seconds: float) -> None:
        time.sleep(seconds)

    return app, noop, sleep


def procrastinate_worker(*, forever: bool = False) -> None:
    app, _, _ = procrastinate_app()
    app.run_worker(queues=["bench"], wait=forever, concurrency=1, install_signal_handlers=True)


def bench_procrastinate(jobs: int) -> dict:
    app, noop, sleep = procrastinate_app()
    result: dict = {}
    with app.open():
        app.schema_manager.apply_schema()
        start = time.perf_counter()
        for _ in range(jobs):
            noop.defer()
        result["enqueue_ms"] = (time.perf_counter() - start) * 1000 / jobs
    result["one_worker"] = jobs / run_workers("worker-procrastinate", 1)
    with app.open():
        for _ in range(jobs):
            noop.defer()
    result["two_workers"] = jobs / run_workers("worker-procrastinate", 2)
    with psycopg.connect(DB_URL, autocommit=True) as conn:
        conn.execute("DELETE FROM procrastinate_jobs")
    with app.open():
        sleep.defer(seconds=30)
    worker = spawn("worker-procrastinate-forever")
    with psycopg.connect(DB_URL, autocommit=True) as conn:

        def doing() -> bool:
            return bool(
                conn.execute("SELECT 1 FROM procrastinate_jobs WHERE status = 'doing'").fetchone()
            )

        wait_for(doing)
        worker.send_signal(signal.SIGKILL)
        worker.wait()
        time.sleep(2)
        status = conn.execute("SELECT status FROM procrastinate_jobs").fetchone()[0]
    import asyncio

    async def stalled_jobs() -> list:
        async with app.open_async():
            return list(await app.job_manager.get_stalled_jobs(seconds_since_heartbeat=0))

    stalled = asyncio.run(stalled_jobs())
    result["killed"] = (
        f"status {status} after the kill; found by get_stalled_jobs() once the worker's "
        f"heartbeat is old ({len(stalled)} found), to be retried by a periodic task"
    )
    return result


# harness ------------------------------------------------------------------


def spawn(mode: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, str(HERE), mode], stderr=subprocess.DEVNULL)


def run_workers(mode: str, count: int) -> float:
    """Start `count` workers that exit once the queue is empty; return the seconds taken."""
    start = time.perf_counter()
    workers = [spawn(mode) for _ in range(count)]
    for worker in workers:
        worker.wait()
    return time.perf_counter() - start


def wait_for(condition, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit("timed out")
        time.sleep(0.1)


def recreate_database() -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {DB}")


def drop_database() -> None:
    with psycopg.connect(f"{PG_SERVER}/postgres", autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {DB} WITH (FORCE)")


def main() -> None:
    modes = {
        "worker-tasks": tasks_worker,
        "worker-tasks-forever": tasks_kill_worker,
        "worker-procrastinate": procrastinate_worker,
        "worker-procrastinate-forever": lambda: procrastinate_worker(forever=True),
    }
    if len(sys.argv) > 1 and sys.argv[1] in modes:
        modes[sys.argv[1]]()
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=2000, help="no-op jobs per measurement")
    jobs = parser.parse_args().jobs
    results = {}
    try:
        recreate_database()
        results["django-tasks 0.12 + django-tasks-db"] = bench_tasks(jobs)
        recreate_database()
        results["procrastinate 3.10"] = bench_procrastinate(jobs)
    finally:
        drop_database()
    print(f"{jobs} no-op jobs each; one PostgreSQL, this machine")
    print(f"{'':38} {'enqueue ms':>10} {'1 worker/s':>10} {'2 workers/s':>11}")
    for name, r in results.items():
        print(
            f"{name:38} {r['enqueue_ms']:10.2f} {r['one_worker']:10.0f} {r['two_workers']:11.0f}"
        )
    for name, r in results.items():
        print(f"killed worker, {name}: {r['killed']}")


if __name__ == "__main__":
    main()
