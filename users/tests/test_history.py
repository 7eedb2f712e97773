from http import HTTPStatus

import pytest
from django.http import HttpRequest
from django.urls import reverse

from camp.records.history import history_timeline
from users.models import User

from .factories import UserFactory

pytestmark = pytest.mark.django_db


def test_history_never_stores_the_password_hash():
    user = UserFactory()
    user.set_password("another-Passphrase-42")
    user.save()

    columns = {f.name for f in User.history.model._meta.fields}
    assert "password" not in columns
    assert User.history.filter(id=user.pk).count() == 2


def test_login_alone_adds_no_history(client):
    user = UserFactory(is_staff=True)

    client.login(request=HttpRequest(), username=user.username, password="camp-test-password")

    assert User.history.filter(id=user.pk).count() == 1


def test_history_pages_never_show_the_password_hash(admin_client):
    user = UserFactory()
    user.set_password("another-Passphrase-42")
    user.save()

    dashboard = admin_client.get(reverse("users:detail", args=[user.pk]))
    admin_history = admin_client.get(reverse("admin:users_user_history", args=[user.pk]))

    assert dashboard.status_code == admin_history.status_code == HTTPStatus.OK
    for response in (dashboard, admin_history):
        assert user.password not in response.text
        assert "pbkdf2" not in response.text and "argon2" not in response.text


def test_set_password_is_recorded_with_a_reason_and_no_values(admin_client, admin_user):
    user = UserFactory()

    admin_client.post(
        reverse("users:set_password", args=[user.pk]),
        {"new_password1": "another-Passphrase-42", "new_password2": "another-Passphrase-42"},
    )

    newest = history_timeline(User, user.pk)[0]
    assert newest.user == admin_user
    assert newest.reason == "Password changed"
    assert newest.changes == []


def test_dashboard_edit_records_field_changes(admin_client, admin_user):
    user = UserFactory(name="Old Name")

    admin_client.post(
        reverse("users:update", args=[user.pk]),
        {"username": user.username, "email": user.email, "name": "新しい名前"},
    )

    newest = history_timeline(User, user.pk)[0]
    assert newest.user == admin_user
    changes = {str(c.field): (c.old, c.new) for c in newest.changes}
    assert changes["name"] == ("Old Name", "新しい名前")


def test_admin_revert_keeps_the_current_password(admin_client):
    user = UserFactory(name="Original")
    first = user.history.earliest("history_date")
    user.name = "Changed"
    user.save()
    password_hash = User.objects.get(pk=user.pk).password

    response = admin_client.post(
        reverse("admin:users_user_simple_history", args=[user.pk, first.history_id]),
        {
            "username": first.username,
            "email": first.email,
            "name": first.name,
            "is_active": "on",
            "date_joined_0": first.date_joined.strftime("%Y-%m-%d"),
            "date_joined_1": first.date_joined.strftime("%H:%M:%S"),
        },
    )

    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    user.refresh_from_db()
    assert user.name == "Original"
    assert user.password == password_hash
