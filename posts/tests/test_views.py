from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import reverse
from django.utils import timezone

from posts.models import Post
from users.tests.factories import StaffUserFactory, UserFactory

from .factories import ArchivedPostFactory, DraftPostFactory, PostFactory

pytestmark = pytest.mark.django_db

VIEW = "posts.view_post"
ADD = "posts.add_post"
CHANGE = "posts.change_post"
DELETE = "posts.delete_post"
ALL_POST_PERMS = (VIEW, ADD, CHANGE, DELETE)

SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"

LIST = reverse("posts:list")
CREATE = reverse("posts:create")


def detail_url(post):
    return reverse("posts:detail", args=[post.pk])


def update_url(post):
    return reverse("posts:update", args=[post.pk])


def delete_url(post):
    return reverse("posts:delete", args=[post.pk])


def page_urls(post) -> list[str]:
    return [LIST, CREATE, detail_url(post), update_url(post), delete_url(post)]


def valid_data(author, /, **overrides) -> dict:
    return {
        "title": "Hello",
        "content": "Some words.",
        "status": Post.Status.DRAFT,
        "author": author.username,
        **overrides,
    }


def titles(response) -> list[str]:
    return [post.title for post in response.context["page_obj"].object_list]


# Access ----------------------------------------------------------------------


@pytest.mark.parametrize("page", range(5), ids=["list", "create", "detail", "update", "delete"])
def test_anonymous_is_sent_to_login_with_next(client, post, page):
    url = page_urls(post)[page]

    response = client.get(url)

    assert response.status_code == HTTPStatus.FOUND
    location = urlsplit(response.url)
    assert location.path == reverse("login")
    assert parse_qs(location.query)["next"] == [url]


@pytest.mark.parametrize("page", range(5), ids=["list", "create", "detail", "update", "delete"])
def test_non_staff_with_every_permission_gets_403(client, post, page):
    client.force_login(UserFactory(permissions=ALL_POST_PERMS))

    response = client.get(page_urls(post)[page])

    assert response.status_code == HTTPStatus.FORBIDDEN


@pytest.mark.parametrize("page", range(5), ids=["list", "create", "detail", "update", "delete"])
def test_staff_without_permission_gets_403(staff_client_with, post, page):
    client = staff_client_with()

    response = client.get(page_urls(post)[page])

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"Permission denied" in response.content


def test_anonymous_post_to_create_creates_nothing(client, user):
    response = client.post(CREATE, valid_data(user))

    assert response.status_code == HTTPStatus.FOUND
    assert not Post.objects.exists()


def test_non_staff_cannot_create_post(non_staff_client):
    response = non_staff_client.post(CREATE, valid_data(non_staff_client.user))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Post.objects.exists()


def test_viewer_cannot_create_post(staff_client_with):
    client = staff_client_with(VIEW)

    response = client.post(CREATE, valid_data(client.user))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not Post.objects.exists()


def test_viewer_cannot_open_edit_form(staff_client_with, post):
    response = staff_client_with(VIEW).get(update_url(post))

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_viewer_cannot_edit_post(staff_client_with):
    post = PostFactory(title="Original")
    client = staff_client_with(VIEW)

    response = client.post(update_url(post), valid_data(post.author, title="Changed"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    post.refresh_from_db()
    assert post.title == "Original"


def test_editor_without_delete_permission_cannot_delete_post(staff_client_with, post):
    client = staff_client_with(VIEW, CHANGE)

    response = client.post(delete_url(post))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Post.objects.filter(pk=post.pk).exists()


def test_non_staff_cannot_delete_post(non_staff_client, post):
    response = non_staff_client.post(delete_url(post))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert Post.objects.filter(pk=post.pk).exists()


def test_deactivated_staff_is_sent_to_login(client, post):
    client.force_login(StaffUserFactory(is_active=False, permissions=ALL_POST_PERMS))

    response = client.get(LIST)

    assert response.status_code == HTTPStatus.FOUND
    assert urlsplit(response.url).path == reverse("login")


# List ------------------------------------------------------------------------


def test_list_shows_posts(staff_client_with):
    PostFactory(title="First post")
    PostFactory(title="Second post")

    response = staff_client_with(VIEW).get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert set(titles(response)) == {"First post", "Second post"}
    assert b"First post" in response.content


def test_list_without_posts_says_so(staff_client_with):
    response = staff_client_with(VIEW).get(LIST)

    assert response.status_code == HTTPStatus.OK
    assert b"No posts match." in response.content


def test_status_filter_takes_several_values(staff_client_with):
    DraftPostFactory(title="draft")
    ArchivedPostFactory(title="archived")
    PostFactory(title="published")

    response = staff_client_with(VIEW).get(LIST, {"status": ["draft", "archived"]})

    assert sorted(titles(response)) == ["archived", "draft"]


def test_status_filter_takes_one_value(staff_client_with):
    DraftPostFactory(title="draft")
    PostFactory(title="published")

    response = staff_client_with(VIEW).get(LIST, {"status": "published"})

    assert titles(response) == ["published"]


def test_search_matches_title(staff_client_with):
    PostFactory(title="Camping trip", content="")
    PostFactory(title="Other", content="")

    response = staff_client_with(VIEW).get(LIST, {"q": "camping"})

    assert titles(response) == ["Camping trip"]


def test_search_matches_content(staff_client_with):
    PostFactory(title="With content", content="We went to the mountains.")
    PostFactory(title="Other", content="Nothing here.")

    response = staff_client_with(VIEW).get(LIST, {"q": "MOUNTAINS"})

    assert titles(response) == ["With content"]


def test_search_matches_japanese_title(staff_client_with):
    PostFactory(title="東京の天気", content="")
    PostFactory(title="大阪の天気", content="")

    response = staff_client_with(VIEW).get(LIST, {"q": "東京"})

    assert titles(response) == ["東京の天気"]
    assert "東京の天気" in response.content.decode()


def test_search_matches_japanese_content(staff_client_with):
    PostFactory(title="A", content="今日は晴れです。")
    PostFactory(title="B", content="明日は雨です。")

    response = staff_client_with(VIEW).get(LIST, {"q": "晴れ"})

    assert titles(response) == ["A"]


def test_author_filter_ignores_case(staff_client_with):
    PostFactory(title="Hanako's", author=UserFactory(username="hanako"))
    PostFactory(title="Taro's", author=UserFactory(username="taro"))

    response = staff_client_with(VIEW).get(LIST, {"author": "HANAKO"})

    assert titles(response) == ["Hanako's"]


def test_created_range_filter(staff_client_with):
    now = timezone.now()
    PostFactory(title="old", created_at=now - timedelta(days=40))
    PostFactory(title="new", created_at=now)

    response = staff_client_with(VIEW).get(
        LIST, {"created_after": (now - timedelta(days=7)).date().isoformat()}
    )

    assert titles(response) == ["new"]


def test_sort_by_created_descending(staff_client_with):
    now = timezone.now()
    for days, title in [(2, "middle"), (3, "oldest"), (1, "newest")]:
        PostFactory(title=title, created_at=now - timedelta(days=days))

    response = staff_client_with(VIEW).get(LIST, {"sort": "-created"})

    assert titles(response) == ["newest", "middle", "oldest"]


def test_sort_by_created_ascending(staff_client_with):
    now = timezone.now()
    for days, title in [(2, "middle"), (3, "oldest"), (1, "newest")]:
        PostFactory(title=title, created_at=now - timedelta(days=days))

    response = staff_client_with(VIEW).get(LIST, {"sort": "created"})

    assert titles(response) == ["oldest", "middle", "newest"]


def test_sort_by_title(staff_client_with):
    for title in ["b", "c", "a"]:
        PostFactory(title=title)

    response = staff_client_with(VIEW).get(LIST, {"sort": "title"})

    assert titles(response) == ["a", "b", "c"]


def test_sort_by_author(staff_client_with):
    PostFactory(title="by zed", author=UserFactory(username="zed"))
    PostFactory(title="by amy", author=UserFactory(username="amy"))

    response = staff_client_with(VIEW).get(LIST, {"sort": "-author"})

    assert titles(response) == ["by zed", "by amy"]


def test_default_order_is_newest_first(staff_client_with):
    now = timezone.now()
    PostFactory(title="older", created_at=now - timedelta(hours=1))
    PostFactory(title="newer", created_at=now)

    response = staff_client_with(VIEW).get(LIST)

    assert titles(response) == ["newer", "older"]


def test_list_paginates_by_25(staff_client_with):
    PostFactory.create_batch(30)
    client = staff_client_with(VIEW)

    first = client.get(LIST)
    second = client.get(LIST, {"page": 2})

    assert len(titles(first)) == 25
    assert len(titles(second)) == 5
    assert not set(titles(first)) & set(titles(second))


def test_last_page_is_reachable_by_name(staff_client_with):
    PostFactory.create_batch(30)

    response = staff_client_with(VIEW).get(LIST, {"page": "last"})

    assert response.status_code == HTTPStatus.OK
    assert len(titles(response)) == 5


@pytest.mark.parametrize(
    "params",
    [
        {"status": "zzz"},
        {"created_after": "notadate"},
        {"created_before": "2024-13-45"},
        {"sort": "nonsense"},
        {"sort": "-"},
        {"sort": "password"},
        {"author": "x" * 5000},
        {"q": "x" * 10_000},
        {"q": "%_\\'\""},
        {"q": "\x00"},
        {"author": "\x00"},
    ],
    ids=[
        "status",
        "created_after",
        "created_before",
        "sort",
        "sort-dash",
        "sort-unknown-column",
        "long-author",
        "long-q",
        "sql-wildcards",
        "nul-q",
        "nul-author",
    ],
)
def test_bad_list_parameter_is_ignored(staff_client_with, params):
    PostFactory(title="still listed", content="")
    PostFactory(title="also listed", content="")

    response = staff_client_with(VIEW).get(LIST, params)

    assert response.status_code == HTTPStatus.OK
    # A search is a search: nothing matches these (NULs are dropped), nothing breaks.
    expected = [] if params.get("q", "").replace("\x00", "") else ["also listed", "still listed"]
    assert sorted(titles(response)) == expected


def test_unknown_status_does_not_narrow_the_list(staff_client_with):
    PostFactory.create_batch(2)

    response = staff_client_with(VIEW).get(LIST, {"status": "zzz"})

    assert len(titles(response)) == 2


@pytest.mark.parametrize("page", ["abc", "99999", "0", "-1", "1.5", "9" * 30])
def test_page_that_does_not_exist_is_404(staff_client_with, page):
    PostFactory.create_batch(2)

    response = staff_client_with(VIEW).get(LIST, {"page": page})

    assert response.status_code == HTTPStatus.NOT_FOUND


def test_list_links_keep_the_filters(staff_client_with):
    DraftPostFactory.create_batch(30)

    response = staff_client_with(VIEW).get(LIST, {"status": "draft", "sort": "title"})

    content = response.content.decode()
    assert "?status=draft&amp;sort=title&amp;page=2" in content


def test_list_escapes_title(staff_client_with):
    PostFactory(title=SCRIPT)

    response = staff_client_with(VIEW).get(LIST)

    assert SCRIPT.encode() not in response.content
    assert ESCAPED_SCRIPT.encode() in response.content


def test_list_escapes_author_username(staff_client_with):
    PostFactory(author=UserFactory(username=SCRIPT, email="x@example.com"))

    response = staff_client_with(VIEW, "users.view_user").get(LIST)

    assert SCRIPT.encode() not in response.content
    assert ESCAPED_SCRIPT.encode() in response.content


def test_viewer_sees_no_new_post_button(staff_client_with):
    response = staff_client_with(VIEW).get(LIST)

    assert CREATE.encode() not in response.content
    assert b"New post" not in response.content


def test_author_sees_new_post_button(staff_client_with):
    response = staff_client_with(VIEW, ADD).get(LIST)

    assert f'href="{CREATE}"'.encode() in response.content


def test_author_names_link_to_users_only_for_user_viewers(staff_client_with):
    post = PostFactory()
    author_url = reverse("users:detail", args=[post.author.pk])

    without = staff_client_with(VIEW).get(LIST)
    with_perm = staff_client_with(VIEW, "users.view_user").get(LIST)

    assert author_url.encode() not in without.content
    assert author_url.encode() in with_perm.content


# Detail ----------------------------------------------------------------------


def test_detail_shows_post(staff_client_with):
    post = PostFactory(title="A title", content="Body text", author=UserFactory(username="taro"))

    response = staff_client_with(VIEW).get(detail_url(post))

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert "A title" in content
    assert "Body text" in content
    assert "taro" in content


def test_detail_of_unknown_post_is_404(staff_client_with):
    response = staff_client_with(VIEW).get(reverse("posts:detail", args=[999_999]))

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"Page not found" in response.content


def test_detail_keeps_line_breaks(staff_client_with):
    post = PostFactory(content="a\nb")

    response = staff_client_with(VIEW).get(detail_url(post))

    assert b"a<br>b" in response.content


def test_detail_keeps_paragraphs(staff_client_with):
    post = PostFactory(content="first\n\nsecond")

    response = staff_client_with(VIEW).get(detail_url(post))

    assert b"<p>first</p>" in response.content
    assert b"<p>second</p>" in response.content


def test_detail_escapes_title_and_content(staff_client_with):
    post = PostFactory(title=SCRIPT, content=SCRIPT)

    response = staff_client_with(VIEW).get(detail_url(post))

    assert SCRIPT.encode() not in response.content
    assert response.content.count(ESCAPED_SCRIPT.encode()) >= 2


def test_detail_shows_japanese(staff_client_with):
    post = PostFactory(title="東京の天気", content="晴れ")

    response = staff_client_with(VIEW).get(detail_url(post))

    content = response.content.decode()
    assert "東京の天気" in content
    assert "晴れ" in content


def test_viewer_sees_no_edit_or_delete_buttons(staff_client_with, post):
    response = staff_client_with(VIEW).get(detail_url(post))

    assert update_url(post).encode() not in response.content
    assert delete_url(post).encode() not in response.content


def test_editor_sees_edit_but_not_delete_button(staff_client_with, post):
    response = staff_client_with(VIEW, CHANGE).get(detail_url(post))

    assert update_url(post).encode() in response.content
    assert delete_url(post).encode() not in response.content


def test_deleter_sees_delete_button(staff_client_with, post):
    response = staff_client_with(VIEW, DELETE).get(detail_url(post))

    assert delete_url(post).encode() in response.content


# Create ----------------------------------------------------------------------


def test_create_form_suggests_the_current_user_as_author(staff_client_with):
    client = staff_client_with(ADD)

    response = client.get(CREATE)

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"]["author"].value() == client.user.username


def test_author_field_is_a_text_input(staff_client_with):
    UserFactory.create_batch(3)

    response = staff_client_with(ADD).get(CREATE)

    content = response.content.decode()
    assert 'type="text" name="author"' in content
    assert '<select name="author"' not in content


def test_create_saves_post_and_redirects_to_it(staff_client_with):
    client = staff_client_with(VIEW, ADD)
    author = UserFactory(username="hanako")

    response = client.post(
        CREATE, valid_data(author, title="新しい投稿", content="本文", status="published")
    )

    post = Post.objects.get()
    assert response.status_code == HTTPStatus.FOUND
    assert response.url == detail_url(post)
    assert (post.title, post.content, post.status, post.author) == (
        "新しい投稿",
        "本文",
        "published",
        author,
    )


def test_create_success_message_is_shown_once(staff_client_with):
    client = staff_client_with(VIEW, ADD)

    response = client.post(CREATE, valid_data(client.user, title="Hello"), follow=True)
    again = client.get(response.redirect_chain[-1][0])

    message = "Post “Hello” was created."
    assert response.content.decode().count(message) == 1
    assert message not in again.content.decode()


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("title", "", "This field is required."),
        ("title", "x" * 201, "Ensure this value has at most 200 characters (it has 201)."),
        ("author", "nobody-by-that-name", "No user with that username exists."),
        ("author", "", "This field is required."),
        ("status", "zzz", "Select a valid choice. zzz is not one of the available choices."),
    ],
    ids=["empty-title", "long-title", "unknown-author", "no-author", "bad-status"],
)
def test_create_with_invalid_field_shows_the_error(staff_client_with, field, value, error):
    client = staff_client_with(VIEW, ADD)

    response = client.post(CREATE, valid_data(client.user, **{field: value}))

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].errors[field] == [error]
    assert error.encode() in response.content
    assert not Post.objects.exists()


def test_create_keeps_what_was_typed_when_invalid(staff_client_with):
    client = staff_client_with(VIEW, ADD)

    response = client.post(CREATE, valid_data(client.user, title="", content="Keep me"))

    assert b"Keep me" in response.content


def test_title_of_200_characters_is_accepted(staff_client_with):
    client = staff_client_with(VIEW, ADD)

    client.post(CREATE, valid_data(client.user, title="x" * 200))

    assert Post.objects.get().title == "x" * 200


# Update ----------------------------------------------------------------------


def test_edit_form_shows_author_username(staff_client_with):
    post = PostFactory(author=UserFactory(username="hanako"))

    response = staff_client_with(CHANGE).get(update_url(post))

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"]["author"].value() == "hanako"
    assert 'value="hanako"' in response.content.decode()


def test_edit_form_submitted_unchanged_saves(staff_client_with, form_data):
    post = PostFactory(title="Same")
    client = staff_client_with(VIEW, CHANGE)
    page = client.get(update_url(post))

    response = client.post(update_url(post), form_data(page))

    assert response.status_code == HTTPStatus.FOUND
    post.refresh_from_db()
    assert post.title == "Same"


def test_edit_saves_changes_and_redirects(staff_client_with, form_data):
    post = DraftPostFactory(title="Before")
    new_author = UserFactory(username="hanako")
    client = staff_client_with(VIEW, CHANGE)
    page = client.get(update_url(post))

    response = client.post(
        update_url(post),
        form_data(page, title="After", status="archived", author="hanako"),
        follow=True,
    )

    post.refresh_from_db()
    assert response.redirect_chain == [(detail_url(post), HTTPStatus.FOUND)]
    assert (post.title, post.status, post.author) == ("After", "archived", new_author)
    assert "Post “After” was updated." in response.content.decode()


def test_edit_success_message_is_shown_once(staff_client_with, form_data):
    post = PostFactory()
    client = staff_client_with(VIEW, CHANGE)
    page = client.get(update_url(post))

    client.post(update_url(post), form_data(page, title="After"), follow=True)
    again = client.get(detail_url(post))

    assert "was updated" not in again.content.decode()


@pytest.mark.parametrize(
    ("field", "value"),
    [("title", ""), ("title", "x" * 201), ("author", "nobody-by-that-name")],
    ids=["empty-title", "long-title", "unknown-author"],
)
def test_edit_with_invalid_field_keeps_the_post(staff_client_with, form_data, field, value):
    post = PostFactory(title="Original")
    client = staff_client_with(VIEW, CHANGE)
    page = client.get(update_url(post))

    response = client.post(update_url(post), form_data(page, **{field: value}))

    assert response.status_code == HTTPStatus.OK
    assert field in response.context["form"].errors
    post.refresh_from_db()
    assert post.title == "Original"


def test_edit_of_unknown_post_is_404(staff_client_with):
    client = staff_client_with(VIEW, CHANGE)
    url = reverse("posts:update", args=[999_999])

    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url, valid_data(client.user)).status_code == HTTPStatus.NOT_FOUND


# Delete ----------------------------------------------------------------------


def test_delete_asks_for_confirmation(staff_client_with):
    post = PostFactory(title="Doomed")

    response = staff_client_with(VIEW, DELETE).get(delete_url(post))

    assert response.status_code == HTTPStatus.OK
    assert "Delete the post “Doomed”?" in response.content.decode()
    assert Post.objects.filter(pk=post.pk).exists()


def test_delete_removes_post_and_redirects_to_list(staff_client_with):
    post = PostFactory(title="Doomed")
    client = staff_client_with(VIEW, DELETE)

    response = client.post(delete_url(post), follow=True)

    assert response.redirect_chain == [(LIST, HTTPStatus.FOUND)]
    assert not Post.objects.filter(pk=post.pk).exists()
    assert response.content.decode().count("Post “Doomed” was deleted.") == 1
    assert "was deleted" not in client.get(LIST).content.decode()


def test_delete_keeps_the_author(staff_client_with, post):
    staff_client_with(VIEW, DELETE).post(delete_url(post))

    assert type(post.author).objects.filter(pk=post.author.pk).exists()


def test_delete_of_unknown_post_is_404(staff_client_with):
    client = staff_client_with(VIEW, DELETE)
    url = reverse("posts:delete", args=[999_999])

    assert client.get(url).status_code == HTTPStatus.NOT_FOUND
    assert client.post(url).status_code == HTTPStatus.NOT_FOUND


def test_delete_confirmation_escapes_title(staff_client_with):
    post = PostFactory(title=SCRIPT)

    response = staff_client_with(VIEW, DELETE).get(delete_url(post))

    assert SCRIPT.encode() not in response.content
    assert ESCAPED_SCRIPT.encode() in response.content


# Query counts ----------------------------------------------------------------


def test_list_queries_do_not_grow_with_rows(staff_client_with, count_queries):
    client = staff_client_with(VIEW, "users.view_user")
    PostFactory.create_batch(5)
    few = count_queries(client, LIST)
    PostFactory.create_batch(45)
    many = count_queries(client, LIST)

    assert few == many


def test_filtered_list_queries_do_not_grow_with_rows(staff_client_with, count_queries):
    client = staff_client_with(VIEW, "users.view_user")
    params = {"status": ["draft", "published"], "q": "e", "sort": "-author"}
    PostFactory.create_batch(5, title="title")
    few = count_queries(client, LIST, params)
    PostFactory.create_batch(45, title="title")
    many = count_queries(client, LIST, params)

    assert few == many


def test_detail_queries_do_not_grow_with_history(staff_client_with, count_queries):
    client = staff_client_with(VIEW, "users.view_user")
    post = PostFactory()
    few = count_queries(client, detail_url(post))
    for number in range(25):
        post.title = f"Edit {number}"
        post.author = UserFactory()
        post.save()
    many = count_queries(client, detail_url(post))

    assert few == many
