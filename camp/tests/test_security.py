import os
import re
import secrets
import subprocess
import sys
from http import HTTPStatus
from pathlib import Path

import pytest
from django.contrib.auth.hashers import make_password
from django.http import HttpRequest
from django.test import Client
from django.urls import reverse

from posts.models import Post
from posts.tests.factories import PostFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.fixture
def pages(post):
    return [
        reverse("login"),
        reverse("home"),
        reverse("posts:list"),
        reverse("posts:detail", args=[post.pk]),
        reverse("posts:update", args=[post.pk]),
        reverse("posts:delete", args=[post.pk]),
        reverse("users:list"),
        reverse("users:detail", args=[post.author_id]),
        reverse("users:create"),
        reverse("search") + "?q=x",
        "/no-such-page/",
    ]


def test_every_page_type_sends_the_security_headers(admin_client, pages):
    for url in [*pages, reverse("healthz"), reverse("admin:index")]:
        response = admin_client.get(url)
        policy = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in policy, url
        assert "script-src 'self'" in policy and "unsafe-inline" not in policy, url
        assert "frame-ancestors 'none'" in policy, url
        assert response.headers["X-Frame-Options"] == "DENY", url
        assert response.headers["X-Content-Type-Options"] == "nosniff", url
        assert response.headers["Referrer-Policy"] == "same-origin", url


def test_no_page_needs_inline_script_or_style(admin_client, pages):
    for url in pages:
        html = admin_client.get(url).text
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), url
        assert "style=" not in html, url
        assert not re.search(r"\son[a-z]+=", html), url


def test_unknown_host_gets_400():
    response = Client(HTTP_HOST="evil.example").get(reverse("healthz"))

    assert response.status_code == HTTPStatus.BAD_REQUEST


def test_new_passwords_are_hashed_with_argon2():
    user = UserFactory()
    user.set_password("a-long-Passphrase-42")

    assert user.password.startswith("argon2")


def test_an_older_hash_is_upgraded_at_login(client):
    user = UserFactory(is_staff=True)
    User.objects.filter(pk=user.pk).update(
        password=make_password("a-long-Passphrase-42", hasher="pbkdf2_sha256")
    )

    assert client.login(
        request=HttpRequest(), username=user.username, password="a-long-Passphrase-42"
    )

    assert User.objects.get(pk=user.pk).password.startswith("argon2")


def test_the_session_key_changes_on_login(client):
    user = UserFactory(is_staff=True)
    client.get(reverse("login"))
    client.session.save()
    before = client.session.session_key

    client.post(reverse("login"), {"login": user.username, "password": "camp-test-password"})

    assert client.session.session_key and client.session.session_key != before


def test_changing_a_password_logs_out_that_users_other_sessions(admin_client):
    user = UserFactory(is_staff=True, is_superuser=True)
    elsewhere = Client()
    elsewhere.force_login(user)
    assert elsewhere.get(reverse("home")).status_code == HTTPStatus.OK

    admin_client.post(
        reverse("users:set_password", args=[user.pk]),
        {"new_password1": "another-Passphrase-42", "new_password2": "another-Passphrase-42"},
    )

    assert elsewhere.get(reverse("home")).status_code == HTTPStatus.FOUND


@pytest.fixture
def csrf_client(admin_user):
    client = Client(enforce_csrf_checks=True)
    client.force_login(admin_user)
    return client


def test_post_without_csrf_token_is_refused_and_changes_nothing(csrf_client):
    post = PostFactory(title="Kept")

    for url, data in [
        (reverse("posts:update", args=[post.pk]), {"title": "Changed"}),
        (reverse("posts:delete", args=[post.pk]), {}),
        (reverse("posts:create"), {"title": "New"}),
        (reverse("users:deactivate", args=[post.author_id]), {}),
    ]:
        assert csrf_client.post(url, data).status_code == HTTPStatus.FORBIDDEN, url

    post.refresh_from_db()
    assert post.title == "Kept"
    assert Post.objects.count() == 1
    assert User.objects.get(pk=post.author_id).is_active


def test_check_deploy_passes_with_the_documented_production_values():
    env = {
        "PATH": os.environ["PATH"],
        "HOME": os.environ.get("HOME", str(BASE_DIR)),
        "ENV_FILE": os.devnull,
        "DEBUG": "false",
        "HTTPS": "true",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "camp.example.com",
        "CSRF_TRUSTED_ORIGINS": "https://camp.example.com",
        "DATABASE_URL": "postgres://camp:secret@db.example:5432/camp",
        "REDIS_URL": "redis://cache.example:6379/0",
    }

    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout


def test_https_setting_switches_on_secure_cookies_and_hsts():
    code = (
        "from django.conf import settings as s; "
        "print(s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE, "
        "s.SECURE_HSTS_SECONDS)"
    )
    env = {**os.environ, "ENV_FILE": os.devnull, "HTTPS": "true", "DEBUG": "false"}
    env.setdefault("SECRET_KEY", "x" * 60)
    env["DJANGO_SETTINGS_MODULE"] = "camp.settings"

    result = subprocess.run(
        [sys.executable, "-c", "import django; django.setup(); " + code],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.split() == ["True", "True", "True", "31536000"], result.stderr
