"""/audit/: superusers only, filterable, paginated, exportable, in English and Japanese."""

import csv
import io
import json
from datetime import datetime, timedelta
from http import HTTPStatus

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from camp.audit.models import AuditEvent
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

Event = AuditEvent.Event
LIST = reverse("audit:list")
EXPORT = reverse("audit:export_csv")


def shown(response) -> list[tuple[str, str]]:
    return [(e.actor_username, e.event) for e in response.context["events"]]


@pytest.fixture
def log():
    """Four events over three days, by alice and bob, kept apart from the fixtures' own."""
    day = timezone.make_aware(datetime(2026, 11, 10, 12, 0))
    alice, bob = UserFactory(username="alice"), UserFactory(username="bob")
    rows = [
        (day, alice, Event.LOGIN, None),
        (day + timedelta(days=1), bob, Event.EXPORT, None),
        (day + timedelta(days=2), alice, Event.BULK_ACTION, None),
        (day + timedelta(days=2, hours=1), None, Event.LOGIN_FAILED, alice),
    ]
    for when, actor, event, target in rows:
        AuditEvent.objects.create(
            created_at=when,
            actor=actor,
            actor_username=actor.username if actor else "",
            event=event,
            target_type="users.user" if target else "",
            target_id=str(target.pk) if target else "",
            target_repr=str(target) if target else "",
            ip_address="192.0.2.5",
            user_agent="Browser/1",
            details={"list": "users"} if event == Event.EXPORT else {},
        )
    return rows


@pytest.fixture
def superuser_client() -> Client:
    client = Client()
    client.force_login(UserFactory(is_staff=True, is_superuser=True, username="root"))
    return client


def test_anonymous_visitor_is_sent_to_login(client):
    response = client.get(LIST)

    assert response.status_code == HTTPStatus.FOUND
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize("url", [LIST, EXPORT])
def test_staff_cannot_open_the_log_even_with_every_permission(url):
    member = StaffUserFactory(
        permissions=["audit.view_auditevent", "users.view_user", "users.change_user"]
    )
    client = Client()
    client.force_login(member)

    assert client.get(url).status_code == HTTPStatus.FORBIDDEN


def test_superuser_sees_newest_first(superuser_client, log):
    response = superuser_client.get(LIST, {"when_before": "2026-11-30"})

    assert response.status_code == HTTPStatus.OK
    assert shown(response) == [
        ("", Event.LOGIN_FAILED),
        ("alice", Event.BULK_ACTION),
        ("bob", Event.EXPORT),
        ("alice", Event.LOGIN),
    ]
    assert "192.0.2.5" in response.text


def test_member_filter_finds_what_they_did_and_what_was_done_to_them(superuser_client, log):
    response = superuser_client.get(LIST, {"member": "alice", "when_before": "2026-11-30"})

    assert shown(response) == [
        ("", Event.LOGIN_FAILED),
        ("alice", Event.BULK_ACTION),
        ("alice", Event.LOGIN),
    ]


def test_event_filter(superuser_client, log):
    response = superuser_client.get(LIST, {"event": "export"})

    assert shown(response) == [("bob", Event.EXPORT)]


def test_date_range_filter_takes_whole_days(superuser_client, log):
    response = superuser_client.get(
        LIST, {"when_after": "2026-11-11", "when_before": "2026-11-11"}
    )

    assert shown(response) == [("bob", Event.EXPORT)]


@pytest.mark.parametrize(
    "params",
    [
        {"event": "no-such-event"},
        {"when_after": "yesterday"},
        {"member": "x" * 500},
        {"member": "nul\x00"},
        {"page": "400000000000000000"},
        {"page": "abc"},
        {"after": "garbage"},
    ],
)
def test_bad_parameters_never_answer_a_server_error(superuser_client, log, params):
    response = superuser_client.get(LIST, params)

    assert response.status_code in (HTTPStatus.OK, HTTPStatus.NOT_FOUND)


def test_pages_follow_each_other_by_cursor(superuser_client):
    for number in range(60):
        AuditEvent.objects.create(event=Event.LOGIN, actor_username=f"member{number:02}")

    first = superuser_client.get(LIST, {"event": "login"})
    page = first.context["page_obj"]
    second = superuser_client.get(LIST, {"event": "login", "page": 2, "after": page.next_cursor})

    names = [e.actor_username for e in first.context["events"]]
    names += [e.actor_username for e in second.context["events"]]
    assert len(first.context["events"]) == 50
    assert len(set(names)) == len(names) >= 60


def test_export_streams_the_filtered_log_as_csv_and_is_recorded(superuser_client, log):
    response = superuser_client.get(EXPORT, {"member": "bob"})

    assert response.streaming
    assert response["Content-Type"].startswith("text/csv")
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert rows[0][:4] == ["id", "created_at", "actor_username", "event"]
    assert [row[2:4] for row in rows[1:]] == [["bob", "export"]]
    assert json.loads(rows[1][-1]) == {"list": "users"}
    recorded = AuditEvent.objects.get(event=Event.EXPORT, actor_username="root")
    assert recorded.details == {"list": "audit", "format": "csv", "filters": "member=bob"}


def test_page_in_japanese(superuser_client, log):
    superuser_client.cookies[settings.LANGUAGE_COOKIE_NAME] = "ja"

    response = superuser_client.get(LIST, {"event": "export"})

    assert "監査ログ" in response.text
    assert "エクスポート" in response.text


def test_sidebar_links_the_log_for_superusers_only(superuser_client, staff_client_with):
    staff = staff_client_with("users.view_user")

    assert f'href="{LIST}"' in superuser_client.get(reverse("home")).text
    assert f'href="{LIST}"' not in staff.get(reverse("home")).text


def test_page_costs_the_same_queries_for_few_or_many_events(superuser_client, count_queries):
    AuditEvent.objects.create(event=Event.LOGIN, actor=UserFactory(), details={"a": 1})
    few = count_queries(superuser_client, LIST)
    for _ in range(30):
        AuditEvent.objects.create(event=Event.EXPORT, actor=UserFactory(), details={"b": 2})

    many = count_queries(superuser_client, LIST)

    assert many == few
