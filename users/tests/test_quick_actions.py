"""Activate and deactivate from a user's page: permission rules, locking, bad input."""

from http import HTTPStatus

import pytest
from django.urls import reverse

from posts.tests.factories import ArchivedPostFactory, DraftPostFactory, PostFactory

from .factories import UserFactory

pytestmark = pytest.mark.django_db

VIEW = "users.view_user"
CHANGE = "users.change_user"


def deactivate(user) -> str:
    return reverse("users:deactivate", args=[user.pk])


def test_deactivate_with_the_current_version_works(staff_client_with):
    target = UserFactory()

    response = staff_client_with(VIEW, CHANGE).post(
        deactivate(target), {"version": target.version}
    )

    assert response.status_code == HTTPStatus.FOUND
    target.refresh_from_db()
    assert not target.is_active


def test_deactivate_with_a_stale_version_is_refused(staff_client_with):
    target = UserFactory()
    stale = target.version
    target.name = "Renamed meanwhile"
    target.version += 1
    target.save()

    response = staff_client_with(VIEW, CHANGE).post(
        deactivate(target), {"version": stale}, follow=True
    )

    target.refresh_from_db()
    assert target.is_active
    assert "Someone changed this record after you opened it" in response.content.decode()


def test_deactivate_with_a_broken_version_is_a_bad_request(staff_client_with):
    target = UserFactory()

    response = staff_client_with(VIEW, CHANGE).post(deactivate(target), {"version": "x"})

    assert response.status_code == HTTPStatus.BAD_REQUEST
    target.refresh_from_db()
    assert target.is_active


def test_non_superuser_cannot_deactivate_a_superuser_even_with_the_version(staff_client_with):
    root = UserFactory(is_superuser=True, is_staff=True)

    response = staff_client_with(VIEW, CHANGE).post(deactivate(root), {"version": root.version})

    assert response.status_code == HTTPStatus.FORBIDDEN
    root.refresh_from_db()
    assert root.is_active


def test_page_hides_buttons_the_rules_forbid(staff_client_with):
    client = staff_client_with(VIEW, CHANGE)
    root = UserFactory(is_superuser=True, is_staff=True)

    on_root = client.get(root.get_absolute_url()).content.decode()
    on_self = client.get(client.user.get_absolute_url()).content.decode()

    assert deactivate(root) not in on_root
    assert reverse("users:update", args=[root.pk]) not in on_root
    assert deactivate(client.user) not in on_self


def test_page_carries_the_version_and_edit_leads(staff_client_with):
    target = UserFactory()

    content = staff_client_with(VIEW, CHANGE).get(target.get_absolute_url()).content.decode()

    assert f'name="version" value="{target.version}"' in content
    assert content.index(">Edit<") < content.index(">Deactivate<")


def test_post_counts_by_status_link_to_the_filtered_posts_list(staff_client_with):
    author = UserFactory(username="hanako")
    PostFactory.create_batch(2, author=author)
    DraftPostFactory.create_batch(3, author=author)
    ArchivedPostFactory(author=author)

    content = (
        staff_client_with(VIEW, "posts.view_post").get(author.get_absolute_url()).content.decode()
    )

    posts = reverse("posts:list")
    assert f'<a href="{posts}?author=hanako">6</a>' in content
    assert f'href="{posts}?author=hanako&amp;status=draft"' in content
    assert "Draft</span> 3</a>" in content
    assert "Published</span> 2</a>" in content
    assert "Archived</span> 1</a>" in content


def test_without_post_permission_counts_are_not_links(staff_client_with):
    author = UserFactory(username="hanako")
    DraftPostFactory(author=author)

    content = staff_client_with(VIEW).get(author.get_absolute_url()).content.decode()

    assert "?author=hanako" not in content
