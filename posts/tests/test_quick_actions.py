"""One-click status changes on a post's page: permission, locking, bad input."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from posts.models import Post

from .factories import DraftPostFactory, PostFactory

pytestmark = pytest.mark.django_db

VIEW = "posts.view_post"
CHANGE = "posts.change_post"


def set_status(post) -> str:
    return reverse("posts:set_status", args=[post.pk])


def test_editor_publishes_a_draft_in_one_click(staff_client_with):
    post = DraftPostFactory()

    response = staff_client_with(VIEW, CHANGE).post(
        set_status(post), {"status": "published", "version": post.version}
    )

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == post.get_absolute_url()
    post.refresh_from_db()
    assert post.status == Post.Status.PUBLISHED
    assert post.version == 2
    assert post.history.first().status == Post.Status.PUBLISHED


def test_editor_archives_a_post(staff_client_with):
    post = PostFactory()

    staff_client_with(VIEW, CHANGE).post(
        set_status(post), {"status": "archived", "version": post.version}
    )

    post.refresh_from_db()
    assert post.status == Post.Status.ARCHIVED


def test_a_stale_version_is_refused_with_the_conflict_message(staff_client_with):
    post = DraftPostFactory()
    stale = post.version
    post.title = "Changed by someone else"
    post.version += 1
    post.save()

    response = staff_client_with(VIEW, CHANGE).post(
        set_status(post), {"status": "published", "version": stale}, follow=True
    )

    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT
    assert "Someone changed this record after you opened it" in response.content.decode()


def test_viewer_cannot_publish(staff_client_with):
    post = DraftPostFactory()

    response = staff_client_with(VIEW).post(
        set_status(post), {"status": "published", "version": post.version}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_get_is_not_allowed(staff_client_with):
    post = DraftPostFactory()

    response = staff_client_with(VIEW, CHANGE).get(set_status(post))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED


@pytest.mark.parametrize(
    "data",
    [
        {"status": "deleted", "version": "1"},
        {"status": "", "version": "1"},
        {"status": "published", "version": "one"},
        {"status": "published", "version": "-1"},
    ],
)
def test_bad_input_changes_nothing(staff_client_with, data):
    post = DraftPostFactory()

    response = staff_client_with(VIEW, CHANGE).post(set_status(post), data)

    assert response.status_code == HTTPStatus.BAD_REQUEST
    post.refresh_from_db()
    assert post.status == Post.Status.DRAFT


def test_unknown_post_is_404(staff_client_with):
    response = staff_client_with(VIEW, CHANGE).post(
        reverse("posts:set_status", args=[999999]), {"status": "published"}
    )

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_post_page_offers_publish_first_for_a_draft_and_carries_the_version(staff_client_with):
    post = DraftPostFactory()

    client = staff_client_with(VIEW, CHANGE, "posts.delete_post")
    content = client.get(post.get_absolute_url()).content.decode()

    publish = content.index('value="published" class="primary"')
    assert publish < content.index(">Edit<") < content.index(">Archive<")
    assert 'class="button subtle danger-text"' in content
    assert 'class="button danger"' not in content
    assert f'name="version" value="{post.version}"' in content


def test_viewer_sees_no_quick_actions(staff_client_with):
    post = DraftPostFactory()

    content = staff_client_with(VIEW).get(post.get_absolute_url()).content.decode()

    assert reverse("posts:set_status", args=[post.pk]) not in content
