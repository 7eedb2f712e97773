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


@pytest.mark.parametrize(
    ("title", "content", "found"),
    [
        ("River coffee notes", "", True),
        ("", "By the river coffee tastes better", True),
        ("The driver coffees", "", True),  # inside words, as icontains
        ("river\tcoffee", "", False),  # a tab is not the space asked for
        ("coffee by the river", "", False),
        ("river", "coffee", False),  # across title and content
        ("river  coffee", "", False),
    ],
)
def test_phrase_search_matches_what_icontains_matches(title, content, found):
    post = PostFactory(title=title, content=content)
    PostFactory(title="unrelated", content="nothing here")

    assert list(Post.objects.search("river coffee")) == ([post] if found else [])


def test_phrase_search_escapes_like_wildcards():
    post = PostFactory(title="100% sure_thing", content="")
    PostFactory(title="100 percent sureXthing", content="")

    assert list(Post.objects.search("100% sure_thing")) == [post]
