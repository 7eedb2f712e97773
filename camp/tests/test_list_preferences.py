"""Rows per page and density: chosen in the URL, remembered per member and list."""

import pytest
from django.urls import reverse

from posts.tests.factories import PostFactory

pytestmark = pytest.mark.django_db

POSTS = reverse("posts:list")
USERS = reverse("users:list")


@pytest.fixture
def member(staff_client_with):
    return staff_client_with("posts.view_post", "users.view_user")


@pytest.fixture
def sixty_posts():
    return PostFactory.create_batch(60)


def rows(response) -> int:
    return len(response.context["page_obj"].object_list)


def test_lists_show_25_rows_by_default(member, sixty_posts):
    assert rows(member.get(POSTS, {"q": ""})) == 25


def test_per_page_in_the_url_is_used_and_remembered(member, sixty_posts):
    assert rows(member.get(POSTS, {"per_page": "50"})) == 50

    assert rows(member.get(POSTS, {"q": ""})) == 50


def test_per_page_is_remembered_per_list(member, sixty_posts):
    member.get(POSTS, {"per_page": "100"})

    assert member.get(USERS, {"q": ""}).context["page_obj"].paginator.per_page == 25


def test_per_page_is_remembered_per_member(member, staff_client_with, sixty_posts):
    member.get(POSTS, {"per_page": "100"})
    other = staff_client_with("posts.view_post")

    assert rows(other.get(POSTS, {"q": ""})) == 25


@pytest.mark.parametrize("bad", ["7", "0", "-25", "1e9", "many", "200000", ""])
def test_a_bad_per_page_is_ignored(member, sixty_posts, bad):
    member.get(POSTS, {"per_page": "50"})

    assert rows(member.get(POSTS, {"per_page": bad})) == 50


def test_per_page_in_the_url_wins_over_the_remembered_one(member, sixty_posts):
    member.get(POSTS, {"per_page": "50"})

    assert rows(member.get(POSTS, {"per_page": "25"})) == 25


def test_per_page_survives_in_page_links_and_the_filter_form(member, sixty_posts):
    content = member.get(POSTS, {"per_page": "50", "status": "published"}).content.decode()

    assert "per_page=50&amp;page=2" in content or "per_page=50&amp;status=published" in content
    assert '<input type="hidden" name="per_page" value="50">' in content


def test_density_is_remembered_and_a_bad_one_ignored(member, sixty_posts):
    assert member.get(POSTS, {"q": ""}).context["list_prefs"].density == "compact"

    member.get(POSTS, {"density": "comfortable"})
    member.get(POSTS, {"density": "huge"})

    assert member.get(POSTS, {"q": ""}).context["list_prefs"].density == "comfortable"


def test_filter_panel_opens_as_the_cookie_says(member):
    assert '<details class="filter-panel" data-remember-open="posts">' in (
        member.get(POSTS, {"q": ""}).content.decode()
    )
    member.cookies["camp-filters-posts"] = "open"

    assert 'data-remember-open="posts" open>' in member.get(POSTS, {"q": ""}).content.decode()
