from django.db.models import Count, Min, Q, QuerySet
from django.utils import timezone

from .models import Job


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
