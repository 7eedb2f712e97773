from http import HTTPStatus

import pytest
from django.urls import reverse

from .factories import PostFactory

pytestmark = pytest.mark.django_db


def test_changelist(admin_client):
    PostFactory.create_batch(3)

    response = admin_client.get(reverse("admin:posts_post_changelist"))

    assert response.status_code == HTTPStatus.OK


def test_add_page(admin_client):
    response = admin_client.get(reverse("admin:posts_post_add"))

    assert response.status_code == HTTPStatus.OK


def test_change_page(admin_client):
    post = PostFactory()

    response = admin_client.get(reverse("admin:posts_post_change", kwargs={"object_id": post.pk}))

    assert response.status_code == HTTPStatus.OK
