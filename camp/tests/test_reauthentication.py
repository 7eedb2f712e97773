"""Sensitive actions ask for the password again unless it was given in the last few minutes."""

from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.test import Client
from django.urls import reverse

from users.models import User
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "camp-test-password"
NEW_PASSWORD = "Another-camp-password-9"
REAUTHENTICATE = reverse("account_reauthenticate")
ADMIN_VIEWS = {
    "change": "admin:users_user_change",
    "delete": "admin:users_user_delete",
    "password_change": "admin:auth_user_password_change",
}


@pytest.fixture
def superuser_client() -> Client:
    """A superuser who logged in a while ago (force_login records no password)."""
    client = Client()
    client.user = StaffUserFactory(is_superuser=True)
    client.force_login(client.user)
    return client


@pytest.fixture
def target() -> User:
    return UserFactory(password=PASSWORD)


def assert_sent_to_reauthenticate(response) -> None:
    assert response.status_code == HTTPStatus.FOUND
    assert urlsplit(response.url).path == REAUTHENTICATE


def give_password(client: Client):
    return client.post(REAUTHENTICATE, {"password": PASSWORD}, follow=False)


def test_setting_another_members_password_asks_for_the_password_first(superuser_client, target):
    url = reverse("users:set_password", args=[target.pk])
    data = {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD}

    assert superuser_client.get(url).status_code == HTTPStatus.OK
    assert_sent_to_reauthenticate(superuser_client.post(url, data))
    target.refresh_from_db()
    assert target.check_password(PASSWORD)

    # Given, the password can be set for the next few minutes.
    assert give_password(superuser_client).status_code == HTTPStatus.FOUND
    superuser_client.post(url, data)
    target.refresh_from_db()
    assert target.check_password(NEW_PASSWORD)


def test_making_a_member_staff_asks_for_the_password_first(superuser_client, target):
    url = reverse("users:update", args=[target.pk])
    data = {
        "username": target.username,
        "email": target.email,
        "name": target.name,
        "is_staff": "on",
        "version": target.version,
    }

    assert_sent_to_reauthenticate(superuser_client.post(url, data))
    target.refresh_from_db()
    assert not target.is_staff

    give_password(superuser_client)
    superuser_client.post(url, data)
    target.refresh_from_db()
    assert target.is_staff


def test_renaming_a_member_needs_no_fresh_password(superuser_client, target):
    url = reverse("users:update", args=[target.pk])
    data = {
        "username": target.username,
        "email": target.email,
        "name": "New name",
        "version": target.version,
    }

    response = superuser_client.post(url, data)

    assert response.status_code == HTTPStatus.FOUND
    assert urlsplit(response.url).path != REAUTHENTICATE
    target.refresh_from_db()
    assert target.name == "New name"


def test_deleting_a_member_asks_for_the_password_first(superuser_client, target):
    url = reverse("users:delete", args=[target.pk])

    assert superuser_client.get(url).status_code == HTTPStatus.OK
    assert_sent_to_reauthenticate(superuser_client.post(url))
    assert User.objects.filter(pk=target.pk).exists()

    give_password(superuser_client)
    superuser_client.post(url)
    assert not User.objects.filter(pk=target.pk).exists()


@pytest.mark.parametrize("name", ["users:export_csv", "users:export_xlsx"])
def test_exporting_the_members_asks_for_the_password_first(superuser_client, name):
    assert_sent_to_reauthenticate(superuser_client.get(reverse(name)))

    give_password(superuser_client)
    response = superuser_client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK


def test_a_wrong_password_does_not_pass(superuser_client):
    superuser_client.get(reverse("users:export_csv"))

    response = superuser_client.post(REAUTHENTICATE, {"password": "wrong"})

    assert response.status_code == HTTPStatus.OK
    assert_sent_to_reauthenticate(superuser_client.get(reverse("users:export_csv")))


@pytest.mark.parametrize(
    ("view", "method"),
    [("change", "post"), ("delete", "post"), ("password_change", "post")],
)
def test_the_admin_asks_for_the_password_before_changing_a_member(
    superuser_client, target, view, method
):
    url = reverse(ADMIN_VIEWS[view], args=[target.pk])
    before = User.objects.filter(pk=target.pk).values().get()

    response = getattr(superuser_client, method)(
        url,
        {
            "username": target.username,
            "email": target.email,
            "is_superuser": "on",
            "is_staff": "on",
            "is_active": "on",
            "version": target.version,
            "password1": NEW_PASSWORD,
            "password2": NEW_PASSWORD,
            "post": "yes",
        },
    )

    assert_sent_to_reauthenticate(response)
    assert User.objects.filter(pk=target.pk).values().get() == before


def test_the_admin_bulk_actions_ask_for_the_password_first(superuser_client, target):
    response = superuser_client.post(
        reverse("admin:users_user_changelist"),
        {"action": "delete_selected", "_selected_action": [target.pk], "post": "yes"},
    )

    assert_sent_to_reauthenticate(response)
    assert User.objects.filter(pk=target.pk).exists()


def test_the_admin_pages_themselves_open_without_a_fresh_password(superuser_client, target):
    for view in ("change", "delete", "password_change"):
        url = reverse(ADMIN_VIEWS[view], args=[target.pk])
        assert superuser_client.get(url).status_code == HTTPStatus.OK, view


def test_turning_the_second_factor_off_asks_for_the_password_first(superuser_client):
    from allauth.mfa.totp.internal.auth import TOTP

    TOTP.activate(superuser_client.user, "JBSWY3DPEHPK3PXP")

    response = superuser_client.post(reverse("mfa_deactivate_totp"))

    assert response.status_code == HTTPStatus.FOUND
    assert urlsplit(response.url).path in {REAUTHENTICATE, reverse("mfa_reauthenticate")}
    assert superuser_client.user.authenticator_set.exists()
