"""The list page cache: a page served again only while nothing on it may have changed."""

import re

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from camp.jobs.models import Notification
from camp.jobs.services import notification_create
from camp.lists.page_cache import CSRF_PLACEHOLDER
from posts.models import Post
from posts.services import post_bulk_set_status
from posts.tests.factories import DraftPostFactory, PostFactory
from users.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db

LIST = reverse("posts:list")
EDITOR = ("posts.view_post", "posts.add_post", "posts.change_post", "users.view_user")


@pytest.fixture(autouse=True)
def _cache_on(settings):
    settings.LIST_PAGE_CACHE_SECONDS = 60


@pytest.fixture
def client(staff_client_with):
    return staff_client_with(*EDITOR)


def without_tokens(html: str) -> str:
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]*"', "", html)


def list_queries(client, path: str = LIST) -> list[str]:
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path)
    assert response.status_code == 200
    return [query["sql"] for query in queries.captured_queries]


def test_the_same_page_again_reads_no_post(client):
    PostFactory(title="Cached once")

    first = list_queries(client)
    again = list_queries(client)

    assert any('"posts_post"' in sql for sql in first)
    assert not any('"posts_post"' in sql or "saved" in sql for sql in again)
    assert len(again) < len(first)


def test_a_page_served_again_is_the_page_rendered(client):
    PostFactory(title="Same page")

    first = client.get(LIST).content.decode()
    again = client.get(LIST).content.decode()

    assert "Same page" in again
    assert without_tokens(again) == without_tokens(first)
    assert CSRF_PLACEHOLDER not in first and CSRF_PLACEHOLDER not in again


def test_a_page_served_again_carries_the_requests_own_csrf_token(client):
    post = DraftPostFactory(title="Publish me")
    client.get(LIST)
    other_session = Client(enforce_csrf_checks=True)
    other_session.force_login(client.user)

    page = other_session.get(LIST).content.decode()

    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
    published = other_session.post(
        reverse("posts:bulk"),
        {"csrfmiddlewaretoken": token, "action": "publish", "scope": "selected", "ids": [post.pk]},
    )
    assert published.status_code != 403


@pytest.mark.parametrize(
    "write",
    [
        pytest.param(lambda post, member: Post.objects.get(pk=post.pk).delete(), id="delete"),
        pytest.param(
            lambda post, member: post_bulk_set_status(
                posts=Post.objects.filter(pk=post.pk), status="archived", user=member
            ),
            id="bulk",
        ),
        pytest.param(
            lambda post, member: setattr(post.author, "username", "renamed") or post.author.save(),
            id="author renamed",
        ),
    ],
)
def test_any_write_to_a_record_renders_the_page_afresh(client, write):
    post = PostFactory(title="Before")
    before = client.get(LIST).content.decode()
    assert post.author.username in before

    write(post, client.user)

    after = client.get(LIST).content.decode()
    assert without_tokens(after) != without_tokens(before)


def test_a_title_changed_shows_at_once(client):
    post = PostFactory(title="Old title")
    client.get(LIST)

    post.title = "New title"
    post.save()

    assert "New title" in client.get(LIST).content.decode()


def test_another_member_with_the_same_permissions_gets_their_own_page(client, staff_client_with):
    client.get(LIST)
    other = staff_client_with(*EDITOR, name="Hanako Other")

    page = other.get(LIST).content.decode()

    assert "Hanako Other" in page


def test_a_permission_taken_away_shows_at_once(client):
    client.get(LIST)
    assert reverse("posts:create") in client.get(LIST).content.decode()

    client.user.user_permissions.remove(Permission.objects.get(codename="add_post"))
    # A new request loads the member (and their permissions) again.
    client.user = type(client.user).objects.get(pk=client.user.pk)

    assert reverse("posts:create") not in client.get(LIST).content.decode()


def test_a_saved_view_shows_at_once(client):
    client.get(LIST)

    client.post(reverse("posts:views"), {"name": "My drafts", "query": "status=draft"})

    assert "My drafts" in client.get(LIST).content.decode()


def test_a_notification_shows_in_the_bell_at_once(client, django_capture_on_commit_callbacks):
    from camp.jobs.models import Job

    client.get(LIST)
    job = Job.objects.create(kind="posts.bulk", owner=client.user, label="x", params={})

    with django_capture_on_commit_callbacks(execute=True):
        notification_create(job=job)

    assert Notification.objects.filter(user=client.user).exists()
    assert 'class="bell-count"' in client.get(LIST).content.decode()


def test_a_page_with_a_message_to_show_is_rendered_and_shows_it(client):
    client.get(LIST)

    # A saved view opened that does not exist leaves a message for the next page.
    followed = client.get(LIST + "?view=999999", follow=True).content.decode()

    assert "There is no such saved view." in followed


def test_each_language_has_its_own_page(client):
    english = client.get(LIST).content.decode()

    japanese = client.get(LIST, HTTP_ACCEPT_LANGUAGE="ja").content.decode()

    assert '<html lang="en">' in english
    assert '<html lang="ja">' in japanese


def test_the_cache_turned_off_renders_every_page(client, settings):
    settings.LIST_PAGE_CACHE_SECONDS = 0
    PostFactory()
    client.get(LIST)

    first = list_queries(client)
    again = list_queries(client)

    assert len(again) == len(first)


def test_a_member_without_the_list_permission_gets_no_stored_page(client):
    client.get(LIST)
    outsider = Client()
    outsider.force_login(StaffUserFactory(permissions=()))

    assert outsider.get(LIST).status_code == 403
