from http import HTTPStatus

import pytest
from django.urls import reverse

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_changelist(admin_client):
    UserFactory.create_batch(3)

    response = admin_client.get(reverse("admin:users_user_changelist"))

    assert response.status_code == HTTPStatus.OK


def test_search(admin_client):
    response = admin_client.get(reverse("admin:users_user_changelist"), {"q": "hanako"})

    assert response.status_code == HTTPStatus.OK


def test_add_page(admin_client):
    response = admin_client.get(reverse("admin:users_user_add"))

    assert response.status_code == HTTPStatus.OK


def test_add_creates_user(admin_client):
    response = admin_client.post(
        reverse("admin:users_user_add"),
        {
            "username": "hanako",
            "email": "Hanako@Example.com",
            "name": "山田 花子",
            "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42",
            "usable_password": "true",
        },
    )

    assert response.status_code == HTTPStatus.FOUND
    from users.models import User

    assert User.objects.get(username="hanako").email == "hanako@example.com"


def test_add_refuses_email_differing_only_in_case(admin_client):
    UserFactory(email="hanako@example.com")

    response = admin_client.post(
        reverse("admin:users_user_add"),
        {
            "username": "hanako2",
            "email": "HANAKO@example.com",
            "password1": "a-long-Passphrase-42",
            "password2": "a-long-Passphrase-42",
            "usable_password": "true",
        },
    )

    assert response.status_code == HTTPStatus.OK
    assert "email" in response.context["adminform"].form.errors


def test_change_page(admin_client):
    user = UserFactory()

    response = admin_client.get(reverse("admin:users_user_change", kwargs={"object_id": user.pk}))

    assert response.status_code == HTTPStatus.OK
