"""Audit events are only ever added: not through the admin, not in PostgreSQL."""

from http import HTTPStatus

import pytest
from django.db import DatabaseError, connection, transaction
from django.urls import reverse

from camp.audit.models import AuditEvent
from camp.audit.services import audit_record
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def event():
    return audit_record(event=AuditEvent.Event.EXPORT, actor=UserFactory(), details={"list": "x"})


def refused(statement) -> bool:
    """Run `statement` in a savepoint; True if the database refused it."""
    try:
        with transaction.atomic():
            statement()
    except DatabaseError as error:
        assert "append-only" in str(error)
        return True
    return False


def test_postgresql_refuses_an_update(event):
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(event="login"))
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).update(details={}))

    event.refresh_from_db()
    assert (event.event, event.details) == ("export", {"list": "x"})


def test_postgresql_refuses_a_delete(event):
    assert refused(lambda: AuditEvent.objects.filter(pk=event.pk).delete())
    assert refused(event.delete)

    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_postgresql_refuses_raw_sql_too(event):
    def raw_delete():
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM audit_auditevent WHERE id = %s", [event.pk])

    assert refused(raw_delete)


def test_postgresql_refuses_clearing_the_actor_along_with_another_change(event):
    assert refused(
        lambda: AuditEvent.objects.filter(pk=event.pk).update(actor=None, actor_username="")
    )


def test_deleting_the_actor_keeps_the_event_and_their_name(event):
    name = event.actor.username

    event.actor.delete()

    event.refresh_from_db()
    assert (event.actor, event.actor_username, event.details) == (None, name, {"list": "x"})


def test_admin_shows_events_to_superusers_read_only(admin_client, event):
    changelist = admin_client.get(reverse("admin:audit_auditevent_changelist"))
    change = admin_client.get(reverse("admin:audit_auditevent_change", args=[event.pk]))

    assert changelist.status_code == HTTPStatus.OK
    assert change.status_code == HTTPStatus.OK
    assert 'name="_save"' not in change.text
    assert reverse("admin:audit_auditevent_delete", args=[event.pk]) not in change.text


@pytest.mark.parametrize(
    ("name", "method", "args"),
    [
        ("admin:audit_auditevent_add", "post", False),
        ("admin:audit_auditevent_change", "post", True),
        ("admin:audit_auditevent_delete", "get", True),
        ("admin:audit_auditevent_delete", "post", True),
    ],
)
def test_admin_cannot_add_change_or_delete_events_even_as_superuser(
    admin_client, event, name, method, args
):
    url = reverse(name, args=[event.pk] if args else [])

    response = getattr(admin_client, method)(
        url, {"event": "login", "post": "yes", "actor_username": "forged"}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    event.refresh_from_db()
    assert (event.event, event.actor_username) == ("export", event.actor.username)
    assert AuditEvent.objects.filter(actor_username="forged").count() == 0


def test_admin_bulk_delete_action_is_not_offered(admin_client, event):
    response = admin_client.post(
        reverse("admin:audit_auditevent_changelist"),
        {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"},
    )

    assert response.status_code in (HTTPStatus.OK, HTTPStatus.FOUND)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_staff_with_the_view_permission_still_cannot_open_the_admin_log(event):
    from django.test import Client

    member = StaffUserFactory(permissions=["audit.view_auditevent"])
    client = Client()
    client.force_login(member)

    response = client.get(reverse("admin:audit_auditevent_changelist"))

    assert response.status_code == HTTPStatus.FORBIDDEN
