from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from camp.records.presence import PRESENCE_TTL, presence_enter, presence_leave
from posts.tests.factories import PostFactory
from users.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


def test_a_second_editor_sees_who_is_editing_and_since_when():
    alice, bob = Client(), Client()
    alice.force_login(StaffUserFactory(is_superuser=True, username="alice"))
    bob.force_login(StaffUserFactory(is_superuser=True, username="bob"))
    post = PostFactory()
    url = reverse("posts:update", args=[post.pk])

    alice.get(url)
    response = bob.get(url)

    (editor,) = response.context["other_editors"]
    # The time shown is the one stored when alice opened the page, whenever bob looks.
    since = timezone.localtime(editor.since).strftime("%H:%M")
    assert editor.username == "alice"
    assert f"alice is editing this since {since}." in response.text


def test_nobody_else_editing_shows_no_notice(admin_client):
    post = PostFactory()

    response = admin_client.get(reverse("posts:update", args=[post.pk]))

    assert "is editing this since" not in response.text


def test_saving_leaves_the_edit_page():
    presence_enter(record="posts.post:1", user_id=1, username="alice")

    presence_leave(record="posts.post:1", user_id=1)

    assert presence_enter(record="posts.post:1", user_id=2, username="bob") == []


def test_presence_expires(monkeypatch):
    presence_enter(record="posts.post:2", user_id=1, username="alice")
    later = timezone.now() + timedelta(seconds=PRESENCE_TTL + 1)
    monkeypatch.setattr(timezone, "now", lambda: later)

    assert presence_enter(record="posts.post:2", user_id=2, username="bob") == []


def test_reopening_keeps_the_original_since():
    first = presence_enter(record="posts.post:3", user_id=1, username="alice")
    assert first == []
    presence_enter(record="posts.post:3", user_id=2, username="bob")
    presence_enter(record="posts.post:3", user_id=1, username="alice")

    (alice,) = presence_enter(record="posts.post:3", user_id=2, username="bob")
    assert alice.username == "alice"
