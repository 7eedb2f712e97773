"""Password reset and email change mail: sent to the right address, in the member's language."""

import re
from http import HTTPStatus

import pytest
from allauth.account.models import EmailAddress
from django.core import mail
from django.test import Client
from django.urls import reverse

from users.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_password_reset_mail_goes_to_the_members_address(client):
    member = StaffUserFactory(email="hanako@example.com")

    response = client.post(reverse("account_reset_password"), {"email": "HANAKO@example.com"})

    assert response.status_code == HTTPStatus.FOUND
    [message] = mail.outbox
    assert message.to == [member.email]
    assert message.subject.startswith("[Camp] ")
    assert "/accounts/password/reset/key/" in message.body


def test_password_reset_mail_speaks_the_language_of_the_request():
    StaffUserFactory(email="taro@example.com")
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")

    client.post(reverse("account_reset_password"), {"email": "taro@example.com"})

    [message] = mail.outbox
    assert "パスワード" in message.subject


def test_password_reset_for_an_unknown_address_sends_nothing_and_says_the_same(client):
    response = client.post(reverse("account_reset_password"), {"email": "nobody@example.com"})

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == reverse("account_reset_password_done")
    assert not mail.outbox


def test_changing_the_email_address_waits_for_the_new_address_to_confirm(settings):
    member = StaffUserFactory(email="old@example.com")
    client = Client(HTTP_ACCEPT_LANGUAGE="ja")
    client.force_login(member)

    response = client.post(
        reverse("account_email"), {"action_add": "", "email": "new@example.com"}
    )

    assert response.status_code == HTTPStatus.FOUND
    [message] = mail.outbox
    assert message.to == ["new@example.com"]
    assert "メールアドレス" in message.subject
    member.refresh_from_db()
    assert member.email == "old@example.com"
    assert not EmailAddress.objects.filter(email="new@example.com", verified=True).exists()


def test_following_the_mailed_link_makes_the_new_address_the_members():
    member = StaffUserFactory(email="old@example.com")
    client = Client()
    client.force_login(member)
    client.post(reverse("account_email"), {"action_add": "", "email": "new@example.com"})
    [message] = mail.outbox
    link = re.search(r"/accounts/confirm-email/[^/\s]+/", message.body)[0]

    response = client.post(link)

    assert response.status_code == HTTPStatus.FOUND
    member.refresh_from_db()
    assert member.email == "new@example.com"
    assert list(EmailAddress.objects.filter(user=member).values_list("email", flat=True)) == [
        "new@example.com"
    ]
