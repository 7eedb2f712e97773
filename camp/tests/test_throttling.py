"""What axes keys a login attempt on: a storable username and the client's real address."""

from http import HTTPStatus

import pytest
from axes.models import AccessAttempt
from django.test import Client, RequestFactory
from django.urls import reverse

from camp.ops.throttling import attempted_username, client_address
from users.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_a_username_too_long_to_be_anyone_is_refused_by_the_form(client):
    # No username is that long, so the login form refuses it before any
    # password is checked: there is nothing to guess and nothing for axes to store.
    for _ in range(6):
        response = client.post(reverse("login"), {"login": "x" * 1000, "password": "wrong"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["login"]
    assert not AccessAttempt.objects.exists()


def test_attempted_username_drops_nul_characters():
    request = RequestFactory().post("/accounts/login/")

    assert attempted_username(request, {"username": "ha\x00nako"}) == "hanako"


def test_attempted_username_reads_the_form_without_credentials():
    request = RequestFactory().post("/accounts/login/", {"login": "taro"})

    assert attempted_username(request, None) == "taro"
    assert attempted_username(RequestFactory().post("/"), None) is None


def _request(forwarded: str | None = None):
    headers = {"REMOTE_ADDR": "10.0.0.2"}
    if forwarded is not None:
        headers["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().post("/accounts/login/", **headers)


def test_client_address_is_the_sockets_without_trusted_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 0

    assert client_address(_request("203.0.113.7")) == "10.0.0.2"


def test_client_address_is_what_the_trusted_proxy_saw(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(_request("203.0.113.7")) == "203.0.113.7"


def test_client_address_ignores_entries_the_client_forged(settings):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(_request("198.51.100.1, 203.0.113.7")) == "203.0.113.7"


def test_client_address_counts_from_the_right_behind_two_proxies(settings):
    settings.TRUSTED_PROXY_COUNT = 2

    assert client_address(_request("198.51.100.1, 203.0.113.7, 10.0.0.1")) == "203.0.113.7"


@pytest.mark.parametrize("forwarded", [None, "", "not-an-address"])
def test_client_address_falls_back_to_the_socket(settings, forwarded):
    settings.TRUSTED_PROXY_COUNT = 1

    assert client_address(_request(forwarded)) == "10.0.0.2"


def test_behind_a_proxy_a_lockout_is_per_client_address(settings):
    settings.TRUSTED_PROXY_COUNT = 1
    attacker = Client(HTTP_X_FORWARDED_FOR="203.0.113.66")
    owner = Client(HTTP_X_FORWARDED_FOR="203.0.113.7")
    user = StaffUserFactory()

    for _ in range(5):
        response = attacker.post(reverse("login"), {"login": user.username, "password": "x"})
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS

    response = owner.post(
        reverse("login"), {"login": user.username, "password": "camp-test-password"}
    )
    assert response.status_code == HTTPStatus.FOUND
