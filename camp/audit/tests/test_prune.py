"""`manage.py prune_audit` deletes what is past the retention period, and only that."""

from datetime import timedelta
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.test import override_settings
from django.utils import timezone

from camp.audit import services
from camp.audit.models import AuditEvent

pytestmark = pytest.mark.django_db


def aged(*days: int) -> list[AuditEvent]:
    now = timezone.now()
    return [
        AuditEvent.objects.create(event=AuditEvent.Event.LOGIN, created_at=now - timedelta(days=d))
        for d in days
    ]


def prune(*args: str) -> str:
    out = StringIO()
    call_command("prune_audit", *args, stdout=out)
    return out.getvalue()


@override_settings(AUDIT_RETENTION_DAYS=30)
def test_prune_deletes_events_past_the_retention_setting_and_says_how_many():
    kept, gone = aged(29, 31)
    before = AuditEvent.objects.count()

    output = prune()

    assert "Deleted 1 audit events older than 30 days." in output
    assert AuditEvent.objects.count() == before - 1
    assert AuditEvent.objects.filter(pk=kept.pk).exists()
    assert not AuditEvent.objects.filter(pk=gone.pk).exists()


def test_days_option_overrides_the_setting():
    aged(5, 400)

    output = prune("--days", "3")

    assert "Deleted 2 audit events older than 3 days." in output


def test_dry_run_deletes_nothing():
    aged(500, 600)
    before = AuditEvent.objects.count()

    output = prune("--dry-run", "--days", "365")

    assert "2 audit events are older than 365 days (dry run)." in output
    assert AuditEvent.objects.count() == before


def test_big_prune_goes_in_batches_with_progress(monkeypatch):
    monkeypatch.setattr(services, "PRUNE_BATCH", 2)
    aged(400, 401, 402, 403, 404)
    steps = []

    deleted = services.audit_prune(days=365, progress=lambda done, total: steps.append(done))

    assert deleted == 5
    assert steps == [2, 4, 5]


def test_progress_bar_ends_with_the_full_count(monkeypatch):
    monkeypatch.setattr(services, "PRUNE_BATCH", 2)
    aged(400, 401, 402)

    output = prune("--days", "365")

    assert "3/3" in output


def test_zero_days_is_refused():
    with pytest.raises(CommandError):
        prune("--days", "0")


def test_nothing_else_may_delete_once_a_prune_is_done():
    """The prune's permission to delete lives in its own transactions, not the connection."""
    from django.db import DatabaseError, transaction

    aged(400)
    prune("--days", "365")
    (event,) = aged(1)

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEvent.objects.filter(pk=event.pk).delete()
