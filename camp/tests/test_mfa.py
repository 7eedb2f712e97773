"""Second factors: staff must set one up, the login asks for it, and wrong codes lock out."""

from http import HTTPStatus
from urllib.parse import urlsplit

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal.auth import TOTP
from django.test import Client
from django.urls import reverse

from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "camp-test-password"
SECRET = pyotp.random_base32()
ACTIVATE = reverse("mfa_activate_totp")


@pytest.fixture
def require_mfa(settings):
    settings.CAMP_REQUIRE_MFA = True


@pytest.fixture
def protected():
    """A staff superuser with an authenticator app set up."""
    user = StaffUserFactory(is_superuser=True)
    TOTP.activate(user, SECRET)
    return user


def enter_password(client: Client, user, password: str = PASSWORD):
    return client.post(reverse("login"), {"login": user.username, "password": password})


def enter_code(client: Client, code: str):
    return client.post(reverse("mfa_authenticate"), {"code": code})


def wrong_code() -> str:
    right = pyotp.TOTP(SECRET).now()
    return f"{(int(right) + 1) % 1_000_000:06d}"


# CAMP_REQUIRE_MFA ------------------------------------------------------------


@pytest.mark.parametrize("url", ["/", "/users/", "/posts/", "/admin/", "/admin/users/user/"])
def test_staff_without_a_second_factor_are_sent_to_set_one_up(require_mfa, url):
    client = Client()
    client.force_login(StaffUserFactory(is_superuser=True))

    response = client.get(url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == ACTIVATE


@pytest.mark.parametrize(
    "url", ["/accounts/2fa/", "/accounts/sessions/", "/healthz", "/readyz", "/static/css/camp.css"]
)
def test_setting_up_health_checks_and_static_files_stay_open_without_a_second_factor(
    require_mfa, url
):
    client = Client()
    client.force_login(StaffUserFactory(is_superuser=True))

    response = client.get(url)

    # Static files are not collected for the tests: a 404, but not a redirect.
    assert response.status_code in {HTTPStatus.OK, HTTPStatus.NOT_FOUND}


def test_staff_without_a_second_factor_can_still_log_out(require_mfa):
    client = Client()
    client.force_login(StaffUserFactory())

    response = client.post(reverse("logout"))

    assert response.status_code == HTTPStatus.FOUND
    assert "_auth_user_id" not in client.session


def test_staff_with_a_second_factor_reach_the_dashboard(require_mfa, protected):
    client = Client()
    client.force_login(protected)

    assert client.get("/").status_code == HTTPStatus.OK


def test_members_who_are_not_staff_are_not_asked_to_set_one_up(require_mfa):
    client = Client()
    client.force_login(UserFactory())

    assert client.get("/").status_code == HTTPStatus.FORBIDDEN


def test_without_the_setting_staff_work_with_a_password_alone(settings):
    settings.CAMP_REQUIRE_MFA = False
    client = Client()
    client.force_login(StaffUserFactory())

    assert client.get("/").status_code == HTTPStatus.OK


# The login asks for the second factor -----------------------------------------


def test_the_right_password_alone_does_not_log_in_a_protected_member(protected):
    client = Client()

    response = enter_password(client, protected)

    assert response.url == reverse("mfa_authenticate")
    assert "_auth_user_id" not in client.session
    assert client.get("/").status_code == HTTPStatus.FOUND


def test_the_password_and_a_code_log_in(protected):
    client = Client()
    enter_password(client, protected)

    response = enter_code(client, pyotp.TOTP(SECRET).now())

    assert response.status_code == HTTPStatus.FOUND
    assert client.session["_auth_user_id"] == str(protected.pk)
    assert client.get("/").status_code == HTTPStatus.OK


def test_a_code_is_accepted_only_once(protected):
    code = pyotp.TOTP(SECRET).now()
    first = Client()
    enter_password(first, protected)
    enter_code(first, code)

    second = Client()
    enter_password(second, protected)
    response = enter_code(second, code)

    assert response.status_code == HTTPStatus.OK
    assert "_auth_user_id" not in second.session


def test_the_admin_login_cannot_skip_the_second_factor(protected):
    client = Client()

    response = client.post(
        "/admin/login/?next=/admin/",
        {"username": protected.username, "password": PASSWORD, "next": "/admin/"},
    )

    assert response.status_code == HTTPStatus.FOUND
    location = urlsplit(response.url)
    assert location.path == reverse("login")
    assert location.query == "next=/admin/"
    assert "_auth_user_id" not in client.session
    final, _ = client.get("/admin/", follow=True).redirect_chain[-1]
    assert urlsplit(final).path == reverse("login")


def test_the_admin_login_leads_through_the_second_factor_to_the_admin(protected):
    client = Client()
    client.post(
        f"{reverse('login')}?next=/admin/",
        {"login": protected.username, "password": PASSWORD, "next": "/admin/"},
    )

    response = enter_code(client, pyotp.TOTP(SECRET).now())

    assert response.url == "/admin/"
    assert client.get("/admin/").status_code == HTTPStatus.OK


# Wrong codes count towards the lockout -----------------------------------------


def test_five_wrong_codes_lock_the_login_with_the_429_page(protected):
    client = Client()
    enter_password(client, protected)

    for _ in range(5):
        response = enter_code(client, wrong_code())

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "Too many failed logins" in response.text


def test_the_right_code_is_refused_during_the_lockout(protected):
    client = Client()
    enter_password(client, protected)
    for _ in range(5):
        enter_code(client, wrong_code())

    response = enter_code(client, pyotp.TOTP(SECRET).now())

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert "_auth_user_id" not in client.session


def test_wrong_passwords_and_wrong_codes_add_up(protected):
    client = Client()
    for _ in range(2):
        enter_password(client, protected, password="wrong")
    enter_password(client, protected)
    for _ in range(2):
        enter_code(client, wrong_code())

    response = enter_code(client, wrong_code())

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert enter_password(Client(), protected).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_four_wrong_codes_do_not_lock(protected):
    client = Client()
    enter_password(client, protected)
    for _ in range(4):
        enter_code(client, wrong_code())

    response = enter_code(client, pyotp.TOTP(SECRET).now())

    assert response.status_code == HTTPStatus.FOUND
    assert Authenticator.objects.filter(user=protected).exists()


# Passkeys ----------------------------------------------------------------------


def passkey_of(user) -> Authenticator:
    """A stored passkey; these tests never verify its signature, only whose it is."""
    return Authenticator.objects.create(
        user=user, type=Authenticator.Type.WEBAUTHN, data={"name": "Phone", "credential": {}}
    )


def test_a_passkey_alone_counts_as_the_second_factor(require_mfa):
    member = StaffUserFactory(is_superuser=True)
    passkey_of(member)
    client = Client()
    client.force_login(member)

    assert client.get("/").status_code == HTTPStatus.OK


def test_a_member_cannot_remove_someone_elses_passkey():
    key = passkey_of(StaffUserFactory(is_superuser=True))
    member = StaffUserFactory()
    client = Client()
    enter_password(client, member)
    # Fresh re-authentication, so that allauth's own check is not what refuses.
    client.post(reverse("account_reauthenticate"), {"password": PASSWORD})

    own = reverse("mfa_remove_webauthn", kwargs={"pk": passkey_of(member).pk})
    assert client.get(own).status_code == HTTPStatus.OK

    url = reverse("mfa_remove_webauthn", kwargs={"pk": key.pk})
    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url).status_code == HTTPStatus.NOT_FOUND
    assert Authenticator.objects.filter(pk=key.pk).exists()
