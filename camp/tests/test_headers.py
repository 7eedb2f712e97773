"""Every kind of response carries the security headers; no page needs inline code.

Camp's pages come from the URLconf (every URL, fetched by a superuser), so a
new page is covered the moment it is added; the admin, the error pages (400,
403, CSRF 403, 404, 405, 429) and the health checks are listed here. The 503
page is covered under gunicorn in test_db_outage.
"""

import re
from http import HTTPStatus

import pytest
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from camp.jobs.models import Job
from posts.models import Post
from posts.tests.factories import PostFactory
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

POLICY = (
    "default-src 'self'",
    "script-src 'self'",
    "style-src 'self'",
    "img-src 'self' data:",
    "form-action 'self'",
    "frame-ancestors 'none'",
    "base-uri 'self'",
    "object-src 'none'",
)
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)[^>]*>")
EVENT_HANDLER = re.compile(r"<[^>]+\son[a-z]+=", re.IGNORECASE)


def assert_secure_headers(response, label: str) -> None:
    policy = response.headers.get("Content-Security-Policy", "")
    for directive in POLICY:
        assert directive in policy, (label, directive, policy)
    assert "unsafe-inline" not in policy and "unsafe-eval" not in policy, label
    assert response.headers["X-Frame-Options"] == "DENY", label
    assert response.headers["X-Content-Type-Options"] == "nosniff", label
    assert response.headers["Referrer-Policy"] == "same-origin", label


def assert_no_inline_code(html: str, label: str) -> None:
    assert not INLINE_SCRIPT.search(html), label
    assert "<style" not in html, label
    assert "style=" not in html, label
    assert not EVENT_HANDLER.search(html), label
    assert "javascript:" not in html, label


def _camp_routes(patterns=None, prefix: str = ""):
    for pattern in get_resolver().url_patterns if patterns is None else patterns:
        route = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if not route.startswith("admin/"):
                yield from _camp_routes(pattern.url_patterns, route)
        elif isinstance(pattern, URLPattern):
            yield route


@pytest.fixture
def camp_urls(admin_user) -> list[str]:
    user = UserFactory()
    post = PostFactory(author=user)
    gone = PostFactory()
    gone.delete()
    values = {
        "users": user.pk,
        "posts": post.pk,
        "jobs": Job.objects.create(kind="posts.bulk", owner=user, label="Archive", total=10).pk,
        "history_id": Post.history.filter(history_type="-").latest("history_id").history_id,
        # The links allauth mails: a made-up one answers like a stale one.
        "key": "not-a-key",
        "uidb36": "0",
        # A session that is not the admin's: 404, with the headers all the same.
        "accounts": 0,
    }

    def fill(route: str) -> str:
        def value(match: re.Match) -> str:
            if match[1] == "pk":
                return str(values[route.split("/")[0]])
            return str(values[match[1]])

        # allauth's re_path() routes: their named groups become <name>.
        route = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<\1>", route).replace("^", "").replace("$", "")
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", value, route)

    return [fill(route) for route in _camp_routes()]


def test_every_camp_page_sends_the_headers_and_no_inline_code(admin_client, camp_urls):
    assert len(camp_urls) > 20, camp_urls
    for url in [*camp_urls, "/users/?sort=-username&q=a", "/posts/?page=2"]:
        response = admin_client.get(url)

        assert response.status_code < 500, url
        assert_secure_headers(response, url)
        if response.headers.get("Content-Type", "").startswith("text/html"):
            assert_no_inline_code(response.text, url)


def test_the_login_page_sends_the_headers_and_no_inline_code(client):
    response = client.get(reverse("login"))

    assert_secure_headers(response, "login")
    assert_no_inline_code(response.text, "login")


@pytest.mark.parametrize(
    "name",
    [
        "admin:index",
        "admin:users_user_changelist",
        "admin:users_user_add",
        "admin:posts_post_changelist",
        "admin:posts_post_add",
        "admin:axes_accessattempt_changelist",
        "admin:password_change",
    ],
)
def test_admin_pages_send_the_headers_and_no_inline_code(admin_client, name):
    response = admin_client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK
    assert_secure_headers(response, name)
    assert_no_inline_code(response.text, name)


def test_admin_change_forms_send_the_headers_and_no_inline_code(admin_client, post):
    for url in [
        reverse("admin:posts_post_change", args=[post.pk]),
        reverse("admin:users_user_change", args=[post.author_id]),
        reverse("admin:auth_user_password_change", args=[post.author_id]),
    ]:
        response = admin_client.get(url)

        assert response.status_code == HTTPStatus.OK, url
        assert_secure_headers(response, url)
        assert_no_inline_code(response.text, url)


def test_the_403_page_sends_the_headers_and_no_inline_code(client):
    client.force_login(StaffUserFactory())

    response = client.get(reverse("posts:list"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert_secure_headers(response, "403")
    assert_no_inline_code(response.text, "403")


def test_the_404_page_sends_the_headers_and_no_inline_code(admin_client):
    response = admin_client.get("/no-such-page/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert_secure_headers(response, "404")
    assert_no_inline_code(response.text, "404")


def test_the_405_response_sends_the_headers(admin_client):
    response = admin_client.get(reverse("logout"))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert_secure_headers(response, "405")


def test_the_csrf_failure_page_sends_the_headers(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)

    response = client.post(reverse("posts:create"), {"title": "Forged"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert_secure_headers(response, "403 CSRF")
    assert_no_inline_code(response.text, "403 CSRF")


def test_the_lockout_page_sends_the_headers_and_no_inline_code(client):
    user = StaffUserFactory()
    for _ in range(5):
        response = client.post(reverse("login"), {"login": user.username, "password": "x"})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert_secure_headers(response, "429")
    assert_no_inline_code(response.text, "429")


def test_an_unknown_host_gets_a_400_page_not_a_traceback():
    response = Client(HTTP_HOST="attacker.example").get(reverse("login"))

    assert response.status_code == HTTPStatus.BAD_REQUEST
    assert_secure_headers(response, "400")
    assert_no_inline_code(response.text, "400")
    assert "Bad request" in response.text
    assert "Traceback" not in response.text and "DisallowedHost" not in response.text


@pytest.mark.parametrize("name", ["healthz", "readyz"])
def test_health_checks_send_the_headers(client, name):
    response = client.get(reverse(name))

    assert response.status_code == HTTPStatus.OK
    assert_secure_headers(response, name)


# Caching ----------------------------------------------------------------------


def assert_private(response, label: str) -> None:
    directives = {d.strip() for d in response.headers.get("Cache-Control", "").split(",")}
    assert {"private", "no-store"} <= directives, (label, response.headers.get("Cache-Control"))
    assert "public" not in directives, label


def test_every_camp_page_and_export_is_private_for_a_member(admin_client, camp_urls):
    exports = [url for url in camp_urls if url.endswith((".csv", ".xlsx"))]
    assert len(exports) >= 4, camp_urls
    for url in [*camp_urls, "/users/?sort=-username&q=a", "/posts/?page=2"]:
        assert_private(admin_client.get(url), url)


@pytest.mark.parametrize(
    ("name", "status"),
    [
        ("posts:list", HTTPStatus.OK),
        ("posts:export_csv", HTTPStatus.OK),
        ("users:list", HTTPStatus.FORBIDDEN),
        ("users:export_xlsx", HTTPStatus.FORBIDDEN),
    ],
)
def test_pages_and_refusals_for_a_staff_member_are_private(client, name, status):
    client.force_login(StaffUserFactory(permissions=("posts.view_post",)))

    response = client.get(reverse(name))

    assert response.status_code == status
    assert_private(response, name)


def test_admin_actions_export_is_private(admin_client, post):
    response = admin_client.post(
        reverse("admin:posts_post_changelist"),
        {"action": "export_as_csv", "_selected_action": [post.pk]},
    )

    assert response["Content-Type"].startswith("text/csv")
    assert_private(response, "admin export")


def test_error_pages_for_a_member_are_private(admin_client):
    assert_private(admin_client.get("/no-such-page/"), "404")
    assert_private(admin_client.get(reverse("logout")), "405")


@pytest.mark.parametrize("name", ["healthz", "readyz"])
def test_health_checks_keep_their_own_cache_headers(client, name):
    response = client.get(reverse(name))

    # never_cache's own set, the same with or without a member.
    assert response["Cache-Control"] == "max-age=0, no-cache, no-store, must-revalidate, private"


@override_settings(WHITENOISE_USE_FINDERS=True, WHITENOISE_AUTOREFRESH=True)
def test_static_files_keep_their_cache_headers_for_a_member(admin_user):
    client = Client()
    client.force_login(admin_user)

    response = client.get("/static/css/camp.css")

    assert response.status_code == HTTPStatus.OK
    assert "no-store" not in response.get("Cache-Control", "")
    assert "private" not in response.get("Cache-Control", "")


def test_pages_for_a_visitor_without_a_session_are_left_alone(client):
    response = client.get("/no-such-page/")

    assert "no-store" not in response.get("Cache-Control", "")
