"""Run background jobs until stopped: `manage.py worker [--until-idle]`."""

import os
import socket
import time

from django.core.management.base import BaseCommand
from django.db import close_old_connections
from django.db.utils import OperationalError
from django.utils.crypto import get_random_string
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult
from django_tasks_db.utils import exclusive_transaction, is_locked_database_exception

from camp.jobs.models import Job
from camp.jobs.services import job_files_prune, jobs_requeue_stalled, stop_requested


class JobWorker(Worker):
    """django-tasks' database worker, which also takes back jobs whose worker died.

    SIGTERM or SIGINT lets the job under way finish its current batch and go
    back to the queue; a second signal stops at once (the batch rolls back).
    """

    #: Seconds between looks for stalled jobs and expired files: each is a query.
    MAINTENANCE_EVERY = 5

    def __init__(self, *, until_idle: bool, log, **kwargs):
        super().__init__(batch=False, startup_delay=False, max_tasks=None, **kwargs)
        self.until_idle = until_idle
        self.log = log
        self.next_maintenance = 0.0

    def maintain(self) -> None:
        """Queue again the jobs of dead workers; delete job files past their retention."""
        if time.monotonic() < self.next_maintenance:
            return
        self.next_maintenance = time.monotonic() + self.MAINTENANCE_EVERY
        if requeued := jobs_requeue_stalled():
            self.log(f"Queued again {requeued} job(s) whose worker stopped answering.")
        if pruned := job_files_prune():
            self.log(f"Deleted {pruned} job file(s) past their retention.")

    def shutdown(self, signum, frame) -> None:
        stop_requested.set()
        super().shutdown(signum, frame)

    def idle(self) -> bool:
        """Nothing to do now or later: no task ready, no job queued or running."""
        active = Job.objects.filter(state__in=(Job.State.QUEUED, Job.State.RUNNING))
        return not self.ready_tasks().exists() and not active.exists()

    def ready_tasks(self):
        return DBTaskResult.objects.ready().filter(
            backend_name=self.backend_name, queue_name__in=self.queue_names
        )

    def run(self) -> None:
        self.log(f"Worker {self.worker_id} started.")
        while self.running:
            close_old_connections()
            self.maintain()
            task_result = None
            with exclusive_transaction(DBTaskResult.objects.db):
                try:
                    task_result = self.ready_tasks().get_locked()
                    if task_result is not None:
                        # Claimed under the row lock: no other worker gets it.
                        task_result.claim(self.worker_id)
                except OperationalError as error:
                    if not is_locked_database_exception(error):
                        raise
            if task_result is not None:
                self.run_task(task_result)
                continue
            if self.until_idle and self.idle():
                self.log("Nothing queued: stopping.")
                return
            time.sleep(self.interval)


class Command(BaseCommand):
    help = "Run background jobs until SIGTERM/SIGINT (or, with --until-idle, until none is left)."

    def add_arguments(self, parser) -> None:
        parser.add_argument(
            "--until-idle",
            action="store_true",
            help="Stop once no job is queued or running (for tests and scripts).",
        )
        parser.add_argument(
            "--interval",
            type=float,
            default=1.0,
            help="Seconds to wait before looking again when the queue is empty.",
        )

    def handle(self, *args, until_idle: bool, interval: float, **options) -> None:
        def log(message: str) -> None:
            if options["verbosity"]:
                self.stdout.write(message)
                self.stdout.flush()

        worker = JobWorker(
            until_idle=until_idle,
            log=log,
            queue_names=["default"],
            interval=interval,
            backend_name="default",
            worker_id=f"{socket.gethostname()}-{os.getpid()}-{get_random_string(6)}"[:64],
            excluded_queue_names=[],
        )
        worker.configure_signals()
        worker.run()
