"""The sessions page: my signed-in sessions, and signing out one or all of the others."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from allauth.usersessions.models import UserSession
from django.test import Client
from django.urls import reverse
from django.utils import dateformat, timezone

from users.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "camp-test-password"


def log_in(member, agent: str, address: str) -> Client:
    client = Client(HTTP_USER_AGENT=agent, REMOTE_ADDR=address)
    response = client.post(reverse("login"), {"login": member.username, "password": PASSWORD})
    assert response.status_code == HTTPStatus.FOUND
    return client


@pytest.fixture
def member():
    return StaffUserFactory()


def test_the_page_lists_my_sessions_with_device_and_address(member):
    laptop = log_in(member, "Laptop Firefox", "192.0.2.10")
    log_in(member, "Phone Safari", "198.51.100.7")
    log_in(StaffUserFactory(), "Someone Else", "203.0.113.99")

    response = laptop.get(reverse("usersessions_list"))

    assert response.status_code == HTTPStatus.OK
    assert "Laptop Firefox" in response.text and "192.0.2.10" in response.text
    assert "Phone Safari" in response.text and "198.51.100.7" in response.text
    assert "Someone Else" not in response.text
    assert "This session" in response.text


def test_signing_out_one_other_session_ends_it(member):
    laptop = log_in(member, "Laptop", "192.0.2.10")
    phone = log_in(member, "Phone", "198.51.100.7")
    tablet = log_in(member, "Tablet", "198.51.100.8")
    phone_session = UserSession.objects.get(user=member, user_agent="Phone")

    response = laptop.post(reverse("usersessions_end", args=[phone_session.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert phone.get("/").status_code == HTTPStatus.FOUND
    assert tablet.get("/").status_code == HTTPStatus.OK
    assert laptop.get("/").status_code == HTTPStatus.OK


def test_signing_out_all_other_sessions_keeps_mine(member):
    laptop = log_in(member, "Laptop", "192.0.2.10")
    phone = log_in(member, "Phone", "198.51.100.7")

    laptop.post(reverse("usersessions_list"))

    assert phone.get("/").status_code == HTTPStatus.FOUND
    assert laptop.get("/").status_code == HTTPStatus.OK


def test_nobody_can_sign_out_someone_elses_session(member):
    victim = log_in(member, "Victim", "192.0.2.10")
    intruder = log_in(StaffUserFactory(), "Intruder", "203.0.113.99")
    session = UserSession.objects.get(user=member)

    response = intruder.post(reverse("usersessions_end", args=[session.pk]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert victim.get("/").status_code == HTTPStatus.OK


def test_the_header_links_to_the_sessions_page(member):
    client = log_in(member, "Laptop", "192.0.2.10")

    response = client.get("/")

    assert f'href="{reverse("usersessions_list")}"' in response.text


def test_the_page_says_when_each_session_was_last_seen(member):
    client = log_in(member, "Laptop Firefox", "192.0.2.10")
    seen = UserSession.objects.get(user=member).last_seen_at

    response = client.get(reverse("usersessions_list"))

    assert "Last seen" in response.text
    assert f'datetime="{dateformat.format(timezone.localtime(seen), "c")}"' in response.text


def test_a_session_seen_moments_ago_is_not_written_again(member, settings):
    settings.SESSION_SEEN_INTERVAL = 300
    client = log_in(member, "Laptop Firefox", "192.0.2.10")
    client.get(reverse("home"))
    earlier = timezone.now() - timedelta(hours=2)
    UserSession.objects.filter(user=member).update(last_seen_at=earlier)

    client.get(reverse("home"))

    assert UserSession.objects.get(user=member).last_seen_at == earlier


def test_a_session_is_seen_again_once_the_interval_has_passed(member, settings):
    client = log_in(member, "Laptop Firefox", "192.0.2.10")
    client.get(reverse("home"))
    earlier = timezone.now() - timedelta(hours=2)
    UserSession.objects.filter(user=member).update(last_seen_at=earlier)
    settings.SESSION_SEEN_INTERVAL = 0

    client.get(reverse("home"))

    assert UserSession.objects.get(user=member).last_seen_at > earlier


def test_a_health_check_does_not_note_the_session(member, django_assert_num_queries):
    client = log_in(member, "Laptop Firefox", "192.0.2.10")
    UserSession.objects.filter(user=member).update(
        last_seen_at=timezone.now() - timedelta(hours=2)
    )

    with django_assert_num_queries(0):
        client.get(reverse("healthz"))
