"""Five wrong passwords lock a username on one address for 15 minutes, never for good."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from django.urls import reverse

from users.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "camp-test-password"


def _fail(client, username, times):
    for _ in range(times):
        response = client.post(reverse("login"), {"login": username, "password": "wrong"})
    return response


def test_five_wrong_passwords_lock_the_login_with_a_429_page(client):
    user = StaffUserFactory()

    response = _fail(client, user.username, 5)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many failed logins" in response.text
    assert "15 minutes" in response.text


def test_four_wrong_passwords_do_not_lock(client):
    user = StaffUserFactory()
    _fail(client, user.username, 4)

    response = client.post(reverse("login"), {"login": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND


def test_the_right_password_is_refused_during_the_cool_off(client):
    user = StaffUserFactory()
    _fail(client, user.username, 5)

    response = client.post(reverse("login"), {"login": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "_auth_user_id" not in client.session


def test_the_right_password_works_after_the_cool_off(client):
    user = StaffUserFactory()
    _fail(client, user.username, 5)
    AccessAttempt.objects.update(
        attempt_time=AccessAttempt.objects.get().attempt_time - timedelta(minutes=16)
    )

    response = client.post(reverse("login"), {"login": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND


def test_the_lock_is_per_username_and_address(client):
    locked, other = StaffUserFactory(), StaffUserFactory()
    _fail(client, locked.username, 5)

    response = client.post(reverse("login"), {"login": other.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND


def test_admins_can_see_and_clear_lockouts(admin_client):
    user = StaffUserFactory()
    from django.test import Client

    _fail(Client(), user.username, 5)

    response = admin_client.get(reverse("admin:axes_accessattempt_changelist"))

    assert response.status_code == HTTPStatus.OK
    assert user.username in response.text
    attempt = AccessAttempt.objects.get(username=user.username)
    admin_client.post(
        reverse("admin:axes_accessattempt_delete", args=[attempt.pk]), {"post": "yes"}
    )
    assert not AccessAttempt.objects.filter(username=user.username).exists()
