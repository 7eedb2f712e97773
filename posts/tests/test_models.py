from datetime import timedelta

import pytest
from django.utils import timezone

from posts.models import Post

from .factories import PostFactory

pytestmark = pytest.mark.django_db


def test_posts_are_listed_newest_first():
    now = timezone.now()
    old = PostFactory(created_at=now - timedelta(days=1))
    new = PostFactory(created_at=now)

    assert list(Post.objects.all()) == [new, old]


def test_equal_timestamps_are_ordered_by_id():
    now = timezone.now()
    first = PostFactory(created_at=now)
    second = PostFactory(created_at=now)

    assert list(Post.objects.all()) == [second, first]


def test_str_is_title():
    assert str(PostFactory.build(title="こんにちは")) == "こんにちは"


def test_get_absolute_url_points_at_the_dashboard_detail():
    post = PostFactory()

    assert post.get_absolute_url() == f"/posts/{post.pk}/"


def test_default_status_is_draft():
    assert Post().status == Post.Status.DRAFT
