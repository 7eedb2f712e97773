"""Saved views: a list's filters, search, sort and columns under a name, private or shared."""

from http import HTTPStatus

import pytest
from django.db import IntegrityError
from django.urls import reverse

from camp.models import SavedView
from posts.tests.factories import ArchivedPostFactory, DraftPostFactory, PostFactory
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

POSTS = reverse("posts:list")
USERS = reverse("users:list")
SAVE = reverse("posts:views")
MANAGE = reverse("posts:views")
CHANGE = reverse("posts:view_change")
REMOVE = reverse("posts:view_remove")
VIEW_POSTS = "posts.view_post"

QUERY = "status=draft&status=archived&author=taro&sort=-title&cols=status"


def titles(response) -> list[str]:
    return [post.title for post in response.context["page_obj"].object_list]


def saved(owner, *, name="Mine", query=QUERY, list_name="posts", **fields) -> SavedView:
    return SavedView.objects.create(
        owner=owner, list_name=list_name, name=name, query=query, **fields
    )


@pytest.fixture
def posts():
    taro = UserFactory(username="taro")
    DraftPostFactory(title="a-draft", author=taro)
    ArchivedPostFactory(title="b-archived", author=taro)
    PostFactory(title="c-published", author=taro)
    DraftPostFactory(title="d-other-author")


def test_saving_keeps_filters_search_sort_and_columns_without_the_page(staff_client_with):
    client = staff_client_with(VIEW_POSTS)

    response = client.post(SAVE, {"name": "Taro's work", "query": f"{QUERY}&page=3&after=1_2&q="})

    view = SavedView.objects.get()
    assert (view.owner, view.list_name, view.name, view.query) == (
        client.user,
        "posts",
        "Taro's work",
        QUERY,
    )
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{POSTS}?{QUERY}"


def test_a_saved_view_reproduces_the_exact_list(staff_client_with, posts):
    client = staff_client_with(VIEW_POSTS)
    original = client.get(f"{POSTS}?{QUERY}")
    client.post(SAVE, {"name": "Taro", "query": QUERY})
    view = SavedView.objects.get()

    reopened = client.get(POSTS, {"view": view.pk}, follow=True)

    assert reopened.redirect_chain == [(f"{POSTS}?{QUERY}", HTTPStatus.FOUND)]
    assert titles(reopened) == titles(original) == ["b-archived", "a-draft"]
    assert reopened.context["shown"] == original.context["shown"] == ["title", "status"]


def test_private_view_is_invisible_to_other_staff(staff_client_with):
    owner = StaffUserFactory()
    view = saved(owner)
    other = staff_client_with(VIEW_POSTS)

    listed = other.get(POSTS, {"q": ""})
    opened = other.get(POSTS, {"view": view.pk}, follow=True)

    assert view not in listed.context["saved_views"]
    assert opened.redirect_chain == [(f"{POSTS}?q=", HTTPStatus.FOUND)]
    assert "There is no such saved view." in opened.content.decode()


def test_shared_view_is_visible_to_other_staff_and_opens(staff_client_with):
    view = saved(StaffUserFactory(), shared=True)
    other = staff_client_with(VIEW_POSTS)

    listed = other.get(POSTS, {"q": ""})
    opened = other.get(POSTS, {"view": view.pk})

    assert view in listed.context["saved_views"]
    assert opened.url == f"{POSTS}?{QUERY}"


def test_shared_view_cannot_be_renamed_or_deleted_by_others(staff_client_with):
    view = saved(StaffUserFactory(), shared=True)
    other = staff_client_with(VIEW_POSTS)

    other.post(CHANGE, {"view": view.pk, "name": "Hijacked", "shared": "on"})
    other.post(REMOVE, {"view": view.pk})

    view.refresh_from_db()
    assert view.name == "Mine"


def test_owner_renames_and_unshares_a_view(staff_client_with):
    client = staff_client_with(VIEW_POSTS)
    view = saved(client.user, shared=True)

    client.post(CHANGE, {"view": view.pk, "name": "Renamed"})

    view.refresh_from_db()
    assert (view.name, view.shared, view.query) == ("Renamed", False, QUERY)


def test_owner_deletes_a_view(staff_client_with):
    client = staff_client_with(VIEW_POSTS)
    view = saved(client.user)

    response = client.post(REMOVE, {"view": view.pk}, follow=True)

    assert not SavedView.objects.exists()
    assert "The view “Mine” was deleted." in response.content.decode()


def test_manage_page_lists_own_views_as_forms_and_shared_ones_as_links(staff_client_with):
    client = staff_client_with(VIEW_POSTS)
    mine = saved(client.user, name="Mine")
    theirs = saved(StaffUserFactory(username="hanako"), name="Theirs", shared=True)
    saved(StaffUserFactory(), name="Private elsewhere")

    response = client.get(MANAGE)

    assert [view for view, form in response.context["own"]] == [mine]
    assert response.context["shared"] == [theirs]
    assert "Private elsewhere" not in response.content.decode()


def test_duplicate_name_is_refused_with_a_message(staff_client_with):
    client = staff_client_with(VIEW_POSTS)
    saved(client.user, name="Mine")

    response = client.post(SAVE, {"name": "Mine", "query": "status=draft"}, follow=True)

    assert SavedView.objects.count() == 1
    assert "You already have a view of this list with that name." in response.content.decode()


def test_default_view_opens_with_the_bare_list(staff_client_with, posts):
    client = staff_client_with(VIEW_POSTS)
    saved(client.user, is_default=True)

    response = client.get(POSTS)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == f"{POSTS}?{QUERY}"


def test_default_view_does_not_apply_to_a_list_with_a_query(staff_client_with, posts):
    client = staff_client_with(VIEW_POSTS)
    saved(client.user, is_default=True)

    response = client.get(POSTS, {"q": ""})

    assert response.status_code == HTTPStatus.OK
    assert len(titles(response)) == 4


def test_someone_elses_default_does_not_apply(staff_client_with, posts):
    saved(StaffUserFactory(), is_default=True, shared=True)

    response = staff_client_with(VIEW_POSTS).get(POSTS)

    assert response.status_code == HTTPStatus.OK


def test_a_new_default_replaces_the_old_one(staff_client_with):
    client = staff_client_with(VIEW_POSTS)
    old = saved(client.user, name="Old", is_default=True)

    client.post(SAVE, {"name": "New", "query": "status=draft", "is_default": "on"})

    old.refresh_from_db()
    assert not old.is_default
    assert SavedView.objects.get(is_default=True).name == "New"


def test_the_database_allows_one_default_per_owner_and_list(staff_client_with):
    owner = StaffUserFactory()
    saved(owner, name="One", is_default=True)
    saved(owner, name="Users", list_name="users", is_default=True)

    with pytest.raises(IntegrityError):
        saved(owner, name="Two", is_default=True)


def test_views_of_one_list_do_not_show_on_the_other(staff_client_with):
    client = staff_client_with(VIEW_POSTS, "users.view_user")
    saved(client.user, name="Posts view")

    response = client.get(USERS, {"q": ""})

    assert response.context["saved_views"] == []


def test_saved_views_need_the_list_permission(staff_client_with):
    client = staff_client_with("users.view_user")

    response = client.post(SAVE, {"name": "Sneaky", "query": ""})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not SavedView.objects.exists()
