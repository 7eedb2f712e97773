from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from camp.records.cache import get_or_load

from .models import Job, JobFile, JobFileChunk, Notification


def job_list(*, user) -> QuerySet[Job]:
    """The jobs `user` may see, newest first, with their owners."""
    return Job.objects.visible_to(user).select_related("owner")


def job_counts() -> dict:
    """Jobs by state and the age in seconds of the oldest queued one, in one query."""
    states = Job.State
    row = Job.objects.aggregate(
        **{state.value: Count("pk", filter=Q(state=state)) for state in states},
        oldest_queued=Min("created_at", filter=Q(state=states.QUEUED)),
    )
    oldest = row.pop("oldest_queued")
    row["oldest_queued_seconds"] = (timezone.now() - oldest).total_seconds() if oldest else 0.0
    return row


def notification_list(*, user) -> QuerySet[Notification]:
    return Notification.objects.filter(user=user).select_related("job")


def unread_count_key(user_id: int) -> str:
    return f"notifications:unread:{user_id}"


def unread_count(*, user_id: int) -> int:
    """The bell's number: cached, so a page costs no query; on a miss, one indexed count.

    Creating a notification or marking one read forgets it.
    """
    return get_or_load(
        unread_count_key(user_id),
        lambda: Notification.objects.filter(user_id=user_id).unread().count(),
    )


def job_file(*, job: Job) -> JobFile | None:
    return JobFile.objects.filter(job=job).first()


def job_file_chunks(*, file: JobFile):
    """Yield the file's bytes a stored piece at a time: one piece in memory, never the file."""
    seqs = JobFileChunk.objects.filter(file=file).order_by("seq").values_list("seq", flat=True)
    for seq in list(seqs):
        yield bytes(JobFileChunk.objects.get(file=file, seq=seq).data)
