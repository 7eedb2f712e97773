"""Writing the audit log, and pruning it past the retention period."""

import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta

from django.db import connection, models, transaction
from django.http import HttpRequest
from django.utils import timezone
from simple_history.models import HistoricalRecords

from camp.ops.throttling import client_address

from .models import AuditEvent

#: Detail keys dropped whatever their value: the log never holds a secret.
SECRET_KEY_RE = re.compile(r"pass|secret|token|code|key|otp|credential|hash|seed", re.IGNORECASE)

#: The setting the PostgreSQL trigger reads to let the prune delete.
PRUNE_SETTING = "camp.audit_prune"

#: Rows deleted per statement by the prune, so a big prune shows progress
#: and holds no lock for long.
PRUNE_BATCH = 10_000


def current_request() -> HttpRequest | None:
    """The request being served on this thread, if any.

    Model signals do not carry the request; django-simple-history's middleware
    already keeps it for the history's "who", so the log reads it from there.
    """
    return getattr(HistoricalRecords.context, "request", None)


def _clean(details: dict) -> dict:
    return {
        key: _clean(value) if isinstance(value, dict) else value
        for key, value in details.items()
        if not SECRET_KEY_RE.search(str(key))
    }


def audit_record(
    *,
    event: str,
    request: HttpRequest | None = None,
    actor=None,
    target: models.Model | None = None,
    details: dict | None = None,
    client: dict | None = None,
) -> AuditEvent:
    """Record `event` by `actor` (else the request's user) about `target`, with the client.

    `client` (from audit_client()) stands in for the request of work done later, by a job.

    The address comes through the same trusted-proxy rule as login throttling
    (`camp.ops.throttling.client_address`), so a forged X-Forwarded-For is not
    believed here either.
    """
    if actor is None and request is not None:
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated:
            actor = user
    if actor is not None and not getattr(actor, "is_authenticated", False):
        actor = None
    if request is not None:
        client = audit_client(request)
    address = (client or {}).get("address") or None
    user_agent = (client or {}).get("user_agent", "")
    event_row = AuditEvent(
        event=event,
        actor=actor if actor is not None and actor.pk else None,
        actor_username=actor.get_username()[:150] if actor is not None else "",
        ip_address=address,
        user_agent=user_agent,
        details=_clean(details or {}),
    )
    if target is not None:
        event_row.target_type = target._meta.label_lower
        event_row.target_id = str(target.pk or "")[:64]
        event_row.target_repr = str(target)[:200]
    event_row.save()
    return event_row


@contextmanager
def _prune_allowed() -> Iterator[None]:
    """Let the trigger allow this transaction's deletes, and only those in the block.

    The setting is local to the transaction; turning it off again keeps it
    from reaching later statements when the prune runs inside an outer
    transaction (where `atomic()` is only a savepoint). An error rolls it
    back with the savepoint.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT set_config(%s, 'on', true)", [PRUNE_SETTING])
        yield
        cursor.execute("SELECT set_config(%s, 'off', true)", [PRUNE_SETTING])


def audit_prune(
    *,
    days: int,
    dry_run: bool = False,
    progress: Callable[[int, int], None] | None = None,
) -> int:
    """Delete the events older than `days` days; return how many (would have) gone.

    Deleted in batches of PRUNE_BATCH, each in its own transaction, calling
    `progress(done, total)` after each. On PostgreSQL each transaction sets
    the local setting the append-only trigger checks: nothing else may delete.
    """
    cutoff = timezone.now() - timedelta(days=days)
    old = AuditEvent.objects.filter(created_at__lt=cutoff)
    total = old.count()
    if dry_run or not total:
        return total
    done = 0
    while True:
        with transaction.atomic():
            ids = list(old.order_by("created_at", "id").values_list("pk", flat=True)[:PRUNE_BATCH])
            if not ids:
                break
            with _prune_allowed():
                deleted, _ = AuditEvent.objects.filter(pk__in=ids).delete()
        done += deleted
        if progress is not None:
            progress(done, max(total, done))
    return done


# One-line hooks for the shared list code (camp.lists.listviews, camp.lists.admin).


def audit_export(
    *, request: HttpRequest, list_name: str, fmt: str, filters: str = ""
) -> AuditEvent:
    """Record that the member downloaded `list_name` as `fmt`, with the list's `filters`."""
    return audit_record(
        event=AuditEvent.Event.EXPORT,
        request=request,
        details={"list": str(list_name), "format": fmt, "filters": filters},
    )


def audit_client(request: HttpRequest) -> dict[str, str]:
    """The client of `request` as audit_import() takes it back, for work done later by a job."""
    return {
        "address": client_address(request) or "",
        "user_agent": request.META.get("HTTP_USER_AGENT", "")[:512],
    }


def audit_import(
    *, actor, list_name: str, filename: str, counts: dict[str, int], client: dict | None = None
) -> AuditEvent:
    """Record a confirmed import once it is written, with what it did, by the job's owner.

    `counts` holds the rows created, updated and unchanged; `client` is the
    audit_client() of the request that confirmed it.
    """
    return audit_record(
        event=AuditEvent.Event.IMPORT,
        actor=actor,
        details={"list": str(list_name), "file": filename, **counts},
        client=client,
    )


def audit_bulk_action(
    *, request: HttpRequest, action: str, model: type[models.Model], rows: int
) -> AuditEvent:
    """Record a bulk action carried out: which, on which model, how many rows."""
    return audit_record(
        event=AuditEvent.Event.BULK_ACTION,
        request=request,
        details={"action": action, "model": model._meta.label_lower, "rows": rows},
    )
