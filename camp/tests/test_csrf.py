"""With CSRF checks on, a POST without the token is refused and changes nothing.

Camp's URLs come from the URLconf, so a new form is covered the moment it is
added; the admin's forms are listed by name. The client is a superuser, so a
403 can only be the CSRF check.
"""

import re
from collections.abc import Iterator
from http import HTTPStatus

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from posts.models import Post
from posts.tests.factories import PostFactory
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PASSWORD = "Csrf-victim-password-1"
# Apps whose rows a forged form could change.
WATCHED_APPS = {"users", "posts", "auth", "admin", "axes"}

ADMIN_FORMS = [
    ("admin:login", ()),
    ("admin:logout", ()),
    ("admin:password_change", ()),
    ("admin:users_user_add", ()),
    ("admin:users_user_change", ("user",)),
    ("admin:auth_user_password_change", ("user",)),
    ("admin:users_user_delete", ("user",)),
    ("admin:users_user_changelist", ()),
    ("admin:posts_post_add", ()),
    ("admin:posts_post_change", ("post",)),
    ("admin:posts_post_delete", ("post",)),
    ("admin:posts_post_changelist", ()),
    ("admin:axes_accessattempt_changelist", ()),
]


def _camp_routes(patterns=None, prefix: str = "") -> Iterator[str]:
    """Yield every route outside the admin, as written in the URLconf."""
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith("admin/"):
                yield from _camp_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


@pytest.fixture
def records() -> dict:
    user = UserFactory(password=PASSWORD, name="Kept Name")
    post = PostFactory(title="Kept title", author=user)
    gone = PostFactory(title="Deleted post")
    gone.delete()
    return {
        "user": user,
        "post": post,
        "pk": post.pk,
        "history_id": Post.history.filter(history_type="-").latest("history_id").history_id,
        # The links allauth mails: a made-up one answers like a stale one.
        "key": "not-a-key",
        "uidb36": "0",
    }


def _url(route: str, records: dict) -> str:
    def fill(match: re.Match) -> str:
        name = match[1]
        if name == "pk":
            return str(records["user" if route.startswith("users/") else "post"].pk)
        return str(records[name])

    # allauth's re_path() routes: their named groups become <name>.
    route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route).replace("^", "").replace("$", "")
    return "/" + re.sub(r"<(?:\w+:)?(\w+)>", fill, route)


@pytest.fixture
def forged_post(admin_user, records):
    """POST what a forged form would send, without the CSRF token, as a superuser."""
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    client.get(reverse("home"))  # the CSRF cookie is set; only the token is missing
    payload = {
        "title": "Forged",
        "content": "Forged",
        "status": "published",
        "author": admin_user.pk,
        "username": "forged",
        "name": "Forged",
        "email": "forged@example.com",
        "password": PASSWORD,
        "password1": "Forged-password-42",
        "password2": "Forged-password-42",
        "new_password1": "Forged-password-42",
        "new_password2": "Forged-password-42",
        "old_password": "x",
        "is_active": "",
        "is_superuser": "on",
        "language": "ja",
        "action": "delete_selected",
        "_selected_action": [records["post"].pk, records["user"].pk],
        "post": "yes",
    }
    return lambda url: client.post(url, payload)


def _snapshot() -> dict[str, list]:
    return {
        model._meta.label: sorted(map(repr, model._base_manager.values_list()))
        for model in apps.get_models()
        if model._meta.app_label in WATCHED_APPS
    }


def test_every_camp_url_refuses_a_post_without_the_token(forged_post, records):
    before = _snapshot()
    urls = [_url(route, records) for route in _camp_routes()]
    assert len(urls) > 20, urls

    for url in urls:
        response = forged_post(url)

        assert response.status_code == HTTPStatus.FORBIDDEN, url
        assert "Form expired" in response.text, url
    assert _snapshot() == before


@pytest.mark.parametrize(("name", "args"), ADMIN_FORMS)
def test_admin_forms_refuse_a_post_without_the_token(forged_post, records, name, args):
    before = _snapshot()

    response = forged_post(reverse(name, args=[records[arg].pk for arg in args]))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert _snapshot() == before


def test_login_refuses_the_right_password_without_the_token(records):
    client = Client(enforce_csrf_checks=True)
    client.get(reverse("login"))

    response = client.post(
        reverse("login"), {"login": records["user"].username, "password": PASSWORD}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert "_auth_user_id" not in client.session


def test_a_post_with_the_token_is_accepted(admin_user, records, form_data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    url = reverse("posts:update", args=[records["post"].pk])
    form = client.get(url)
    token = client.cookies["csrftoken"].value

    response = client.post(
        url, form_data(form, title="Changed with the token", csrfmiddlewaretoken=token)
    )

    assert response.status_code == HTTPStatus.FOUND
    records["post"].refresh_from_db()
    assert records["post"].title == "Changed with the token"


def test_the_csrf_failure_page_uses_the_site_layout_without_inline_code(forged_post, records):
    html = forged_post(reverse("posts:create")).text

    assert 'class="site-header"' in html
    assert "<style" not in html and "style=" not in html
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
