import re
from datetime import UTC, datetime
from http import HTTPStatus

import pytest
from django.urls import reverse

from posts.tests.factories import PostFactory
from users.models import User

from .factories import UserFactory

pytestmark = pytest.mark.django_db

CHANGELIST = reverse("admin:users_user_changelist")


def test_changelist(admin_client):
    UserFactory.create_batch(3)

    response = admin_client.get(CHANGELIST)

    assert response.status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"q": "hanako"}, {"hanako"}),
        ({"q": "taro@"}, {"taro"}),
        ({"is_active__exact": "1"}, {"hanako", "admin"}),
        ({"is_active__exact": "0"}, {"taro"}),
        ({"is_staff__exact": "0"}, {"hanako"}),
        ({"is_superuser__exact": "1"}, {"admin"}),
        ({"date_joined__gte": "2020-01-01 00:00:00+00:00"}, {"hanako", "admin"}),
    ],
)
def test_changelist_search_and_filters(admin_client, params, expected):
    UserFactory(username="hanako", is_active=True, date_joined=datetime(2021, 4, 1, tzinfo=UTC))
    UserFactory(
        username="taro",
        is_active=False,
        is_staff=True,
        date_joined=datetime(2019, 4, 1, tzinfo=UTC),
    )

    response = admin_client.get(CHANGELIST, params)

    assert response.status_code == HTTPStatus.OK
    assert {user.username for user in response.context["cl"].result_list} == expected


def _page(client, params, language):
    response = client.get(CHANGELIST, params, HTTP_ACCEPT_LANGUAGE=language)
    assert response.status_code == HTTPStatus.OK
    html = re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", response.text)
    return re.sub(r'nonce="[^"]*"', "", html)


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize(
    "params",
    [
        {},
        {"o": "-6"},
        {"q": "hanako"},
        {"is_staff__exact": "1"},
        {"_popup": "1", "_to_field": "id"},
    ],
)
def test_changelist_page_is_the_one_django_renders(admin_client, monkeypatch, params, language):
    """Camp's rows (camp.lists.admin_rows): booleans, empty names, dates as Django shows them."""
    from django.contrib.admin import site

    UserFactory(username="hanako", name="", is_staff=True, email="h&k@example.com")
    UserFactory(username="taro <t>", is_active=False)
    camp = _page(admin_client, params, language)
    monkeypatch.setattr(site._registry[User], "change_list_template", None)

    stock = _page(admin_client, params, language)

    assert camp == stock


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
    user = User.objects.get(username="hanako")
    assert user.email == "hanako@example.com"
    assert user.check_password("a-long-Passphrase-42")


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


def test_change_page_links_to_the_password_form(admin_client):
    user = UserFactory()

    response = admin_client.get(reverse("admin:users_user_change", args=[user.pk]))

    assert response.status_code == HTTPStatus.OK
    assert 'href="../password/"' in response.text


def test_change_page_shows_a_short_list_of_recent_posts(admin_client):
    user = UserFactory()
    PostFactory.create_batch(15, author=user)

    response = admin_client.get(reverse("admin:users_user_change", args=[user.pk]))

    assert response.text.count(reverse("admin:posts_post_changelist") + "?author__id__exact") == 1
    assert len(re.findall(r'href="/admin/posts/post/\d+/change/"', response.text)) == 10


def test_delete_page(admin_client):
    user = UserFactory()

    response = admin_client.get(reverse("admin:users_user_delete", args=[user.pk]))

    assert response.status_code == HTTPStatus.OK


def test_history_page(admin_client):
    user = UserFactory()

    response = admin_client.get(reverse("admin:users_user_history", args=[user.pk]))

    assert response.status_code == HTTPStatus.OK
