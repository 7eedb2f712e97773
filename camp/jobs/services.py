"""Queue, run, cancel and recover background jobs.

A run takes the job's lease, then works batch by batch: each batch locks the
job row, checks the lease is still its own and no cancel was asked, does the
work and moves the cursor and the counts, all in one transaction. So whatever
kills a worker, the job stands at its last committed batch; a run that lost its
lease (because the job was given to another worker) stops before writing.
"""

import logging
import threading
import uuid
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import timezone

from camp.records.cache import invalidate

from .models import Job, JobFile, JobFileChunk, Notification
from .registry import job_kind
from .selectors import unread_count_key

logger = logging.getLogger(__name__)

#: Set when the worker is asked to stop: the job under way releases its lease
#: after its current batch, to be taken up again by the next worker.
stop_requested = threading.Event()


class JobPermissionError(Exception):
    """The owner lacks a permission the job needs."""


def _may_run(*, owner, kind_key: str, params: dict) -> bool:
    permissions = job_kind(kind_key).permissions(params)
    return owner.is_active and owner.is_staff and owner.has_perms(permissions)


def _enqueue_run(job: Job) -> None:
    from .tasks import run_job

    job.task_id = run_job.enqueue(job_id=job.pk).id
    job.save(update_fields=["task_id"])


@transaction.atomic
def job_enqueue(*, kind: str, owner, label: str, params: dict, total: int | None = None) -> Job:
    """Queue a job of `kind` for `owner`, in the caller's transaction."""
    if not _may_run(owner=owner, kind_key=kind, params=params):
        raise JobPermissionError(kind)
    job = Job.objects.create(kind=kind, owner=owner, label=label, params=params, total=total)
    _enqueue_run(job)
    return job


@transaction.atomic
def job_cancel(*, job: Job) -> Job:
    """Ask `job` to stop after its current batch; a queued job stops at once."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.finished:
        return job
    if job.state == Job.State.QUEUED:
        _finish(job, Job.State.CANCELLED)
    else:
        job.cancel_requested = True
        job.save(update_fields=["cancel_requested"])
    return job


def _finish(job: Job, state: str, *, error: str = "") -> None:
    job.state, job.finished_at, job.lease, job.error = state, timezone.now(), "", error
    if state == Job.State.DONE:
        job.outcome = str(job_kind(job.kind).outcome(job))
    job.save()
    if state in (Job.State.DONE, Job.State.FAILED):
        notification_create(job=job)


def notification_create(*, job: Job) -> Notification:
    """Tell a job's owner it finished or failed, in the transaction that says so."""
    notification = Notification.objects.create(user_id=job.owner_id, job=job, kind=job.state)
    transaction.on_commit(lambda: invalidate(unread_count_key(job.owner_id)))
    return notification


def notifications_mark_read(*, user, pk: int | None = None) -> int:
    """Mark `user`'s notification `pk` read, or all of them; return how many changed."""
    unread = Notification.objects.filter(user=user).unread()
    if pk is not None:
        unread = unread.filter(pk=pk)
    changed = unread.update(read_at=timezone.now())
    invalidate(unread_count_key(user.pk))
    return changed


def _claim(job_id: int) -> tuple[Job | None, str]:
    """Take the lease of a queued job; (None, why) if it is not queued or may not run."""
    with transaction.atomic():
        job = Job.objects.select_for_update().filter(pk=job_id).first()
        if job is None or job.state != Job.State.QUEUED:
            return None, "skipped"
        owner = get_user_model().objects.get(pk=job.owner_id)
        if not _may_run(owner=owner, kind_key=job.kind, params=job.params):
            _finish(job, Job.State.FAILED, error="permission")
            return None, job.state
        now = timezone.now()
        job.state, job.lease, job.attempts = Job.State.RUNNING, uuid.uuid4().hex, job.attempts + 1
        job.started_at = job.started_at or now
        job.heartbeat_at = now
        job.save()
        return job, job.state


def job_run(*, job_id: int) -> str:
    """Run a queued job to its end, a cancel, a stop request or a lost lease; return the state."""
    job, state = _claim(job_id)
    if job is None:
        return state
    kind, lease, owner = job_kind(job.kind), job.lease, job.owner
    try:
        while True:
            if stop_requested.is_set():
                return _release(job.pk, lease)
            with transaction.atomic():
                job = Job.objects.select_for_update().filter(pk=job.pk, lease=lease).first()
                if job is None:
                    return "lost"
                if job.cancel_requested:
                    _finish(job, Job.State.CANCELLED)
                    return job.state
                result = kind.batch(job=job, owner=owner, cursor=job.cursor)
                job.done = result.rows if result.reset else job.done + result.rows
                job.cursor = result.cursor
                job.heartbeat_at = timezone.now()
                if result.cursor is None:
                    _finish(job, Job.State.DONE)
                    return job.state
                job.save(update_fields=["done", "cursor", "heartbeat_at"])
    except Exception as error:
        logger.exception("job %s failed", job.pk)
        with transaction.atomic():
            job = Job.objects.select_for_update().filter(pk=job.pk, lease=lease).first()
            if job is not None:
                _finish(job, Job.State.FAILED, error=f"{type(error).__name__}: {error}")
        return Job.State.FAILED
    finally:
        kind.cleanup(job)


@transaction.atomic
def _release(job_id: int, lease: str) -> str:
    """Give a running job back to the queue, at its last committed batch."""
    job = Job.objects.select_for_update().filter(pk=job_id, lease=lease).first()
    if job is not None:
        job.state, job.lease = Job.State.QUEUED, ""
        job.save(update_fields=["state", "lease"])
        _enqueue_run(job)
    return Job.State.QUEUED


def jobs_requeue_stalled(*, now=None) -> int:
    """Queue again the running jobs whose worker has gone silent (killed, or the machine lost).

    A running job commits a batch every second or so; one with no batch for
    JOBS_STALLED_SECONDS has no live worker. Its lease is taken away, so the
    old run, were it only slow, stops before its next batch.
    """
    now = now or timezone.now()
    cutoff = now - timedelta(seconds=settings.JOBS_STALLED_SECONDS)
    requeued = 0
    stalled = Job.objects.filter(state=Job.State.RUNNING, heartbeat_at__lt=cutoff)
    for job_id in stalled.values_list("pk", flat=True):
        with transaction.atomic():
            job = (
                Job.objects.select_for_update(skip_locked=True)
                .filter(pk=job_id, state=Job.State.RUNNING, heartbeat_at__lt=cutoff)
                .first()
            )
            if job is None:
                continue
            _abandon_task(job.task_id)
            job.state, job.lease = Job.State.QUEUED, ""
            job.save(update_fields=["state", "lease"])
            _enqueue_run(job)
            logger.warning("job %s had no batch since %s: queued again", job.pk, job.heartbeat_at)
            requeued += 1
    return requeued


def _abandon_task(task_id: str) -> None:
    """Mark the queue's record of a dead run failed, so it does not look forever running."""
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=task_id, status="RUNNING").update(
        status="FAILED", finished_at=timezone.now()
    )


#: Bytes per stored piece of a job's file.
FILE_CHUNK_BYTES = 1024 * 1024


def job_file_save(*, job: Job, name: str, content_type: str, path) -> JobFile:
    """Store the file at `path` as `job`'s, a piece at a time, in the caller's transaction."""
    JobFile.objects.filter(job=job).delete()
    stored = JobFile.objects.create(job=job, name=name, content_type=content_type)
    size = 0
    with open(path, "rb") as source:
        for seq, data in enumerate(iter(lambda: source.read(FILE_CHUNK_BYTES), b"")):
            JobFileChunk.objects.create(file=stored, seq=seq, data=data)
            size += len(data)
    stored.size = size
    stored.save(update_fields=["size"])
    return stored


def job_files_prune(*, now=None) -> int:
    """Delete the job files older than JOBS_FILE_RETENTION_HOURS; return how many."""
    now = now or timezone.now()
    cutoff = now - timedelta(hours=settings.JOBS_FILE_RETENTION_HOURS)
    _, by_model = JobFile.objects.filter(created_at__lt=cutoff).delete()
    return by_model.get(JobFile._meta.label, 0)
