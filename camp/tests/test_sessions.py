"""Sessions follow the password: a change ends the user's other sessions.

Django ties each session to a hash of the password (the session auth hash);
these tests hold the dashboard and the admin to it, and check that logging in
through the form rotates the session key and upgrades an old password hash.
"""

from http import HTTPStatus

import pytest
from django.contrib.auth.hashers import make_password
from django.test import Client
from django.urls import reverse

from users.models import User
from users.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "camp-test-password"
NEW_PASSWORD = "Another-passphrase-42"


def _logged_in(user: User) -> Client:
    client = Client()
    client.force_login(user)
    assert client.get(reverse("home")).status_code == HTTPStatus.OK
    return client


def _is_logged_in(client: Client) -> bool:
    return client.get(reverse("home")).status_code == HTTPStatus.OK


def test_admin_password_change_logs_out_the_users_other_sessions(admin_client):
    user = StaffUserFactory(is_superuser=True)
    elsewhere = _logged_in(user)

    response = admin_client.post(
        reverse("admin:auth_user_password_change", args=[user.pk]),
        {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD, "usable_password": "true"},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert not _is_logged_in(elsewhere)


def test_changing_your_own_password_keeps_you_in_and_ends_your_other_sessions(reauthenticate):
    me = StaffUserFactory(is_superuser=True)
    here, elsewhere = _logged_in(me), _logged_in(me)
    # Setting a password asks for the current one first (camp.accounts.mixins).
    reauthenticate(here, me)

    response = here.post(
        reverse("users:set_password", args=[me.pk]),
        {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD},
    )

    assert response.status_code == HTTPStatus.FOUND
    assert _is_logged_in(here)
    assert not _is_logged_in(elsewhere)


def test_logging_in_through_the_form_rotates_the_session_key(client):
    user = StaffUserFactory()
    client.get(reverse("login"))
    client.session.save()
    anonymous_key = client.cookies["sessionid"].value

    client.post(reverse("login"), {"login": user.username, "password": PASSWORD})

    assert client.cookies["sessionid"].value != anonymous_key
    assert client.session["_auth_user_id"] == str(user.pk)


def test_a_pbkdf2_hash_logs_in_through_the_form_and_is_upgraded_to_argon2(client):
    user = StaffUserFactory()
    User.objects.filter(pk=user.pk).update(
        password=make_password(PASSWORD, hasher="pbkdf2_sha256")
    )

    response = client.post(reverse("login"), {"login": user.username, "password": PASSWORD})

    assert response.status_code == HTTPStatus.FOUND
    assert User.objects.get(pk=user.pk).password.startswith("argon2$")
