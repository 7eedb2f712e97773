"""Every URL, role and method answers as the access rules say; a refused request changes nothing.

The cases are generated from the URLconf, so a URL is covered the moment it is
added, and fail until ENTRY (or PUBLIC) says who may use it. Public URLs are
listed in PUBLIC; every other URL must be served by a StaffRequiredMixin view,
and ENTRY states, independently of what the view declares, which roles get in:
anonymous visitors go to the login page, everybody else who falls short gets
403, for GET and POST alike. The roles include partial ones (view only, change
without view, add without change), so a view requiring the wrong permission
shows up as a wrong answer for one of them. The ids that fill URL arguments
come from KWARG_RECORDS; a URL with an argument it does not know fails with a
message saying what to add.
"""

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, models, transaction
from django.test import Client, override_settings
from django.urls import URLResolver, get_resolver, reverse
from django.urls.resolvers import RegexPattern, RoutePattern

from camp.jobs.models import Job, JobFile
from camp.records.mixins import StaffRequiredMixin
from posts.models import Post
from posts.tests.factories import PostFactory
from users.models import User
from users.tests.factories import UserFactory

pytestmark = pytest.mark.django_db

GET, POST = "GET", "POST"
METHODS = (GET, POST)

# Django admin has its own permission system and tests; set_language is open to all.
SKIPPED_ROUTES = ("admin/", "i18n/")

#: Public URLs: the statuses each role may get, by method; "*" is every role not named.
PUBLIC: dict[str, dict[tuple[str, str], set[int]]] = {
    "login": {
        ("anonymous", GET): {HTTPStatus.OK},
        ("anonymous", POST): {HTTPStatus.OK},
        # redirect_authenticated_user: a logged-in visitor is sent on.
        ("*", GET): {HTTPStatus.FOUND},
        ("*", POST): {HTTPStatus.FOUND},
    },
    "logout": {
        ("*", GET): {HTTPStatus.METHOD_NOT_ALLOWED},
        ("*", POST): {HTTPStatus.FOUND},
    },
    "healthz": {
        ("*", GET): {HTTPStatus.OK},
        ("*", POST): {HTTPStatus.OK, HTTPStatus.METHOD_NOT_ALLOWED},
    },
    "readyz": {
        ("*", GET): {HTTPStatus.OK},
        ("*", POST): {HTTPStatus.OK, HTTPStatus.METHOD_NOT_ALLOWED},
    },
    # Superusers only, unless the address is allow-listed (see test_metrics_*).
    "metrics": {
        ("superuser", GET): {HTTPStatus.OK},
        ("superuser", POST): {HTTPStatus.OK, HTTPStatus.METHOD_NOT_ALLOWED},
        ("*", GET): {HTTPStatus.FORBIDDEN},
        ("*", POST): {HTTPStatus.FORBIDDEN},
    },
}

#: The account pages before login (django-allauth's "entrance"): anyone may open
#: them. A logged-in visitor is sent on (302), a made-up emailed link answers
#: 404 or a "bad link" page, and a page that only shows something refuses POST (405).
ENTRANCE_STATUSES = {
    HTTPStatus.OK,
    HTTPStatus.FOUND,
    HTTPStatus.NOT_FOUND,
    HTTPStatus.METHOD_NOT_ALLOWED,
}
ENTRANCE = (
    "account_login",
    "account_logout",
    "account_inactive",
    "account_signup",
    "account_reset_password",
    "account_reset_password_done",
    "account_reset_password_from_key",
    "account_reset_password_from_key_done",
    "account_confirm_email",
    "account_email_verification_sent",
    "account_confirm_login_code",
    "mfa_authenticate",
    "mfa_login_webauthn",
)
for _name in ENTRANCE:
    PUBLIC[_name] = {("*", GET): ENTRANCE_STATUSES, ("*", POST): ENTRANCE_STATUSES}

#: The pages where a member looks after their own account (password, email,
#: second factors, sessions): any logged-in member, staff or not, may use them,
#: since they touch nobody else's account; anonymous visitors go to the login.
#: Those that need a fresh password or code first send the member there (302);
#: one about a second factor the member has not set up answers 404.
OWN_ACCOUNT = (
    "account_reauthenticate",
    "account_request_reauthentication_code",
    "account_confirm_reauthentication_code",
    "account_email",
    "account_change_password",
    "account_set_password",
    "mfa_index",
    "mfa_reauthenticate",
    "mfa_activate_totp",
    "mfa_deactivate_totp",
    "mfa_view_recovery_codes",
    "mfa_generate_recovery_codes",
    "mfa_download_recovery_codes",
    "mfa_list_webauthn",
    "mfa_add_webauthn",
    "mfa_reauthenticate_webauthn",
    "mfa_edit_webauthn",
    "mfa_remove_webauthn",
    "usersessions_list",
    "usersessions_end",
)
OWN_ACCOUNT_STATUSES = ENTRANCE_STATUSES

ALLOWED_GET = {HTTPStatus.OK, HTTPStatus.FOUND, HTTPStatus.METHOD_NOT_ALLOWED}
ALLOWED_POST = {
    HTTPStatus.OK,
    HTTPStatus.FOUND,
    HTTPStatus.BAD_REQUEST,
    HTTPStatus.METHOD_NOT_ALLOWED,
}

MODEL_PERMISSIONS = tuple(
    f"{app}.{action}_{model}"
    for app, model in (("users", "user"), ("posts", "post"))
    for action in ("view", "add", "change", "delete")
)

#: Who asks: the fields of the logged-in user, None for an anonymous visitor.
ROLES: dict[str, dict | None] = {
    "anonymous": None,
    # Every model permission, but not staff: is_staff alone must keep them out.
    "non-staff": {"is_staff": False, "permissions": MODEL_PERMISSIONS},
    "staff": {"is_staff": True},
    "viewer": {"is_staff": True, "permissions": ("users.view_user", "posts.view_post")},
    # Change without view: may edit, may not browse.
    "changer": {"is_staff": True, "permissions": ("users.change_user", "posts.change_post")},
    # Add without change: may create and restore, may not edit or import.
    "adder": {"is_staff": True, "permissions": ("users.add_user", "posts.add_post")},
    "superuser": {"is_staff": True, "is_superuser": True},
}

EVERY_STAFF = frozenset({"staff", "viewer", "changer", "adder"})

#: Who gets past the door of each private URL, by URL name: stated here, not read
#: from the view. The superuser gets in everywhere; anonymous visitors are sent to
#: log in; every other role gets 403. A dict gives the roles per method.
ENTRY: dict[str, frozenset[str] | dict[str, frozenset[str]]] = {
    "home": EVERY_STAFF,
    "search": EVERY_STAFF,
    "users:list": frozenset({"viewer"}),
    "users:create": frozenset({"adder"}),
    # The post form's author box asks it too.
    "users:autocomplete": frozenset({"viewer", "changer", "adder"}),
    "users:bulk": frozenset({"changer"}),
    "users:export_csv": frozenset({"viewer"}),
    "users:export_xlsx": frozenset({"viewer"}),
    # An import both creates and changes: it needs both permissions.
    "users:import": frozenset(),
    "users:import_confirm": frozenset(),
    "users:views": frozenset({"viewer"}),
    "users:view_change": frozenset({"viewer"}),
    "users:view_remove": frozenset({"viewer"}),
    "users:detail": frozenset({"viewer"}),
    "users:update": frozenset({"changer"}),
    "users:set_password": frozenset({"changer"}),
    "users:activate": frozenset({"changer"}),
    "users:deactivate": frozenset({"changer"}),
    "users:delete": frozenset(),
    "posts:list": frozenset({"viewer"}),
    "posts:create": frozenset({"adder"}),
    # In for publish and archive; the matrix posts "delete", which needs delete_post.
    "posts:bulk": {GET: frozenset({"changer"}), POST: frozenset()},
    "posts:export_csv": frozenset({"viewer"}),
    "posts:export_xlsx": frozenset({"viewer"}),
    "posts:import": frozenset(),
    "posts:import_confirm": frozenset(),
    "posts:views": frozenset({"viewer"}),
    "posts:view_change": frozenset({"viewer"}),
    "posts:view_remove": frozenset({"viewer"}),
    "posts:deleted": frozenset({"viewer"}),
    # Restoring brings a post back: adding, not changing.
    "posts:restore": frozenset({"adder"}),
    # Restoring several at once: the same permission as one.
    "posts:bulk_restore": frozenset({"adder"}),
    "posts:detail": frozenset({"viewer"}),
    "posts:update": frozenset({"changer"}),
    # Publish, archive, back to draft from the post's page.
    "posts:set_status": frozenset({"changer"}),
    "posts:delete": frozenset(),
    # The audit log is for superusers alone, whatever else a member holds.
    "audit:list": frozenset(),
    "audit:export_csv": frozenset(),
    # Every staff member has jobs of their own; someone else's answer 404 (OWNED_NAMESPACES).
    "jobs:list": EVERY_STAFF,
    "jobs:detail": EVERY_STAFF,
    "jobs:cancel": EVERY_STAFF,
    "jobs:file": EVERY_STAFF,
    "notifications:list": EVERY_STAFF,
    "notifications:read": EVERY_STAFF,
}

# Apps whose rows a request may legitimately write without changing any record.
# usersessions records each session's address, client and last activity.
UNWATCHED_APPS = {"sessions", "contenttypes", "axes", "usersessions"}

PASSWORD = "Matrix-intruder-password-1"


@dataclass(frozen=True)
class Records:
    """What the URLs point at: a user, a post, the deletion record of another post, a job."""

    user: User
    post: Post
    deletion: models.Model
    #: The user's background job: anyone else but a superuser is told it does not exist.
    job: Job


#: Which record's id fills a URL argument, by (URL name, argument) or (namespace, argument).
KWARG_RECORDS: dict[tuple[str, str], Callable[[Records], int | str]] = {
    ("users", "pk"): lambda r: r.user.pk,
    ("posts", "pk"): lambda r: r.post.pk,
    ("posts", "history_id"): lambda r: r.deletion.history_id,
    ("jobs", "pk"): lambda r: r.job.pk,
    # The links allauth mails: a made-up one answers like a stale one.
    ("account_confirm_email", "key"): lambda r: "not-a-key",
    ("account_reset_password_from_key", "uidb36"): lambda r: "0",
    ("account_reset_password_from_key", "key"): lambda r: "not-a-key",
    # Someone else's session (the matrix's members hold none of their own): 404.
    ("usersessions_end", "pk"): lambda r: 0,
    # Someone else's passkey (the matrix's members hold none of their own): 404.
    ("mfa_edit_webauthn", "pk"): lambda r: 0,
    ("mfa_remove_webauthn", "pk"): lambda r: 0,
}

#: Namespaces of records only their owner (and superusers) may see: 404 for everyone else.
OWNED_NAMESPACES = {"jobs", "notifications"}


@dataclass(frozen=True)
class Endpoint:
    route: str
    name: str | None
    namespace: str
    kwargs: tuple[str, ...]
    regex: bool
    view: Callable

    @property
    def label(self) -> str:
        return self.name or f"/{self.route}"

    def url(self, records: Records) -> str:
        values = {kwarg: self._value(kwarg, records) for kwarg in self.kwargs}
        if self.name:
            return reverse(self.name, kwargs=values)
        if self.regex:
            pytest.fail(f"{self.label} is an unnamed re_path(): give it a name to be tested.")
        return "/" + re.sub(r"<(?:\w+:)?(\w+)>", lambda match: str(values[match[1]]), self.route)

    def _value(self, kwarg: str, records: Records) -> int | str:
        for key in ((self.name, kwarg), (self.namespace, kwarg)):
            if key in KWARG_RECORDS:
                return KWARG_RECORDS[key](records)
        pytest.fail(
            f"{self.label} takes <{kwarg}>, which {__name__} does not know how to fill: "
            f"add ({self.name or self.namespace!r}, {kwarg!r}) to KWARG_RECORDS, naming the "
            "record whose id it takes (add the record to Records if needed)."
        )


def _kwarg_names(pattern) -> tuple[str, ...]:
    if isinstance(pattern, RoutePattern):
        return tuple(pattern.converters)
    if isinstance(pattern, RegexPattern):
        return tuple(pattern.regex.groupindex)
    raise TypeError(f"unknown URL pattern type {type(pattern).__name__}")


def walk(
    patterns, prefix: str = "", namespaces: tuple[str, ...] = (), kwargs: tuple[str, ...] = ()
) -> Iterator[Endpoint]:
    """Yield every URL of the URLconf outside SKIPPED_ROUTES."""
    for entry in patterns:
        route = prefix + str(entry.pattern)
        if route.startswith(SKIPPED_ROUTES):
            continue
        names = kwargs + _kwarg_names(entry.pattern)
        regex = isinstance(entry.pattern, RegexPattern)
        if isinstance(entry, URLResolver):
            inner = (*namespaces, entry.namespace) if entry.namespace else namespaces
            for endpoint in walk(entry.url_patterns, route, inner, names):
                yield replace(endpoint, regex=True) if regex else endpoint
        else:
            yield Endpoint(
                route=route,
                name=":".join((*namespaces, entry.name)) if entry.name else None,
                namespace=":".join(namespaces),
                kwargs=names,
                regex=regex,
                view=entry.callback,
            )


ENDPOINTS = list(walk(get_resolver().url_patterns))


def watched_tables() -> list[str]:
    tables = []
    for model in apps.get_models(include_auto_created=True):
        meta = model._meta
        if meta.app_label not in UNWATCHED_APPS and not meta.proxy and meta.managed:
            tables.append(meta.db_table)
    return sorted(set(tables))


def snapshot() -> dict[str, str]:
    """A digest of every row of every table a request could change, in one query."""
    quote = connection.ops.quote_name
    digest = "md5(coalesce(string_agg(t::text, '|' ORDER BY t::text), ''))"
    # Table names come from the app registry, quoted.
    sql = " UNION ALL ".join(
        f"SELECT %s, {digest} FROM {quote(table)} t"  # noqa: S608
        for table in watched_tables()
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, watched_tables())
        return dict(cursor.fetchall())


def changed_tables(before: dict[str, str], after: dict[str, str]) -> list[str]:
    return sorted(table for table in before if before[table] != after[table])


def make_records() -> Records:
    author = UserFactory()
    gone = PostFactory(author=author)
    gone_id = gone.pk
    gone.delete()
    job = Job.objects.create(kind="posts.xlsx", owner=author, label="Export", state="done")
    file = JobFile.objects.create(job=job, name="posts.xlsx", content_type="text/plain", size=1)
    file.chunks.create(seq=0, data=b"x")
    return Records(
        user=author,
        post=PostFactory(author=author),
        deletion=Post.history.get(id=gone_id, history_type="-"),
        job=job,
    )


@dataclass(frozen=True)
class World:
    records: Records
    #: Each role's user (AnonymousUser for "anonymous") and session cookie ("" for none).
    members: dict[str, tuple]
    # One client for every test: a new one loads the middleware again, and
    # WhiteNoise's start-up scan of the static files would dominate the run.
    client: Client


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker) -> Iterator[World]:
    """Records and a logged-in session per role, made once and rolled back after the module.

    Each test runs in a savepoint inside this transaction (pytest-django's `db`
    fixture), so whatever one request writes is gone before the next test.
    """
    with django_db_blocker.unblock(), transaction.atomic():
        members = {}
        for role, fields in ROLES.items():
            if fields is None:
                members[role] = (AnonymousUser(), "")
                continue
            client = Client()
            client.force_login(user := UserFactory(**fields))
            members[role] = (user, client.cookies[settings.SESSION_COOKIE_NAME].value)
        yield World(records=make_records(), members=members, client=Client())
        transaction.set_rollback(True)


def client_for(world: World, role: str) -> Client:
    client = world.client
    client.cookies.clear()
    client.user, session = world.members[role]
    if session:
        client.cookies[settings.SESSION_COOKIE_NAME] = session
    return client


def payload(endpoint: Endpoint, records: Records) -> dict:
    """A POST body that would change something on any of the forms if it got through."""
    target = records.user if endpoint.namespace == "users" else records.post
    csv = (
        "username,email,name,title,content,status,author\r\n"
        f"matrix-import,matrix-import@example.com,Imported,Imported,x,draft,{records.user}\r\n"
    )
    return {
        "title": "Changed by the matrix",
        "content": "Changed by the matrix",
        "status": Post.Status.ARCHIVED,
        "author": records.user.username,
        "username": "matrix-intruder",
        "email": "matrix-intruder@example.com",
        "name": "Matrix Intruder",
        "is_staff": "on",
        "is_superuser": "on",
        "password": PASSWORD,
        "password1": PASSWORD,
        "password2": PASSWORD,
        "new_password1": PASSWORD,
        "new_password2": PASSWORD,
        "version": target.version,
        # Bulk actions, confirmed; saved views; imports.
        "action": "deactivate" if endpoint.namespace == "users" else "delete",
        "ids": [target.pk],
        "scope": "selected",
        "expected": 1,
        "confirm": "on",
        "shared": "on",
        "is_default": "on",
        "file": SimpleUploadedFile("matrix.csv", csv.encode(), content_type="text/csv"),
    }


def view_setting(func, view_class, name: str):
    """A view attribute as the URLconf configured it: as_view() arguments win."""
    return getattr(func, "view_initkwargs", {}).get(name, getattr(view_class, name, None))


def public_statuses(name: str, role: str, method: str) -> set[int]:
    table = PUBLIC[name]
    return table.get((role, method)) or table[("*", method)]


def entering_roles(endpoint: Endpoint, method: str) -> frozenset[str]:
    if endpoint.name not in ENTRY:
        pytest.fail(
            f"{endpoint.label} is not in ENTRY: say which roles may use it "
            "(or list its statuses in PUBLIC if it is public)."
        )
    roles = ENTRY[endpoint.name]
    return (roles[method] if isinstance(roles, dict) else roles) | {"superuser"}


def assert_login_redirect(response, url: str) -> None:
    assert response.status_code == HTTPStatus.FOUND, response.status_code
    location = urlsplit(response["Location"])
    assert location.path == reverse("login"), response["Location"]
    assert parse_qs(location.query).get("next") == [url], response["Location"]


CASES = [
    pytest.param(endpoint, role, method, id=f"{endpoint.label}-{role}-{method}")
    for endpoint in ENDPOINTS
    for role in ROLES
    for method in METHODS
]


@pytest.mark.parametrize(("endpoint", "role", "method"), CASES)
def test_access(endpoint: Endpoint, role: str, method: str, world: World, db):
    url = endpoint.url(world.records)
    client = client_for(world, role)
    before = snapshot()

    if method == GET:
        response = client.get(url)
    else:
        response = client.post(url, payload(endpoint, world.records))

    status = response.status_code
    assert status < 500, f"{method} {url} as {role}: {status}"
    if endpoint.name in PUBLIC:
        expected = public_statuses(endpoint.name, role, method)
        assert status in expected, f"{method} {url} as {role}: {status}, expected {expected}"
        refused = status == HTTPStatus.FORBIDDEN
    elif endpoint.name in OWN_ACCOUNT:
        if role == "anonymous":
            assert_login_redirect(response, url)
        else:
            assert status in OWN_ACCOUNT_STATUSES, f"{method} {url} as {role}: {status}"
        refused = role == "anonymous"
    else:
        if role == "anonymous":
            assert_login_redirect(response, url)
            refused = True
        elif role not in entering_roles(endpoint, method):
            assert status == HTTPStatus.FORBIDDEN, (
                f"{method} {url} as {role}: {status}, expected 403"
            )
            refused = True
        else:
            allowed = ALLOWED_GET if method == GET else ALLOWED_POST
            owned = endpoint.namespace in OWNED_NAMESPACES and endpoint.kwargs
            if owned and not client.user.is_superuser:
                # Someone else's record: only a superuser may see it.
                allowed = {HTTPStatus.NOT_FOUND, HTTPStatus.METHOD_NOT_ALLOWED}
            assert status in allowed, (
                f"{method} {url} as {role}: {status}, expected one of {sorted(allowed)} "
                "(a 404 may mean KWARG_RECORDS fills an argument with the wrong record's id)"
            )
            refused = False
    if refused:
        changed = changed_tables(before, snapshot())
        assert not changed, f"refused {method} {url} as {role} changed {changed}"


#: The CRUD URL names of STYLE.md, and the permission action each one's view must require.
CRUD_ACTIONS = {
    "list": "view",
    "detail": "view",
    "create": "add",
    "update": "change",
    "delete": "delete",
}


@pytest.mark.parametrize(
    "endpoint",
    # Owned records are scoped to their owner (any staff member), not by a model permission.
    [
        e
        for e in ENDPOINTS
        if e.name
        and e.name.rpartition(":")[2] in CRUD_ACTIONS
        and e.namespace not in OWNED_NAMESPACES
    ],
    ids=lambda endpoint: endpoint.label,
)
def test_crud_view_requires_the_permission_its_name_implies(endpoint: Endpoint):
    # The matrix trusts permission_required; this keeps a write view from declaring view_.
    namespace, _, action = endpoint.name.rpartition(":")
    required = view_setting(endpoint.view, endpoint.view.view_class, "permission_required")
    required = (required,) if isinstance(required, str) else tuple(required)

    assert required, f"{endpoint.label} requires no permission"
    for permission in required:
        app_label, _, codename = permission.partition(".")
        assert app_label == namespace, f"{endpoint.label} requires {permission}"
        assert codename.startswith(f"{CRUD_ACTIONS[action]}_"), (
            f"{endpoint.label} requires {permission}"
        )


@pytest.mark.parametrize(
    "endpoint",
    # A member's own account pages need a login, not staff: test_access covers them.
    [e for e in ENDPOINTS if e.name not in PUBLIC and e.name not in OWN_ACCOUNT],
    ids=lambda endpoint: endpoint.label,
)
def test_every_private_url_is_behind_the_staff_check(endpoint: Endpoint):
    view_class = getattr(endpoint.view, "view_class", None)

    assert view_class is not None and issubclass(view_class, StaffRequiredMixin), (
        f"{endpoint.label} is not served by a StaffRequiredMixin view: protect it, "
        "or list its statuses in PUBLIC."
    )


def test_entry_names_only_urls_that_exist():
    names = {endpoint.name for endpoint in ENDPOINTS}

    assert set(ENTRY) <= names, set(ENTRY) - names


def test_the_matrix_sees_every_app():
    names = {endpoint.name for endpoint in ENDPOINTS}

    assert {
        "home",
        "login",
        "users:list",
        "users:update",
        "posts:list",
        "posts:restore",
        "audit:list",
        "audit:export_csv",
    } <= names
    assert {"mfa_index", "account_reset_password", "usersessions_list"} <= names
    assert not any(endpoint.route.startswith(SKIPPED_ROUTES) for endpoint in ENDPOINTS)


def test_every_public_url_in_the_table_exists():
    names = {endpoint.name for endpoint in ENDPOINTS}

    assert set(PUBLIC) <= names, set(PUBLIC) - names


@override_settings(METRICS_ALLOWED_IPS=["127.0.0.1"])
def test_metrics_answer_an_allow_listed_scraper_without_login(client):
    response = client.get(reverse("metrics"), REMOTE_ADDR="127.0.0.1")

    assert response.status_code == HTTPStatus.OK


@override_settings(METRICS_ALLOWED_IPS=["10.0.0.7"])
def test_metrics_refuse_an_address_that_is_not_allow_listed(client):
    response = client.get(reverse("metrics"), REMOTE_ADDR="127.0.0.1")

    assert response.status_code == HTTPStatus.FORBIDDEN
