"""On PostgreSQL, the audit page's order and filters are served by their indexes.

The planner reaches for an index only on a table big enough, so the module
writes 20,000 events once, committed, and truncates them afterwards.
"""

from datetime import timedelta

import pytest
from django.db import connection
from django.utils import timezone

from camp.audit.models import AuditEvent
from camp.audit.selectors import audit_event_list

pytestmark = pytest.mark.django_db

EVENTS = list(AuditEvent.Event)


@pytest.fixture(scope="module")
def logged(django_db_setup, django_db_blocker):
    with django_db_blocker.unblock():
        now = timezone.now()
        AuditEvent.objects.bulk_create(
            (
                AuditEvent(
                    created_at=now - timedelta(minutes=n),
                    actor_username=f"member{n % 2000}",
                    event=EVENTS[n % len(EVENTS)],
                    target_type="users.user",
                    target_id=str(n % 3000),
                    target_repr=f"member{n % 3000}",
                )
                for n in range(20_000)
            ),
            batch_size=5000,
        )
        with connection.cursor() as cursor:
            cursor.execute("ANALYZE audit_auditevent")
    yield
    with django_db_blocker.unblock(), connection.cursor() as cursor:
        cursor.execute("TRUNCATE audit_auditevent RESTART IDENTITY")


def plan(params: dict) -> str:
    return audit_event_list(params=params).qs[:50].explain()


def test_newest_first_reads_the_time_index(logged):
    text = plan({})

    assert "audit_created_idx" in text, text
    assert "Sort" not in text, text


def test_member_filter_reads_the_actor_and_target_indexes(logged):
    text = plan({"member": "member42"})

    assert "audit_actor_idx" in text, text
    assert "audit_target_idx" in text, text
    assert "Seq Scan" not in text, text


def test_event_filter_reads_an_index(logged):
    text = plan({"event": "locked_out"})

    assert "Seq Scan" not in text, text
