"""Two people editing the same record: the second save is refused, nothing is lost."""

from http import HTTPStatus

import pytest
from django.test import Client
from django.urls import reverse

from posts.models import Post
from posts.tests.factories import PostFactory
from users.models import User
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def two_editors():
    first, second = Client(), Client()
    first.force_login(StaffUserFactory(is_superuser=True, username="alice"))
    second.force_login(StaffUserFactory(is_superuser=True, username="bob"))
    return first, second


def _post_form(client, post):
    form = client.get(reverse("posts:update", args=[post.pk])).context["form"]
    return {
        "title": form["title"].value(),
        "content": form["content"].value(),
        "status": form["status"].value(),
        "author": form["author"].value(),
        "version": form["version"].value(),
    }


def test_second_dashboard_save_is_refused_and_keeps_the_input(two_editors):
    alice, bob = two_editors
    post = PostFactory(title="Original")
    alice_data, bob_data = _post_form(alice, post), _post_form(bob, post)

    assert (
        alice.post(
            reverse("posts:update", args=[post.pk]), {**alice_data, "title": "Alice's title"}
        ).status_code
        == HTTPStatus.FOUND
    )
    response = bob.post(
        reverse("posts:update", args=[post.pk]), {**bob_data, "title": "Bob's title"}
    )

    assert response.status_code == HTTPStatus.OK
    post.refresh_from_db()
    assert post.title == "Alice's title"
    text = response.text
    assert "alice changed this record" in text
    assert "Original" in text and "Alice&#x27;s title" in text
    assert response.context["form"]["title"].value() == "Bob's title"


def test_after_seeing_the_conflict_the_second_editor_can_save(two_editors):
    alice, bob = two_editors
    post = PostFactory(title="Original")
    alice_data, bob_data = _post_form(alice, post), _post_form(bob, post)
    alice.post(reverse("posts:update", args=[post.pk]), {**alice_data, "title": "A"})
    refused = bob.post(reverse("posts:update", args=[post.pk]), {**bob_data, "title": "B"})

    again = bob.post(
        reverse("posts:update", args=[post.pk]),
        {**bob_data, "title": "B", "version": refused.context["form"]["version"].value()},
    )

    assert again.status_code == HTTPStatus.FOUND
    post.refresh_from_db()
    assert post.title == "B"


def test_each_save_bumps_the_version(admin_client):
    post = PostFactory()

    admin_client.post(
        reverse("posts:update", args=[post.pk]), {**_post_form(admin_client, post), "title": "x"}
    )

    post.refresh_from_db()
    assert post.version == 2


def test_second_user_edit_is_refused(two_editors):
    alice, bob = two_editors
    user = UserFactory(name="Original")

    def form(client):
        f = client.get(reverse("users:update", args=[user.pk])).context["form"]
        return {name: f[name].value() for name in ("username", "email", "name", "version")}

    alice_data, bob_data = form(alice), form(bob)
    alice.post(reverse("users:update", args=[user.pk]), {**alice_data, "name": "Alice's"})
    response = bob.post(reverse("users:update", args=[user.pk]), {**bob_data, "name": "Bob's"})

    assert response.status_code == HTTPStatus.OK
    assert User.objects.get(pk=user.pk).name == "Alice's"
    assert response.context["form"]["name"].value() == "Bob's"


def test_second_admin_save_is_refused(two_editors):
    alice, bob = two_editors
    post = PostFactory(title="Original")
    url = reverse("admin:posts_post_change", args=[post.pk])
    data = {
        "title": post.title,
        "content": post.content,
        "status": post.status,
        "author": post.author_id,
        "version": post.version,
    }
    assert alice.post(url, {**data, "title": "Alice's"}).status_code == HTTPStatus.FOUND

    response = bob.post(url, {**data, "title": "Bob's"})

    assert response.status_code == HTTPStatus.OK
    assert Post.objects.get(pk=post.pk).title == "Alice's"
    assert "alice changed this record" in response.text
    assert 'value="Bob&#x27;s"' in response.text


def test_a_bulk_status_change_refuses_an_older_edit_form(admin_client):
    post = PostFactory(title="Original", status=Post.Status.DRAFT)
    stale = _post_form(admin_client, post)
    admin_client.post(
        reverse("admin:posts_post_changelist"),
        {"action": "publish", "_selected_action": [post.pk]},
    )

    response = admin_client.post(reverse("posts:update", args=[post.pk]), stale)

    assert response.status_code == HTTPStatus.OK
    assert Post.objects.get(pk=post.pk).status == Post.Status.PUBLISHED


def test_editing_a_deleted_record_says_so(admin_client):
    post = PostFactory()
    data = _post_form(admin_client, post)
    Post.objects.filter(pk=post.pk).delete()

    response = admin_client.post(reverse("posts:update", args=[post.pk]), data)

    assert response.status_code == HTTPStatus.NOT_FOUND
