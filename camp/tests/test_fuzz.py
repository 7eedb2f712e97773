"""Arbitrary input to every dashboard form and list parameter: never a 5xx, never a partial write.

Hypothesis draws submissions that start from what `from_form` infers for the
form and then replaces or drops some fields with hostile text (NUL bytes,
huge numbers, SQL, unicode); list pages get any mix of their filter
parameters with the same values. Each example runs in a savepoint that is
rolled back after it, so no example sees another's rows; a request answered
with the form again must have written nothing, and a successful one may only
have written the record it was about and its history.
"""

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from http import HTTPStatus
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.contrib.auth.forms import AuthenticationForm
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st
from hypothesis.extra.django import from_form

from camp.tests.test_authz_matrix import ENDPOINTS
from posts.filters import PostFilterSet
from posts.forms import PostForm
from posts.models import Post
from posts.tests.factories import PostFactory
from users.filters import UserFilterSet
from users.forms import UserCreateForm, UserSetPasswordForm, UserUpdateForm
from users.models import User
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db


#: CAMP_FUZZ_SCALE=20 multiplies every example count, for a deeper run by hand.
FUZZ_SCALE = int(os.environ.get("CAMP_FUZZ_SCALE", "1"))


def fuzz(examples: int) -> settings:
    # Fixtures are set up once per test rather than once per example on purpose:
    # every example runs in a savepoint rolled back after it (see `rolled_back`).
    return settings(
        max_examples=examples * FUZZ_SCALE,
        deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


HOSTILE = [
    "",
    " ",
    "\x00",
    "a\x00b",
    "\x00" * 3 + "published",
    "' OR 1=1 --",
    "'; DROP TABLE posts_post; --",
    '" OR ""="',
    "%",
    "%%",
    "_",
    "\\",
    "%_\\'",
    "-",
    "--",
    "-id",
    "pk",
    "password",
    "title,-created",
    "author__password",
    "-author__username",
    "0",
    "-1",
    "00",
    "1.5",
    "1e309",
    "NaN",
    "-inf",
    "9" * 400,
    str(2**63),
    str(-(2**63) - 1),
    str(2**31),
    "\uff11\uff12",  # full-width digits
    "١٢٣",
    "日本語のタイトル",
    "😀" * 50,
    "\u202e\u200b\ufeff",
    "<script>alert(1)</script>",
    "{{ 7|add:7 }}{% now 'Y' %}",
    "2024-02-30",
    "0000-00-00",
    "9999-12-31",
    "99999-01-01",
    "-0001-01-01",
    "1970-01-01T00:00:00+99:00",
    "true",
    "False",
    "unknown",
    "on",
    "1_1",
    "_1",
    "1_",
    "-1_-1",
    f"{10**20}_{10**20}",
    f"{-(10**16)}_1",
    "253402300800000000_1",
    "x" * 5000,
]

#: Just past the usual column sizes (150, 200, 254, 255), and far past them.
OVERSIZED = ["x" * 151, "x" * 201, "x" * 256, "\u3042" * 256, "9" * 400, "x" * 5000]

hostile_text = st.one_of(
    st.sampled_from(HOSTILE),
    st.sampled_from(OVERSIZED),
    st.text(max_size=300),
    st.integers(min_value=-(10**40), max_value=10**40).map(str),
    st.lists(st.sampled_from(HOSTILE), min_size=2, max_size=4).map("".join),
)


def filter_params(filterset_class) -> set[str]:
    """The query parameter names of a FilterSet, range widgets' suffixes included."""
    names = set()
    for name, filter_ in filterset_class.base_filters.items():
        suffixes = getattr(filter_.field.widget, "suffixes", None)
        names.update(f"{name}_{suffix}" for suffix in suffixes) if suffixes else names.add(name)
    return names


LIST_PARAMS = sorted(
    filter_params(UserFilterSet)
    | filter_params(PostFilterSet)
    # Paging, cursors, the login redirect, and names list features commonly read.
    | {"q", "sort", "page", "after", "before", "next", "columns", "view", "per_page", "format"}
)

query_params = st.dictionaries(
    keys=st.one_of(st.sampled_from(LIST_PARAMS), st.sampled_from(HOSTILE)),
    values=st.lists(hostile_text, min_size=1, max_size=3),
    max_size=6,
)

#: Every URL without arguments (lists, search, forms, health, login ...), from the URLconf.
PLAIN_URLS = sorted(
    endpoint.name for endpoint in ENDPOINTS if endpoint.name and not endpoint.kwargs
)

#: Pages that take a POST besides the forms fuzzed one by one: bulk actions, saved views, imports.
FORM_URLS = {"users:create", "users:update", "users:set_password", "posts:create", "posts:update"}
ACTION_URLS = sorted(
    endpoint.name
    for endpoint in ENDPOINTS
    if endpoint.name
    and not endpoint.kwargs
    and endpoint.name not in FORM_URLS | {"login", "logout"}
    and hasattr(getattr(endpoint.view, "view_class", None), "post")
)
#: What those pages read from a POST.
ACTION_FIELDS = [
    "action",
    "ids",
    "scope",
    "query",
    "expected",
    "confirm",
    "name",
    "shared",
    "is_default",
    "view",
    "pending",
]
ACTION_WORDS = ["publish", "archive", "delete", "activate", "deactivate", "selected", "all", "on"]

#: Examples per URL for the list pages, and for every other page.
LIST_EXAMPLES = 50
PAGE_EXAMPLES = 5
FORM_EXAMPLES = 30


class Rollback(Exception):
    pass


@contextmanager
def rolled_back() -> Iterator[None]:
    """Run the block in a savepoint and undo whatever it wrote."""
    try:
        with transaction.atomic():
            yield
            raise Rollback
    except Rollback:
        pass


WATCHED_APPS = {"users", "posts", "auth"}


def snapshot() -> dict[str, list[dict]]:
    rows = {}
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.app_label in WATCHED_APPS and not meta.proxy and meta.managed:
            rows[meta.label] = list(model._default_manager.order_by("pk").values())
    # A user's post count follows their posts (database triggers): a write to
    # posts moves it without the form writing to users.
    for row in rows.get("users.User", []):
        row.pop("post_count", None)
    return rows


def changed_tables(before: dict, after: dict) -> set[str]:
    return {label for label in before if before[label] != after[label]}


def submissions(form_strategy: st.SearchStrategy, fields: list[str]) -> st.SearchStrategy[dict]:
    """What from_form makes for a form, with some fields replaced by hostile text or dropped."""
    spoilt = st.dictionaries(
        keys=st.sampled_from(fields), values=st.none() | hostile_text, max_size=len(fields)
    )

    def merge(parts: tuple) -> dict:
        form, overrides = parts
        data = {name: value for name, value in form.data.items() if value is not None}
        for name, value in overrides.items():
            if value is None:
                data.pop(name, None)
            else:
                data[name] = value
        # The test client sends False as "False", which a checkbox reads as unticked.
        return data

    return st.tuples(form_strategy, st.one_of(st.just({}), spoilt)).map(merge)


def with_matching_passwords(first: str, second: str) -> Callable[[dict], dict]:
    """Sometimes make the confirmation equal the password, so that some submissions pass."""

    def copy(data: dict) -> dict:
        if first in data and data.get("__same__"):
            data[second] = data[first]
        data.pop("__same__", None)
        return data

    return copy


def same_flag(strategy: st.SearchStrategy[dict]) -> st.SearchStrategy[dict]:
    return st.tuples(strategy, st.booleans()).map(lambda pair: {**pair[0], "__same__": pair[1]})


@pytest.fixture
def fast_hashing(settings):
    # Every failed login hashes the password once; PBKDF2 would make that 0.3 s an example.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def superuser_client(fast_hashing, reauthenticate, settings) -> Client:
    client = Client()
    client.user = StaffUserFactory(is_superuser=True, username="fuzz-admin")
    client.force_login(client.user)
    # Having just given the password again, for as long as the examples take.
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 24 * 3600
    reauthenticate(client, client.user)
    return client


@pytest.fixture
def some_records() -> dict:
    """A few users and posts, so filters, sorting and pages have rows to work on."""
    authors = [UserFactory(username=name) for name in ("alice", "bob", "Ünïcode", "日本")]
    posts = [
        PostFactory(author=authors[i % len(authors)], status=status)
        for i, status in enumerate(Post.Status.values * 2)
    ]
    return {"authors": authors, "posts": posts}


def post_and_check(
    client: Client,
    url: str,
    data: dict,
    *,
    writes: set[str],
    on_success: Callable[[dict, dict], None] | None = None,
) -> None:
    """Submit `data`; a form error must leave the database as it was."""
    before = snapshot()
    with rolled_back():
        response = client.post(url, data)
        status = response.status_code
        event(f"HTTP {status}")  # --hypothesis-show-statistics: how many got through
        assert status < 500, (status, data)
        after = snapshot()
        if status == HTTPStatus.FOUND:
            assert urlsplit(response["Location"]).path != reverse("login"), "logged out"
            assert changed_tables(before, after) <= writes, (changed_tables(before, after), data)
            if on_success:
                on_success(before, after)
        else:
            assert status in (HTTPStatus.OK, HTTPStatus.BAD_REQUEST), (status, data)
            assert after == before, ("a refused submission wrote", data)


def one_more(label: str) -> Callable[[dict, dict], None]:
    def check(before: dict, after: dict) -> None:
        assert len(after[label]) == len(before[label]) + 1

    return check


def same_count(label: str) -> Callable[[dict, dict], None]:
    def check(before: dict, after: dict) -> None:
        assert len(after[label]) == len(before[label])

    return check


#: A post's searchable copy (PostSearch) is written by triggers with the post.
POST_TABLES = {"posts.Post", "posts.PostSearch", "posts.HistoricalPost"}
USER_TABLES = {"users.User", "users.HistoricalUser"}


# Forms -----------------------------------------------------------------------


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_post_create_form_survives_any_input(superuser_client, some_records, data):
    usernames = [user.username for user in some_records["authors"]]
    form = from_form(PostForm, author=st.sampled_from(usernames) | hostile_text)
    submission = data.draw(submissions(form, ["title", "content", "status", "author", "version"]))

    post_and_check(
        superuser_client,
        reverse("posts:create"),
        submission,
        writes=POST_TABLES,
        on_success=one_more("posts.Post"),
    )


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_post_update_form_survives_any_input(superuser_client, some_records, data):
    post = some_records["posts"][0]
    usernames = [user.username for user in some_records["authors"]]
    form = from_form(
        PostForm,
        form_kwargs={"instance": post},
        author=st.sampled_from(usernames) | hostile_text,
        version=st.just(post.version) | st.integers(),
    )
    submission = data.draw(submissions(form, ["title", "content", "status", "author", "version"]))

    post_and_check(
        superuser_client,
        reverse("posts:update", args=[post.pk]),
        submission,
        writes=POST_TABLES,
        on_success=same_count("posts.Post"),
    )


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_user_create_form_survives_any_input(superuser_client, some_records, data):
    fields = ["username", "email", "name", "is_staff", "password1", "password2"]
    form = from_form(UserCreateForm)
    submission = data.draw(
        same_flag(submissions(form, fields)).map(with_matching_passwords("password1", "password2"))
    )

    post_and_check(
        superuser_client,
        reverse("users:create"),
        submission,
        writes=USER_TABLES,
        on_success=one_more("users.User"),
    )


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_user_update_form_survives_any_input(superuser_client, some_records, data):
    profile = some_records["authors"][0]
    form = from_form(
        UserUpdateForm,
        form_kwargs={"instance": profile},
        version=st.just(profile.version) | st.integers(),
    )
    fields = ["username", "email", "name", "is_staff", "version"]
    submission = data.draw(submissions(form, fields))

    post_and_check(
        superuser_client,
        reverse("users:update", args=[profile.pk]),
        submission,
        writes=USER_TABLES,
        on_success=same_count("users.User"),
    )


@fuzz(FORM_EXAMPLES)
@given(data=st.data())
def test_user_set_password_form_survives_any_input(superuser_client, some_records, data):
    # Another user's password: changing the fuzzing admin's own would end its session.
    profile = some_records["authors"][1]
    form = from_form(UserSetPasswordForm, form_kwargs={"user": profile})
    fields = ["new_password1", "new_password2"]
    submission = data.draw(
        same_flag(submissions(form, fields)).map(
            with_matching_passwords("new_password1", "new_password2")
        )
    )

    def password_changed(before: dict, after: dict) -> None:
        old = {row["id"]: row["password"] for row in before["users.User"]}
        new = {row["id"]: row["password"] for row in after["users.User"]}
        assert {pk for pk in old if old[pk] != new[pk]} == {profile.pk}

    post_and_check(
        superuser_client,
        reverse("users:set_password", args=[profile.pk]),
        submission,
        writes=USER_TABLES,
        on_success=password_changed,
    )


@pytest.fixture
def anonymous_client() -> Client:
    # One client for all examples: each new one loads the middleware (and so
    # WhiteNoise's scan of the static files) again.
    return Client()


@pytest.fixture
def login_user() -> User:
    return UserFactory(username="fuzz-login", is_staff=True)


#: Uploads that get past decoding: a header, then rows good and bad.
CSV_UPLOADS = [
    b"title,content,status,author\r\nHello,x,draft,alice\r\n\x00,\xff,nope,nobody\r\n",
    "username,email,name\r\nfuzz-new,fuzz-new@example.com,\u65e5\u672c\r\n".encode(),
    "username,email\r\n=1+1,@\r\n".encode("cp932"),
    b"\xef\xbb\xbftitle\r\n" + b"x" * 300 + b"\r\n",
]


LOGIN_SUBMISSIONS = submissions(
    from_form(
        AuthenticationForm,
        username=st.sampled_from(["fuzz-login", "FUZZ-LOGIN", "nobody"]) | hostile_text,
    ),
    ["username", "password"],
    # allauth's login form names the field "login"; Django's form generates the values.
).map(lambda data: {("login" if name == "username" else name): v for name, v in data.items()})


@fuzz(FORM_EXAMPLES)
@given(submission=LOGIN_SUBMISSIONS)
@example(submission={"login": "x" * 256, "password": "x"})
@example(submission={"login": "fuzz-login\x00", "password": "x"})
def test_login_form_survives_any_input(fast_hashing, login_user, anonymous_client, submission):
    client = anonymous_client
    client.cookies.clear()

    before = snapshot()
    with rolled_back():
        response = client.post(reverse("login"), submission)
        assert response.status_code < 500, (response.status_code, submission)
        # A wrong password may lock the account out (429); it must not change any record.
        if response.status_code != HTTPStatus.FOUND:
            assert snapshot() == before, ("a failed login wrote", submission)


# Query parameters -------------------------------------------------------------


def get_and_check(client: Client, url: str, params: dict) -> None:
    before = snapshot()
    with rolled_back():
        response = client.get(url, params)
        assert response.status_code < 500, (response.status_code, url, params)
        assert snapshot() == before, ("a GET wrote", url, params)


@pytest.mark.parametrize("name", ["users:list", "posts:list"])
@fuzz(LIST_EXAMPLES)
@given(params=query_params)
def test_list_survives_any_query(superuser_client, some_records, name, params):
    get_and_check(superuser_client, reverse(name), params)


@pytest.mark.parametrize("name", PLAIN_URLS)
@fuzz(PAGE_EXAMPLES)
@given(params=query_params)
def test_page_survives_any_query(superuser_client, some_records, name, params):
    get_and_check(superuser_client, reverse(name), params)


@pytest.mark.parametrize("name", ["users:detail", "posts:detail"])
@fuzz(PAGE_EXAMPLES)
@given(params=query_params)
def test_detail_survives_any_query(superuser_client, some_records, name, params):
    record = some_records["authors" if name.startswith("users") else "posts"][0]

    get_and_check(superuser_client, reverse(name, args=[record.pk]), params)


@pytest.mark.parametrize("name", ACTION_URLS)
@fuzz(PAGE_EXAMPLES)
@given(data=st.data())
def test_list_action_survives_any_post(superuser_client, some_records, name, data):
    ids = [str(r.pk) for r in some_records["posts"] + some_records["authors"]]
    value = hostile_text | st.sampled_from(ACTION_WORDS + ids)
    fields = data.draw(
        st.dictionaries(
            st.sampled_from(ACTION_FIELDS), st.lists(value, min_size=1, max_size=3), max_size=8
        )
    )
    upload = data.draw(st.none() | st.binary(max_size=2000) | st.sampled_from(CSV_UPLOADS))
    if upload is not None:
        fields["file"] = SimpleUploadedFile("fuzz.csv", upload, content_type="text/csv")

    with rolled_back():
        response = superuser_client.post(reverse(name), fields)
        event(f"HTTP {response.status_code}")
        assert response.status_code < 500, (response.status_code, name, fields)
