from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.http import HttpRequest
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from posts.models import Post
from posts.tests.factories import PostFactory
from users.models import User

from .factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

VIEW = "users.view_user"
ADD = "users.add_user"
CHANGE = "users.change_user"
DELETE = "users.delete_user"
ALL_USER_PERMS = (VIEW, ADD, CHANGE, DELETE)

PASSWORD = "a-long-Passphrase-42"
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"

LIST = reverse("users:list")
CREATE = reverse("users:create")
SUGGEST = reverse("users:autocomplete")


def url(name: str, profile) -> str:
    return reverse(f"users:{name}", args=[profile.pk])


GET_PAGES = {
    "list": lambda p: LIST,
    "create": lambda p: CREATE,
    "suggest": lambda p: SUGGEST,
    "detail": lambda p: url("detail", p),
    "update": lambda p: url("update", p),
    "set_password": lambda p: url("set_password", p),
    "delete": lambda p: url("delete", p),
}
GET_PAGES_NEEDING = {
    "list": VIEW,
    "create": ADD,
    "detail": VIEW,
    "update": CHANGE,
    "set_password": CHANGE,
    "delete": DELETE,
}


def usernames(response) -> list[str]:
    return [profile.username for profile in response.context["page_obj"].object_list]


def new_user_data(**overrides) -> dict:
    return {
        "username": "hanako",
        "email": "hanako@example.com",
        "name": "山田 花子",
        "password1": PASSWORD,
        "password2": PASSWORD,
        **overrides,
    }


# Access ----------------------------------------------------------------------


@pytest.mark.parametrize("page", GET_PAGES)
def test_anonymous_is_sent_to_login_with_next(client, user, page):
    address = GET_PAGES[page](user)

    response = client.get(address)

    assert response.status_code == HTTPStatus.FOUND
    location = urlsplit(response.url)
    assert location.path == reverse("login")
    assert parse_qs(location.query)["next"] == [address]


@pytest.mark.parametrize("page", GET_PAGES)
def test_non_staff_with_every_permission_gets_403(client, user, page):
    client.force_login(UserFactory(permissions=(*ALL_USER_PERMS, "posts.add_post")))

    response = client.get(GET_PAGES[page](user))

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("page", GET_PAGES)
def test_staff_without_permission_gets_403(staff_client_with, user, page):
    response = staff_client_with().get(GET_PAGES[page](user))

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("page", GET_PAGES_NEEDING)
def test_staff_with_other_user_permissions_gets_403(staff_client_with, user, page):
    others = [perm for perm in ALL_USER_PERMS if perm != GET_PAGES_NEEDING[page]]

    response = staff_client_with(*others).get(GET_PAGES[page](user))

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("name", ["update", "set_password", "delete"])
def test_non_staff_learns_nothing_about_unknown_ids(non_staff_client, name):
    response = non_staff_client.get(reverse(f"users:{name}", args=[999_999]))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_anonymous_post_to_unknown_password_page_is_sent_to_login(client):
    response = client.post(reverse("users:set_password", args=[999_999]))

    assert response.status_code == HTTPStatus.FOUND


def test_non_staff_cannot_create_user(non_staff_client):
    response = non_staff_client.post(CREATE, new_user_data())

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not User.objects.filter(username="hanako").exists()


def test_viewer_cannot_create_user(staff_client_with):
    response = staff_client_with(VIEW).post(CREATE, new_user_data())

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not User.objects.filter(username="hanako").exists()


def test_viewer_cannot_edit_user(staff_client_with):
    profile = UserFactory(name="Original")

    response = staff_client_with(VIEW).post(
        url("update", profile),
        {"username": profile.username, "email": profile.email, "name": "Changed"},
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    profile.refresh_from_db()
    assert profile.name == "Original"


def test_viewer_cannot_set_password(staff_client_with, user):
    response = staff_client_with(VIEW).post(
        url("set_password", user), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    user.refresh_from_db()
    assert not user.check_password(PASSWORD)
    assert user.check_password("camp-test-password")


@pytest.mark.parametrize("name", ["activate", "deactivate"])
def test_viewer_cannot_change_active_flag(staff_client_with, name):
    profile = UserFactory(is_active=name == "deactivate")

    response = staff_client_with(VIEW).post(url(name, profile))

    assert response.status_code == HTTPStatus.FORBIDDEN
    profile.refresh_from_db()
    assert profile.is_active is (name == "deactivate")


@pytest.mark.parametrize("name", ["activate", "deactivate"])
def test_non_staff_cannot_change_active_flag(non_staff_client, name):
    profile = UserFactory(is_active=name == "deactivate")

    response = non_staff_client.post(url(name, profile))

    assert response.status_code == HTTPStatus.FORBIDDEN
    profile.refresh_from_db()
    assert profile.is_active is (name == "deactivate")


@pytest.mark.parametrize("name", ["activate", "deactivate"])
def test_anonymous_cannot_change_active_flag(client, name):
    profile = UserFactory(is_active=name == "deactivate")

    response = client.post(url(name, profile))

    assert response.status_code == HTTPStatus.FOUND
    assert urlsplit(response.url).path == reverse("login")
    profile.refresh_from_db()
    assert profile.is_active is (name == "deactivate")


def test_changer_without_delete_permission_cannot_delete_user(staff_client_with, user):
    response = staff_client_with(VIEW, CHANGE).post(url("delete", user))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert User.objects.filter(pk=user.pk).exists()


def test_non_staff_cannot_delete_user(non_staff_client, user):
    response = non_staff_client.post(url("delete", user))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert User.objects.filter(pk=user.pk).exists()


# List ------------------------------------------------------------------------


def test_list_shows_users_with_their_post_counts(staff_client_with):
    hanako = UserFactory(username="hanako", email="hanako@example.com", name="山田 花子")
    PostFactory.create_batch(3, author=hanako)

    response = staff_client_with(VIEW).get(LIST, {"q": "hanako"})

    assert response.status_code == HTTPStatus.OK
    assert usernames(response) == ["hanako"]
    assert response.context["page_obj"].object_list[0].post_count == 3
    content = response.content.decode()
    assert "hanako@example.com" in content
    assert "山田 花子" in content


@pytest.mark.parametrize(
    "query",
    ["hanako", "HANAKO", "hana", "h.yamada@", "EXAMPLE.ORG", "花子", "山田"],
)
def test_search_matches_username_email_or_name(staff_client_with, query):
    UserFactory(username="hanako", email="h.yamada@example.org", name="山田 花子")
    UserFactory(username="taro", email="taro@example.com", name="鈴木 太郎")

    response = staff_client_with(VIEW).get(LIST, {"q": query})

    assert usernames(response) == ["hanako"]


def test_active_filter(staff_client_with):
    UserFactory(username="gone", is_active=False)
    client = staff_client_with(VIEW, username="viewer")

    response = client.get(LIST, {"is_active": "false"})

    assert usernames(response) == ["gone"]


def test_staff_filter(staff_client_with):
    UserFactory(username="plain")
    client = staff_client_with(VIEW, username="viewer")

    response = client.get(LIST, {"is_staff": "false"})

    assert usernames(response) == ["plain"]


def test_joined_filter(staff_client_with):
    UserFactory(username="veteran", date_joined=timezone.now() - timedelta(days=400))
    client = staff_client_with(VIEW, username="viewer")

    response = client.get(
        LIST, {"joined_before": (timezone.now() - timedelta(days=300)).date().isoformat()}
    )

    assert usernames(response) == ["veteran"]


def test_sort_by_post_count(staff_client_with):
    for username, posts in [("sorter-two", 2), ("sorter-none", 0), ("sorter-three", 3)]:
        PostFactory.create_batch(posts, author=UserFactory(username=username, name=""))
    client = staff_client_with(VIEW)

    ascending = client.get(LIST, {"sort": "posts", "q": "sorter"})
    descending = client.get(LIST, {"sort": "-posts", "q": "sorter"})

    assert usernames(ascending) == ["sorter-none", "sorter-two", "sorter-three"]
    assert usernames(descending) == ["sorter-three", "sorter-two", "sorter-none"]


def test_sort_by_username(staff_client_with):
    for username in ["bob", "carol", "alice"]:
        UserFactory(username=username)
    client = staff_client_with(VIEW, username="zz-viewer")

    response = client.get(LIST, {"sort": "username"})

    assert usernames(response) == ["alice", "bob", "carol", "zz-viewer"]


def test_sort_by_joined_descending(staff_client_with):
    now = timezone.now()
    for days, username in [(2, "middle"), (3, "oldest"), (1, "newest")]:
        UserFactory(username=username, date_joined=now - timedelta(days=days))
    client = staff_client_with(VIEW, username="viewer", date_joined=now - timedelta(days=9))

    response = client.get(LIST, {"sort": "-joined"})

    assert usernames(response) == ["newest", "middle", "oldest", "viewer"]


@pytest.mark.parametrize(
    "params",
    [
        {"is_active": "maybe"},
        {"is_staff": "zzz"},
        {"joined_after": "notadate"},
        {"joined_before": "2024-02-30"},
        {"sort": "zzz"},
        {"sort": "password"},
        {"sort": "-"},
        {"q": "x" * 10_000},
        {"q": "\x00"},
        {"q": "%_"},
    ],
    ids=[
        "is_active",
        "is_staff",
        "joined_after",
        "joined_before",
        "sort",
        "sort-password",
        "sort-dash",
        "long-q",
        "nul-q",
        "wildcards",
    ],
)
def test_bad_list_parameter_is_ignored(staff_client_with, params):
    UserFactory(username="still-listed", is_active=False)

    response = staff_client_with(VIEW, username="viewer").get(LIST, params)

    assert response.status_code == HTTPStatus.OK
    # A search is a search: nothing matches these (NULs are dropped), nothing breaks.
    expected = [] if params.get("q", "").replace("\x00", "") else ["still-listed", "viewer"]
    assert sorted(usernames(response)) == expected


def test_unknown_active_value_does_not_narrow_the_list(staff_client_with):
    UserFactory(is_active=False)
    UserFactory(is_active=True)

    response = staff_client_with(VIEW).get(LIST, {"is_active": "maybe"})

    assert len(usernames(response)) == 3


@pytest.mark.parametrize("page", ["abc", "99999", "0"])
def test_page_that_does_not_exist_is_404(staff_client_with, page):
    response = staff_client_with(VIEW).get(LIST, {"page": page})

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_list_escapes_username_and_name(staff_client_with):
    UserFactory(username=SCRIPT, name=SCRIPT, email="x@example.com")

    response = staff_client_with(VIEW).get(LIST)

    assert SCRIPT.encode() not in response.content
    assert response.content.count(ESCAPED_SCRIPT.encode()) >= 2


def test_viewer_sees_no_new_user_button(staff_client_with):
    response = staff_client_with(VIEW).get(LIST)

    assert f'href="{CREATE}"'.encode() not in response.content
    assert b"New user" not in response.content


def test_adder_sees_new_user_button(staff_client_with):
    response = staff_client_with(VIEW, ADD).get(LIST)

    assert f'href="{CREATE}"'.encode() in response.content


def test_post_counts_link_to_posts_only_for_post_viewers(staff_client_with):
    UserFactory(username="hanako")
    link = f"{reverse('posts:list')}?author=hanako"

    without = staff_client_with(VIEW).get(LIST)
    with_perm = staff_client_with(VIEW, "posts.view_post").get(LIST)

    assert link.encode() not in without.content
    assert link.encode() in with_perm.content


# Detail ----------------------------------------------------------------------


def test_detail_shows_profile_and_posts(staff_client_with):
    profile = UserFactory(username="hanako", email="hanako@example.com", name="山田 花子")
    PostFactory(author=profile, title="東京の天気")
    PostFactory(author=profile, title="Second")

    response = staff_client_with(VIEW).get(url("detail", profile))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    for text in ["hanako", "hanako@example.com", "山田 花子", "東京の天気", "Second"]:
        assert text in content
    assert response.context["profile"].post_count == 2


def test_detail_paginates_posts_by_10(staff_client_with):
    profile = UserFactory()
    PostFactory.create_batch(12, author=profile)
    client = staff_client_with(VIEW)

    first = client.get(url("detail", profile))
    second = client.get(url("detail", profile), {"page": 2})

    assert len(first.context["page_obj"].object_list) == 10
    assert len(second.context["page_obj"].object_list) == 2


@pytest.mark.parametrize("page", ["abc", "99999", "0", "-1"])
def test_detail_with_bad_page_still_answers(staff_client_with, page):
    profile = UserFactory()
    PostFactory.create_batch(2, author=profile)

    response = staff_client_with(VIEW).get(url("detail", profile), {"page": page})

    assert response.status_code == HTTPStatus.OK


def test_detail_of_unknown_user_is_404(staff_client_with):
    response = staff_client_with(VIEW).get(reverse("users:detail", args=[999_999]))

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_detail_escapes_username_name_and_post_titles(staff_client_with):
    profile = UserFactory(username=SCRIPT, name=SCRIPT, email="x@example.com")
    PostFactory(author=profile, title=SCRIPT)

    response = staff_client_with(VIEW, "posts.view_post").get(url("detail", profile))

    assert SCRIPT.encode() not in response.content
    assert response.content.count(ESCAPED_SCRIPT.encode()) >= 3


def test_viewer_sees_no_change_or_delete_buttons(staff_client_with, user):
    response = staff_client_with(VIEW).get(url("detail", user))

    content = response.content.decode()
    for name in ["update", "set_password", "deactivate", "activate", "delete"]:
        assert url(name, user) not in content


def test_changer_sees_change_buttons_but_not_delete(staff_client_with, user):
    response = staff_client_with(VIEW, CHANGE).get(url("detail", user))

    content = response.content.decode()
    for name in ["update", "set_password", "deactivate"]:
        assert url(name, user) in content
    assert url("activate", user) not in content
    assert url("delete", user) not in content


def test_deleter_sees_delete_button(staff_client_with, user):
    response = staff_client_with(VIEW, DELETE).get(url("detail", user))

    assert url("delete", user) in response.content.decode()


def test_inactive_user_shows_activate_button(staff_client_with):
    profile = UserFactory(is_active=False)

    response = staff_client_with(VIEW, CHANGE).get(url("detail", profile))

    assert url("activate", profile) in response.content.decode()
    assert url("deactivate", profile) not in response.content.decode()


# Create ----------------------------------------------------------------------


def test_create_form_is_shown(staff_client_with):
    response = staff_client_with(ADD).get(CREATE)

    assert response.status_code == HTTPStatus.OK
    assert set(response.context["form"].fields) >= {"username", "email", "password1", "password2"}


def test_create_saves_user_and_redirects_to_it(staff_client_with):
    client = staff_client_with(VIEW, ADD)

    response = client.post(CREATE, new_user_data(email="Hanako@Example.COM"))

    profile = User.objects.get(username="hanako")
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == url("detail", profile)
    assert profile.email == "hanako@example.com"
    assert profile.name == "山田 花子"
    assert profile.check_password(PASSWORD)
    assert not profile.is_staff


def test_superuser_can_create_staff(staff_client_with):
    staff_client_with(VIEW, ADD, is_superuser=True).post(CREATE, new_user_data(is_staff="on"))

    assert User.objects.get(username="hanako").is_staff


def test_create_success_message_is_shown_once(staff_client_with):
    client = staff_client_with(VIEW, ADD)

    response = client.post(CREATE, new_user_data(), follow=True)
    again = client.get(response.redirect_chain[-1][0])

    assert response.content.decode().count("User “hanako” was created.") == 1
    assert "was created" not in again.content.decode()


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": ""}, "username"),
        ({"username": "has space"}, "username"),
        ({"username": "x" * 151}, "username"),
        ({"email": ""}, "email"),
        ({"email": "not-an-email"}, "email"),
        ({"password2": "another-Passphrase-42"}, "password2"),
        ({"password1": "short", "password2": "short"}, "password2"),
        ({"password1": "password", "password2": "password"}, "password2"),
        ({"password1": "48151623420815", "password2": "48151623420815"}, "password2"),
        ({"password1": "hanako1234", "password2": "hanako1234"}, "password2"),
    ],
    ids=[
        "empty-username",
        "username-with-space",
        "long-username",
        "empty-email",
        "bad-email",
        "mismatched-passwords",
        "short-password",
        "common-password",
        "numeric-password",
        "password-like-username",
    ],
)
def test_create_with_invalid_field_shows_the_error(staff_client_with, overrides, field):
    response = staff_client_with(VIEW, ADD).post(CREATE, new_user_data(**overrides))

    assert response.status_code == HTTPStatus.OK
    errors = response.context["form"].errors
    assert field in errors
    assert escape(errors[field][0]) in response.content.decode()
    assert not User.objects.filter(email="hanako@example.com").exists()


def test_create_refuses_email_differing_only_in_case(staff_client_with):
    UserFactory(username="first", email="hanako@example.com")

    response = staff_client_with(VIEW, ADD).post(CREATE, new_user_data(email="HANAKO@example.com"))

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["email"] == [
        "A user with that email address already exists."
    ]
    assert b"A user with that email address already exists." in response.content
    assert not User.objects.filter(username="hanako").exists()


def test_create_refuses_taken_username(staff_client_with):
    UserFactory(username="hanako", email="other@example.com")

    response = staff_client_with(VIEW, ADD).post(CREATE, new_user_data())

    assert response.status_code == HTTPStatus.OK
    assert "username" in response.context["form"].errors
    assert User.objects.filter(username="hanako").count() == 1


def test_create_refuses_username_differing_only_in_case(staff_client_with):
    UserFactory(username="hanako", email="other@example.com")

    response = staff_client_with(VIEW, ADD).post(CREATE, new_user_data(username="Hanako"))

    assert response.status_code == HTTPStatus.OK
    assert "username" in response.context["form"].errors


def test_create_never_shows_the_typed_password_again(staff_client_with):
    response = staff_client_with(VIEW, ADD).post(CREATE, new_user_data(username=""))

    assert PASSWORD.encode() not in response.content


# Update ----------------------------------------------------------------------


def test_edit_form_shows_current_values(staff_client_with):
    profile = UserFactory(name="山田 花子")

    response = staff_client_with(CHANGE).get(url("update", profile))

    assert response.status_code == HTTPStatus.OK
    assert "山田 花子" in response.content.decode()
    assert "password" not in response.context["form"].fields


def test_edit_saves_changes_and_redirects(staff_client_with, form_data):
    profile = UserFactory(username="hanako", name="Old")
    client = staff_client_with(VIEW, CHANGE)
    page = client.get(url("update", profile))

    response = client.post(
        url("update", profile),
        form_data(page, name="新しい名前", email="New@Example.com"),
        follow=True,
    )

    assert response.redirect_chain == [(url("detail", profile), HTTPStatus.FOUND)]
    profile.refresh_from_db()
    assert (profile.name, profile.email) == ("新しい名前", "new@example.com")
    assert response.content.decode().count("User “hanako” was updated.") == 1
    assert "新しい名前" in response.content.decode()


def test_edit_keeps_own_email_in_other_case(staff_client_with, form_data):
    profile = UserFactory(email="hanako@example.com")
    client = staff_client_with(VIEW, CHANGE)
    page = client.get(url("update", profile))

    response = client.post(url("update", profile), form_data(page, email="HANAKO@example.com"))

    assert response.status_code == HTTPStatus.FOUND


def test_edit_refuses_email_of_another_user_in_other_case(staff_client_with, form_data):
    UserFactory(email="taken@example.com")
    profile = UserFactory(email="mine@example.com")
    client = staff_client_with(VIEW, CHANGE)
    page = client.get(url("update", profile))

    response = client.post(url("update", profile), form_data(page, email="Taken@Example.com"))

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors["email"] == [
        "A user with that email address already exists."
    ]
    profile.refresh_from_db()
    assert profile.email == "mine@example.com"


@pytest.mark.parametrize(
    "overrides",
    [{"username": ""}, {"email": "nope"}, {"username": "a b"}],
    ids=["empty-username", "bad-email", "username-with-space"],
)
def test_edit_with_invalid_field_keeps_the_user(staff_client_with, form_data, overrides):
    profile = UserFactory(username="hanako", email="hanako@example.com")
    client = staff_client_with(VIEW, CHANGE)
    page = client.get(url("update", profile))

    response = client.post(url("update", profile), form_data(page, **overrides))

    assert response.status_code == HTTPStatus.OK
    assert set(response.context["form"].errors) == set(overrides)
    profile.refresh_from_db()
    assert (profile.username, profile.email) == ("hanako", "hanako@example.com")


def test_edit_refuses_taken_username(staff_client_with, form_data):
    UserFactory(username="taken")
    profile = UserFactory(username="mine")
    client = staff_client_with(VIEW, CHANGE)
    page = client.get(url("update", profile))

    response = client.post(url("update", profile), form_data(page, username="taken"))

    assert response.status_code == HTTPStatus.OK
    assert "username" in response.context["form"].errors


@pytest.mark.parametrize("name", ["update", "set_password", "delete"])
def test_unknown_user_is_404(staff_client_with, name):
    client = staff_client_with(*ALL_USER_PERMS)
    address = reverse(f"users:{name}", args=[999_999])

    assert client.get(address).status_code == HTTPStatus.NOT_FOUND
    assert client.post(address, {}).status_code == HTTPStatus.NOT_FOUND


@pytest.mark.parametrize("name", ["activate", "deactivate"])
def test_changing_active_flag_of_unknown_user_is_404(staff_client_with, name):
    response = staff_client_with(CHANGE).post(reverse(f"users:{name}", args=[999_999]))

    assert response.status_code == HTTPStatus.NOT_FOUND


# Set password ----------------------------------------------------------------


def test_set_password_form_is_shown(staff_client_with, user):
    response = staff_client_with(CHANGE).get(url("set_password", user))

    assert response.status_code == HTTPStatus.OK
    assert set(response.context["form"].fields) == {"new_password1", "new_password2"}
    assert user.username in response.content.decode()


def test_set_password_changes_the_password(staff_client_with, user):
    client = staff_client_with(VIEW, CHANGE)

    response = client.post(
        url("set_password", user),
        {"new_password1": PASSWORD, "new_password2": PASSWORD},
        follow=True,
    )

    assert response.redirect_chain == [(url("detail", user), HTTPStatus.FOUND)]
    user.refresh_from_db()
    assert user.check_password(PASSWORD)
    assert not user.check_password("camp-test-password")
    message = f"The password of “{user.username}” was changed."
    assert response.content.decode().count(message) == 1
    assert message not in client.get(url("detail", user)).content.decode()


def test_setting_own_password_keeps_you_logged_in(staff_client_with):
    client = staff_client_with(VIEW, CHANGE)

    client.post(
        url("set_password", client.user), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )

    assert client.get(LIST).status_code == HTTPStatus.OK


@pytest.mark.parametrize(
    ("new_password1", "new_password2"),
    [
        (PASSWORD, "another-Passphrase-42"),
        ("short", "short"),
        ("password", "password"),
        ("48151623420815", "48151623420815"),
        ("", ""),
    ],
    ids=["mismatched", "short", "common", "numeric", "empty"],
)
def test_set_password_refuses_bad_password(staff_client_with, user, new_password1, new_password2):
    response = staff_client_with(VIEW, CHANGE).post(
        url("set_password", user),
        {"new_password1": new_password1, "new_password2": new_password2},
    )

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors
    user.refresh_from_db()
    assert user.check_password("camp-test-password")


def test_set_password_refuses_password_like_the_username(staff_client_with):
    profile = UserFactory(username="hanakoyamada")

    response = staff_client_with(VIEW, CHANGE).post(
        url("set_password", profile),
        {"new_password1": "hanakoyamada1", "new_password2": "hanakoyamada1"},
    )

    assert response.status_code == HTTPStatus.OK
    assert "new_password2" in response.context["form"].errors


# Activate and deactivate -----------------------------------------------------


def test_deactivate_stops_the_user(staff_client_with):
    profile = UserFactory(username="hanako")
    client = staff_client_with(VIEW, CHANGE)

    response = client.post(url("deactivate", profile), follow=True)

    assert response.redirect_chain == [(url("detail", profile), HTTPStatus.FOUND)]
    profile.refresh_from_db()
    assert profile.is_active is False
    assert "User “hanako” was deactivated" in response.content.decode()
    assert url("activate", profile) in response.content.decode()


def test_activate_lets_the_user_back(staff_client_with):
    profile = UserFactory(username="hanako", is_active=False)
    client = staff_client_with(VIEW, CHANGE)

    response = client.post(url("activate", profile), follow=True)

    profile.refresh_from_db()
    assert profile.is_active is True
    assert response.content.decode().count("User “hanako” was activated.") == 1
    assert "was activated" not in client.get(url("detail", profile)).content.decode()


@pytest.mark.parametrize("name", ["activate", "deactivate"])
def test_active_flag_cannot_change_by_get(staff_client_with, name):
    profile = UserFactory(is_active=name == "deactivate")

    response = staff_client_with(VIEW, CHANGE).get(url(name, profile))

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    profile.refresh_from_db()
    assert profile.is_active is (name == "deactivate")


def test_deactivated_user_cannot_log_in(client, staff_client_with):
    profile = StaffUserFactory(username="hanako", permissions=[VIEW])
    staff_client_with(VIEW, CHANGE).post(url("deactivate", profile))

    logged_in = client.login(
        request=HttpRequest(), username="hanako", password="camp-test-password"
    )

    assert logged_in is False


# Delete ----------------------------------------------------------------------


def test_delete_confirmation_says_how_many_posts_go_with_the_user(staff_client_with):
    profile = UserFactory(username="hanako")
    PostFactory.create_batch(3, author=profile)

    response = staff_client_with(VIEW, DELETE).get(url("delete", profile))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "Delete the user “hanako”?" in content
    assert "3 posts by this user will be deleted with it." in content


def test_delete_confirmation_uses_the_singular_for_one_post(staff_client_with):
    profile = UserFactory()
    PostFactory(author=profile)

    response = staff_client_with(VIEW, DELETE).get(url("delete", profile))

    assert "1 post by this user will be deleted with it." in response.content.decode()


def test_delete_confirmation_offers_deactivating_instead(staff_client_with, user):
    response = staff_client_with(VIEW, DELETE).get(url("delete", user))

    assert "Deactivating the user instead" in response.content.decode()


def test_delete_removes_user_and_their_posts(staff_client_with):
    profile = UserFactory(username="hanako")
    PostFactory.create_batch(3, author=profile)
    other = PostFactory()
    client = staff_client_with(VIEW, DELETE)

    response = client.post(url("delete", profile), follow=True)

    assert response.redirect_chain == [(LIST, HTTPStatus.FOUND)]
    assert not User.objects.filter(pk=profile.pk).exists()
    assert list(Post.objects.all()) == [other]
    assert response.content.decode().count("User “hanako” was deleted.") == 1
    assert "was deleted" not in client.get(LIST).content.decode()


def test_deleted_user_page_is_gone(staff_client_with, user):
    client = staff_client_with(VIEW, DELETE)
    client.get(url("detail", user))

    client.post(url("delete", user))

    assert client.get(url("detail", user)).status_code == HTTPStatus.NOT_FOUND


# Suggestions -----------------------------------------------------------------


def test_suggestions_match_username_start(staff_client_with):
    UserFactory(username="hanako", name="山田 花子")
    UserFactory(username="hanabi", name="")
    UserFactory(username="taro")

    response = staff_client_with("posts.add_post").get(SUGGEST, {"q": "HANA"})

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {
        "results": [
            {"username": "hanabi", "name": ""},
            {"username": "hanako", "name": "山田 花子"},
        ]
    }


def test_suggestions_leave_out_inactive_users(staff_client_with):
    UserFactory(username="hanako", is_active=False)

    response = staff_client_with(VIEW).get(SUGGEST, {"q": "hanako"})

    assert response.json() == {"results": []}


def test_suggestions_for_nothing_are_empty(staff_client_with, user):
    response = staff_client_with(VIEW).get(SUGGEST, {"q": "  "})

    assert response.json() == {"results": []}


@pytest.mark.parametrize("query", ["\x00", "%", "_", "x" * 10_000])
def test_suggestions_survive_odd_queries(staff_client_with, query):
    response = staff_client_with(VIEW).get(SUGGEST, {"q": query})

    assert response.status_code == HTTPStatus.OK
    assert response.json() == {"results": []}


@pytest.mark.parametrize("perm", [VIEW, "posts.add_post", "posts.change_post"])
def test_suggestions_serve_user_viewers_and_post_writers(staff_client_with, perm):
    response = staff_client_with(perm).get(SUGGEST, {"q": "a"})

    assert response.status_code == HTTPStatus.OK


def test_suggestions_are_refused_to_staff_with_only_post_viewing(staff_client_with):
    response = staff_client_with("posts.view_post").get(SUGGEST, {"q": "a"})

    assert response.status_code == HTTPStatus.FORBIDDEN


# Query counts ----------------------------------------------------------------


def test_list_queries_do_not_grow_with_rows(staff_client_with, count_queries):
    client = staff_client_with(VIEW, "posts.view_post")
    for profile in UserFactory.create_batch(4):
        PostFactory(author=profile)
    few = count_queries(client, LIST)
    for profile in UserFactory.create_batch(45):
        PostFactory(author=profile)
    many = count_queries(client, LIST)

    assert few == many


def test_sorted_list_queries_do_not_grow_with_rows(staff_client_with, count_queries):
    client = staff_client_with(VIEW, "posts.view_post")
    params = {"sort": "-posts", "q": "user", "is_active": "true"}
    UserFactory.create_batch(4)
    few = count_queries(client, LIST, params)
    UserFactory.create_batch(45)
    many = count_queries(client, LIST, params)

    assert few == many


def test_detail_queries_do_not_grow_with_posts(staff_client_with, count_queries):
    client = staff_client_with(VIEW, "posts.view_post")
    few_posts = UserFactory()
    PostFactory.create_batch(5, author=few_posts)
    many_posts = UserFactory()
    PostFactory.create_batch(50, author=many_posts)

    assert count_queries(client, url("detail", few_posts)) == count_queries(
        client, url("detail", many_posts)
    )


def test_detail_queries_do_not_grow_with_history(staff_client_with, count_queries):
    client = staff_client_with(VIEW, "posts.view_post")
    profile = UserFactory()
    few = count_queries(client, url("detail", profile))
    for number in range(25):
        profile.name = f"Name {number}"
        profile.save()
    many = count_queries(client, url("detail", profile))

    assert few == many
