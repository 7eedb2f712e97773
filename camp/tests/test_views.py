"""The pages that span both apps: home, search, health checks, login and error pages."""

from datetime import timedelta
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.urls import path, reverse
from django.utils import timezone

import camp.urls
from camp.templatetags.camp import highlight
from posts.models import Post
from posts.tests.factories import ArchivedPostFactory, DraftPostFactory, PostFactory
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

HOME = reverse("home")
SEARCH = reverse("search")
LOGIN = reverse("login")
LOGOUT = reverse("logout")
BOTH_VIEWS = ("users.view_user", "posts.view_post")

FACTORY_PASSWORD = "camp-test-password"
SCRIPT = "<script>alert(1)</script>"
ESCAPED_SCRIPT = "&lt;script&gt;alert(1)&lt;/script&gt;"


def boom(request):
    raise RuntimeError("A bug in a view")


# A URLconf with a view that fails, to see the 500 page the way a visitor would.
urlpatterns = [path("boom/", boom), *camp.urls.urlpatterns]


def login_next(response) -> list[str]:
    location = urlsplit(response.url)
    assert location.path == LOGIN
    return parse_qs(location.query).get("next", [])


# Home ------------------------------------------------------------------------


def test_anonymous_is_sent_from_home_to_login(client):
    response = client.get(HOME)

    assert response.status_code == HTTPStatus.FOUND
    assert login_next(response) == [HOME]


def test_non_staff_gets_403_on_home(non_staff_client):
    response = non_staff_client.get(HOME)

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"Permission denied" in response.content


def test_home_counts_users_and_posts(staff_client_with):
    DraftPostFactory.create_batch(2)
    PostFactory()
    ArchivedPostFactory()
    UserFactory(is_active=False)

    response = staff_client_with(*BOTH_VIEWS).get(HOME)

    assert response.status_code == HTTPStatus.OK
    counts = response.context["counts"]
    # Four authors, one inactive user and the staff member looking.
    assert counts["users_total"] == 6
    assert counts["users_active"] == 5
    assert counts["users_staff"] == 1
    assert counts["posts_total"] == 4
    assert (counts["posts_draft"], counts["posts_published"], counts["posts_archived"]) == (
        2,
        1,
        1,
    )


def test_home_chart_counts_the_last_30_days(staff_client_with):
    now = timezone.now()
    PostFactory.create_batch(2, created_at=now)
    PostFactory(created_at=now - timedelta(days=3))
    PostFactory(created_at=now - timedelta(days=45))

    response = staff_client_with("posts.view_post").get(HOME)

    chart = response.context["chart"]
    assert len(chart.bars) == 30
    assert chart.total == 3
    assert chart.maximum == 2
    assert b"<svg" in response.content


def test_home_shows_latest_posts_and_newest_users(staff_client_with):
    PostFactory(title="東京の天気", author=UserFactory(username="hanako"))

    response = staff_client_with(*BOTH_VIEWS).get(HOME)

    content = response.content.decode()
    assert "東京の天気" in content
    assert "hanako" in content


def test_home_counts_link_to_filtered_lists_for_viewers(staff_client_with):
    response = staff_client_with(*BOTH_VIEWS).get(HOME)

    content = response.content.decode()
    assert f'href="{reverse("posts:list")}?status=draft"' in content
    assert f'href="{reverse("users:list")}?is_active=true"' in content


def test_staff_without_permissions_sees_nothing_they_cannot_open(staff_client_with):
    post = PostFactory()

    response = staff_client_with().get(HOME)

    assert response.status_code == HTTPStatus.OK
    content = response.content.decode()
    assert post.title not in content
    assert post.author.username not in content
    assert "<svg" not in content.split("<main")[1]
    assert "no permission to view users or posts" in content
    assert post.get_absolute_url() not in content
    assert post.author.get_absolute_url() not in content
    assert reverse("posts:list") not in content
    assert reverse("users:list") not in content


def test_home_escapes_titles_usernames_and_names(staff_client_with):
    PostFactory(title=SCRIPT, author=UserFactory(username=SCRIPT, name=SCRIPT))

    response = staff_client_with(*BOTH_VIEWS).get(HOME)

    assert SCRIPT.encode() not in response.content
    assert response.content.count(ESCAPED_SCRIPT.encode()) >= 3


def test_home_reflects_a_new_post_at_once(staff_client_with):
    client = staff_client_with(*BOTH_VIEWS)
    client.get(HOME)
    PostFactory(title="Just written")

    response = client.get(HOME)

    assert response.context["counts"]["posts_total"] == 1
    assert "Just written" in response.content.decode()


def test_home_without_data_says_so(staff_client_with):
    response = staff_client_with("posts.view_post").get(HOME)

    assert b"No posts yet." in response.content


def test_post_viewer_sees_post_cards_and_chart_but_no_users(staff_client_with):
    author = UserFactory(username="hidden-author", name="Hidden Name")
    PostFactory(title="Visible title", author=author)

    response = staff_client_with("posts.view_post").get(HOME)

    content = response.content.decode()
    assert [card.label for card in response.context["cards"]] == [
        "Posts",
        "Published",
        "Drafts",
        "Archived",
    ]
    assert "Visible title" in content
    assert "Hidden Name" not in content
    assert "Newest users" not in content
    assert reverse("users:list") not in content
    assert 'class="stat-grid cards-4"' in content


def test_user_viewer_sees_user_cards_but_no_posts(staff_client_with):
    PostFactory(title="Secret title")

    response = staff_client_with("users.view_user").get(HOME)

    content = response.content.decode()
    assert len(response.context["cards"]) == 3
    assert "Secret title" not in content
    assert response.context["chart"] is None


def test_home_cards_fit_seven_in_two_rows_and_show_thousands(staff_client_with):
    response = staff_client_with(*BOTH_VIEWS).get(HOME)

    assert 'class="stat-grid cards-7"' in response.content.decode()


def test_home_chart_has_a_scale_and_a_table_of_values(staff_client_with):
    PostFactory.create_batch(4, created_at=timezone.now())

    content = staff_client_with("posts.view_post").get(HOME).content.decode()

    assert '<ul class="chart-scale" aria-hidden="true">' in content
    assert "<li>4</li>" in content and "<li>2</li>" in content and "<li>0</li>" in content
    assert "The numbers by day" in content
    assert '<td class="number">4</td>' in content


def test_home_queries_do_not_grow_with_rows(staff_client_with, count_queries):
    client = staff_client_with(*BOTH_VIEWS)
    PostFactory.create_batch(5)
    few = count_queries(client, HOME)
    PostFactory.create_batch(45)
    many = count_queries(client, HOME)

    assert few == many


# Search ----------------------------------------------------------------------


def test_anonymous_is_sent_from_search_to_login(client):
    response = client.get(SEARCH, {"q": "x"})

    assert response.status_code == HTTPStatus.FOUND
    assert login_next(response) == [f"{SEARCH}?q=x"]


def test_non_staff_gets_403_on_search(non_staff_client):
    response = non_staff_client.get(SEARCH, {"q": "x"})

    assert response.status_code == HTTPStatus.FORBIDDEN


def test_search_finds_users_and_posts(staff_client_with):
    hanako = UserFactory(username="hanako", name="山田 花子")
    PostFactory(title="Hanako's trip", author=UserFactory(username="taro"))
    PostFactory(title="Unrelated", content="", author=hanako)

    response = staff_client_with(*BOTH_VIEWS).get(SEARCH, {"q": "hanako"})

    assert response.status_code == HTTPStatus.OK
    assert [u.username for u in response.context["users"]] == ["hanako"]
    assert [p.title for p in response.context["posts"]] == ["Hanako's trip"]


def test_search_finds_japanese_text(staff_client_with):
    UserFactory(username="hanako", name="山田 花子")
    PostFactory(title="花子の日記", content="")
    PostFactory(title="Other", content="晴れ")

    response = staff_client_with(*BOTH_VIEWS).get(SEARCH, {"q": "花子"})

    assert [u.username for u in response.context["users"]] == ["hanako"]
    assert [p.title for p in response.context["posts"]] == ["花子の日記"]
    assert "山田 <mark>花子</mark>" in response.content.decode()


def test_search_matches_post_content(staff_client_with):
    PostFactory(title="Weather", content="今日は晴れです")

    response = staff_client_with(*BOTH_VIEWS).get(SEARCH, {"q": "晴れ"})

    assert [p.title for p in response.context["posts"]] == ["Weather"]


def test_search_links_to_the_full_lists(staff_client_with):
    UserFactory(username="hanako")
    PostFactory(title="hanako")

    response = staff_client_with(*BOTH_VIEWS).get(SEARCH, {"q": "hanako"})

    content = response.content.decode()
    assert f"{reverse('users:list')}?q=hanako" in content
    assert f"{reverse('posts:list')}?q=hanako" in content


def test_search_leaves_out_kinds_the_staff_member_may_not_view(staff_client_with):
    UserFactory(username="hanako")
    PostFactory(title="hanako")

    response = staff_client_with("posts.view_post").get(SEARCH, {"q": "hanako"})

    assert response.context["users"] is None
    assert [p.title for p in response.context["posts"]] == ["hanako"]
    assert b'id="search-users-heading"' not in response.content


def test_search_without_permissions_shows_nothing(staff_client_with):
    UserFactory(username="hanako")
    PostFactory(title="hanako")

    response = staff_client_with().get(SEARCH, {"q": "hanako"})

    assert response.status_code == HTTPStatus.OK
    assert response.context["users"] is None
    assert response.context["posts"] is None


def test_empty_search_finds_nothing(staff_client_with):
    PostFactory()

    response = staff_client_with(*BOTH_VIEWS).get(SEARCH)

    assert response.status_code == HTTPStatus.OK
    assert response.context["users"] == []
    assert response.context["posts"] == []


@pytest.mark.parametrize(
    "query", ["x" * 10_000, "\x00", "%", "_", "'; DROP TABLE posts_post; --", "   "]
)
def test_odd_search_never_fails(staff_client_with, query):
    PostFactory(title="still here")

    response = staff_client_with(*BOTH_VIEWS).get(SEARCH, {"q": query})

    assert response.status_code == HTTPStatus.OK
    assert response.context["posts"] == []
    assert Post.objects.filter(title="still here").exists()


def test_search_escapes_what_it_shows(staff_client_with):
    UserFactory(username=SCRIPT, name=SCRIPT, email="x@example.com")
    PostFactory(title=SCRIPT, content="", author=UserFactory(username="taro"))

    response = staff_client_with(*BOTH_VIEWS).get(SEARCH, {"q": SCRIPT})

    assert SCRIPT.encode() not in response.content
    # Users: username and name; posts: title; and the query in the heading.
    assert response.content.count(ESCAPED_SCRIPT.encode()) >= 4


def test_search_highlights_matching_words_ignoring_case(staff_client_with):
    PostFactory(title="Hanako's summer trip", author=UserFactory(username="taro"))

    content = staff_client_with(*BOTH_VIEWS).get(SEARCH, {"q": "SUMMER trip"}).content.decode()

    assert "Hanako&#x27;s <mark>summer</mark> <mark>trip</mark>" in content


def test_search_highlight_escapes_text_and_query(staff_client_with):
    PostFactory(title="<b>bold</b> tea", content="", author=UserFactory(username="taro"))

    content = staff_client_with(*BOTH_VIEWS).get(SEARCH, {"q": "<b>bold</b> tea"}).content.decode()

    assert "<mark>&lt;b&gt;bold&lt;/b&gt;</mark> <mark>tea</mark>" in content
    assert "<b>bold" not in content


def test_search_sections_count_and_empty_one_folds_after(staff_client_with):
    PostFactory.create_batch(11, title="kayak", author=UserFactory(username="taro"))

    response = staff_client_with(*BOTH_VIEWS).get(SEARCH, {"q": "kayak"})

    sections = response.context["sections"]
    assert [(s.key, len(s.items), s.more) for s in sections] == [
        ("posts", 10, True),
        ("users", 0, False),
    ]
    content = response.content.decode()
    assert '<span class="count">10+</span>' in content
    assert '<p class="search-empty" id="search-users-heading">' in content
    assert content.index("search-posts-heading") < content.index("search-users-heading")


def test_search_queries_do_not_grow_with_rows(staff_client_with, count_queries):
    client = staff_client_with(*BOTH_VIEWS)
    for _ in range(5):
        PostFactory(title="match", author=UserFactory(name="match"))
    few = count_queries(client, SEARCH, {"q": "match"})
    for _ in range(45):
        PostFactory(title="match", author=UserFactory(name="match"))
    many = count_queries(client, SEARCH, {"q": "match"})

    assert few == many


# Health checks ---------------------------------------------------------------


def test_healthz_answers_without_touching_anything(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get(reverse("healthz"))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    assert response.json() == {"status": "ok"}
    assert "no-cache" in response["Cache-Control"]


def test_readyz_reports_database_and_cache_ok(client):
    response = client.get(reverse("readyz"))

    assert response.status_code == HTTPStatus.OK
    assert response["Content-Type"] == "application/json"
    body = response.json()
    assert body["status"] == "ok"
    assert body["checks"] == {"database": True, "cache": True}
    assert body["failed"] == []
    assert "no-cache" in response["Cache-Control"]


def test_health_checks_need_no_login(client):
    assert client.get("/healthz").status_code == HTTPStatus.OK
    assert client.get("/readyz").status_code == HTTPStatus.OK


# Login and logout ------------------------------------------------------------


@pytest.fixture
def member(db):
    return StaffUserFactory(username="hanako", permissions=["posts.view_post"])


def log_in(client, next_url=None, password=FACTORY_PASSWORD):
    data = {"login": "hanako", "password": password}
    if next_url is not None:
        data["next"] = next_url
    return client.post(LOGIN, data)


def test_login_page_shows_the_form(client):
    response = client.get(LOGIN)

    assert response.status_code == HTTPStatus.OK
    assert b'name="login"' in response.content
    assert b'name="password"' in response.content


def test_login_page_keeps_next(client):
    response = client.get(LOGIN, {"next": "/posts/"})

    assert b'name="next" value="/posts/"' in response.content


def test_login_goes_to_the_dashboard(client, member):
    response = log_in(client)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == HOME
    assert client.get(HOME).status_code == HTTPStatus.OK


def test_login_honours_a_safe_next(client, member):
    response = log_in(client, "/posts/?status=draft")

    assert response.url == "/posts/?status=draft"


@pytest.mark.parametrize(
    "next_url",
    [
        "https://evil.example/",
        "//evil.example/",
        "http://evil.example/posts/",
        "https:evil.example",
        "javascript:alert(1)",
        "\\\\evil.example",
    ],
)
def test_login_ignores_an_unsafe_next(client, member, next_url):
    response = log_in(client, next_url)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == HOME


def test_login_with_wrong_password_shows_an_error(client, member):
    response = log_in(client, password="wrong")

    assert response.status_code == HTTPStatus.OK
    assert response.context["form"].non_field_errors()
    assert "_auth_user_id" not in client.session


def test_deactivated_staff_cannot_log_in(client, member):
    member.is_active = False
    member.save()

    response = log_in(client)

    assert response.status_code == HTTPStatus.OK
    assert "_auth_user_id" not in client.session


def test_logged_in_visit_to_login_goes_to_the_dashboard(staff_client_with):
    response = staff_client_with().get(LOGIN)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == HOME


def test_logout_needs_post(staff_client_with):
    client = staff_client_with()

    response = client.get(LOGOUT)

    assert response.status_code == HTTPStatus.METHOD_NOT_ALLOWED
    assert client.get(HOME).status_code == HTTPStatus.OK


def test_logout_ends_the_session(staff_client_with):
    client = staff_client_with()

    response = client.post(LOGOUT)

    assert response.status_code == HTTPStatus.FOUND
    assert response.url == LOGIN
    assert client.get(HOME).status_code == HTTPStatus.FOUND


def test_pages_offer_logout_as_a_form(staff_client_with):
    response = staff_client_with().get(HOME)

    assert f'<form method="post" action="{LOGOUT}">'.encode() in response.content


# Error pages -----------------------------------------------------------------


def test_unknown_address_shows_the_404_page(staff_client_with):
    response = staff_client_with().get("/no-such-page/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"Page not found" in response.content
    assert f'href="{HOME}"'.encode() in response.content


def test_unknown_address_is_404_for_anonymous_visitors_too(client):
    response = client.get("/no-such-page/")

    assert response.status_code == HTTPStatus.NOT_FOUND
    assert b"Page not found" in response.content


def test_forbidden_page_explains_itself(non_staff_client):
    response = non_staff_client.get(reverse("posts:list"))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert b"You do not have permission to see this page." in response.content


@pytest.mark.urls(__name__)
def test_server_error_shows_the_500_page(staff_client_with, caplog):
    client = staff_client_with()
    client.raise_request_exception = False

    response = client.get("/boom/")

    assert response.status_code == HTTPStatus.INTERNAL_SERVER_ERROR
    assert b"Something went wrong" in response.content
    assert b"A bug in a view" not in response.content
    assert any(record.exc_info for record in caplog.records)


# Highlighting ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "query", "shown"),
    [
        ("Tea and TEA", "tea", "<mark>Tea</mark> and <mark>TEA</mark>"),
        ("a<b>c", "<b>", "a<mark>&lt;b&gt;</mark>c"),
        ("<i>x</i>", "nothing", "&lt;i&gt;x&lt;/i&gt;"),
        ("x & y", "&", "x <mark>&amp;</mark> y"),
        ("plain", "", "plain"),
        ("a.b", ".", "a<mark>.</mark>b"),
        ("週末のハイキング", "ハイキング 週末", "<mark>週末</mark>の<mark>ハイキング</mark>"),
    ],
)
def test_highlight_marks_words_and_escapes_the_rest(text, query, shown):
    assert highlight(text, query) == shown
