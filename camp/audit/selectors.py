import json
from collections.abc import Iterator

from django.db.models import QuerySet
from django.http import QueryDict

from camp.lists.columns import Column
from camp.lists.exporting import export_rows

from .filters import AuditEventFilterSet
from .models import AuditEvent


def audit_event_list(*, params: QueryDict | dict | None = None) -> AuditEventFilterSet:
    """Return the filter set of the audit page; its `.qs` is the filtered log, newest first."""
    return AuditEventFilterSet(
        params or None, queryset=AuditEvent.objects.order_by("-created_at", "-id")
    )


#: The columns of the CSV export, in order (the id comes first).
EXPORT_COLUMNS = [
    Column(key=key, label=key, field=key)
    for key in (
        "created_at",
        "actor_username",
        "event",
        "target_type",
        "target_id",
        "target_repr",
        "ip_address",
        "user_agent",
        "details",
    )
]


def audit_export_rows(queryset: QuerySet) -> Iterator[tuple]:
    """The rows of the export, streamed a chunk at a time; details as JSON text."""
    for row in export_rows(queryset, EXPORT_COLUMNS):
        yield (*row[:-1], json.dumps(row[-1], ensure_ascii=False, sort_keys=True))
