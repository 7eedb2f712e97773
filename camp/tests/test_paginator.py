import pytest
from django.db import connection

from camp.paginator import EstimatedCountPaginator
from posts.models import Post
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db


class SmallCapPaginator(EstimatedCountPaginator):
    cap = 5


def _analyze():
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE posts_post")


def test_small_unfiltered_list_is_counted_exactly():
    PostFactory.create_batch(3)

    paginator = EstimatedCountPaginator(Post.objects.all(), 2)

    assert paginator.count == 3
    assert not paginator.is_estimate and not paginator.is_capped


def test_big_unfiltered_list_uses_the_planner_estimate():
    PostFactory.create_batch(8)
    _analyze()

    paginator = SmallCapPaginator(Post.objects.all(), 2)

    assert paginator.is_estimate is False
    assert paginator.count == 8
    assert paginator.is_estimate


def test_filtered_list_is_capped():
    PostFactory.create_batch(8, status=Post.Status.DRAFT)

    paginator = SmallCapPaginator(Post.objects.filter(status="draft"), 2)

    assert paginator.count == 5
    assert paginator.is_capped


def test_pages_past_a_capped_count_still_open():
    PostFactory.create_batch(8, status=Post.Status.DRAFT)
    paginator = SmallCapPaginator(Post.objects.filter(status="draft"), 2)

    page = paginator.page(4)

    assert len(page.object_list) == 2
