"""Each security event is recorded through the path that causes it: who, when, from where, what."""

from datetime import timedelta
from http import HTTPStatus
from types import SimpleNamespace

import pytest
from allauth.account import signals as account_signals
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_login_failed
from django.contrib.sessions.backends.cached_db import SessionStore
from django.core.files.uploadedfile import SimpleUploadedFile
from django.dispatch import Signal
from django.forms import CheckboxInput, MultiWidget
from django.test import RequestFactory, override_settings
from django.urls import resolve, reverse
from django.utils import timezone

from camp.audit import receivers
from camp.audit.models import AuditEvent
from camp.jobs.services import job_run
from conftest import preview_import
from posts.tests.factories import PostFactory
from users.models import User
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

Event = AuditEvent.Event
PASSWORD = "camp-test-password"
ADDRESS = "203.0.113.7"
CLIENT = "AuditTest/1.0 (X11; Linux)"
#: What a browser sends along with each request of these tests.
FROM_CLIENT = {"REMOTE_ADDR": ADDRESS, "HTTP_USER_AGENT": CLIENT}


def only(event: str, **filters) -> AuditEvent:
    """The one event of this kind (matching `filters`) the test caused."""
    events = list(AuditEvent.objects.filter(event=event, **filters))
    assert len(events) == 1, [(e.event, e.actor_username, e.target_repr) for e in events]
    return events[0]


def assert_from_client(event: AuditEvent) -> None:
    assert event.ip_address == ADDRESS
    assert event.user_agent == CLIENT
    assert timezone.is_aware(event.created_at)
    assert timezone.now() - timedelta(minutes=5) < event.created_at <= timezone.now()


def log_in(client, user, password=PASSWORD, **extra):
    return client.post(
        reverse("login"), {"login": user.username, "password": password}, **FROM_CLIENT, **extra
    )


# Logging in and out ----------------------------------------------------------


def test_login_is_recorded_with_who_address_and_client(client):
    member = StaffUserFactory()

    response = log_in(client, member)

    assert response.status_code == HTTPStatus.FOUND
    event = only(Event.LOGIN)
    assert (event.actor, event.actor_username) == (member, member.username)
    assert (event.target_type, event.target_id) == ("users.user", str(member.pk))
    assert_from_client(event)


def test_login_address_comes_from_the_trusted_proxy_only(client):
    member = StaffUserFactory()

    with override_settings(TRUSTED_PROXY_COUNT=1):
        log_in(client, member, HTTP_X_FORWARDED_FOR="10.9.9.9, 198.51.100.4")

    # The entry the one trusted proxy appended, not the one the client claimed.
    assert only(Event.LOGIN).ip_address == "198.51.100.4"


def test_logout_is_recorded(client):
    member = StaffUserFactory()
    log_in(client, member)

    client.post(reverse("logout"), **FROM_CLIENT)

    event = only(Event.LOGOUT)
    assert event.actor == member
    assert_from_client(event)


def test_failed_login_is_recorded_against_the_account(client):
    member = StaffUserFactory()

    log_in(client, member, password="not-the-password-9")

    event = only(Event.LOGIN_FAILED)
    assert event.actor is None
    assert (event.target_id, event.target_repr) == (str(member.pk), member.username)
    assert event.details == {"known_account": True}
    assert_from_client(event)


def test_failed_login_under_an_unknown_name_keeps_no_name(client):
    # Typed into the username box by mistake, it could be a password.
    typed = "Correct-Horse-Battery-7"

    client.post(reverse("login"), {"login": typed, "password": "x"}, **FROM_CLIENT)

    event = only(Event.LOGIN_FAILED)
    assert (event.target_repr, event.details) == ("", {"known_account": False})
    assert typed not in str(list(AuditEvent.objects.values()))


def test_failed_login_by_email_finds_the_account():
    member = StaffUserFactory()

    # As allauth's login by email reports it (Django has starred the password).
    user_login_failed.send(
        sender=__name__,
        credentials={"email": member.email.upper(), "password": "********************"},
        request=request_from_client(),
    )

    event = only(Event.LOGIN_FAILED)
    assert event.target_id == str(member.pk)
    assert_from_client(event)


def test_lockout_is_recorded(client):
    member = StaffUserFactory()

    for _ in range(5):
        response = log_in(client, member, password="wrong")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    event = only(Event.LOCKED_OUT)
    assert event.target_repr == member.username
    assert_from_client(event)
    assert AuditEvent.objects.filter(event=Event.LOGIN_FAILED).count() == 5


# Lists: export, import, bulk -------------------------------------------------


def test_users_csv_export_is_recorded_with_its_filters(staff_client_with):
    client = staff_client_with("users.view_user")

    response = client.get(reverse("users:export_csv"), {"is_staff": "true"}, **FROM_CLIENT)
    b"".join(response.streaming_content)

    event = only(Event.EXPORT)
    assert event.actor == client.user
    assert event.details == {"list": "users", "format": "csv", "filters": "is_staff=true"}
    assert_from_client(event)


def test_posts_csv_export_is_recorded(staff_client_with):
    client = staff_client_with("posts.view_post")

    response = client.get(reverse("posts:export_csv"), {"status": "draft"}, **FROM_CLIENT)
    b"".join(response.streaming_content)

    event = only(Event.EXPORT)
    assert event.details == {"list": "posts", "format": "csv", "filters": "status=draft"}
    assert_from_client(event)


def test_posts_xlsx_export_is_recorded(staff_client_with):
    client = staff_client_with("posts.view_post")
    PostFactory()

    client.get(reverse("posts:export_xlsx"), **FROM_CLIENT)

    assert only(Event.EXPORT).details["format"] == "xlsx"


def test_admin_csv_export_action_is_recorded(admin_client, admin_user):
    others = UserFactory.create_batch(2)

    response = admin_client.post(
        reverse("admin:users_user_changelist"),
        {"action": "export_as_csv", "_selected_action": [u.pk for u in others]},
        **FROM_CLIENT,
    )
    b"".join(response.streaming_content)

    event = only(Event.EXPORT)
    assert (event.actor, event.details["list"]) == (admin_user, "admin:users.user")


def test_confirmed_import_is_recorded_and_its_preview_is_not(staff_client_with):
    client = staff_client_with("users.view_user", "users.add_user", "users.change_user")
    upload = SimpleUploadedFile("people.csv", b"username,email\nkenji,kenji@example.com\n")
    preview = preview_import(client, reverse("users:import"), upload, **FROM_CLIENT)
    assert not AuditEvent.objects.filter(event=Event.IMPORT).exists()

    queued = client.post(
        reverse("users:import_confirm"), {"pending": preview.context["pending"].pk}, **FROM_CLIENT
    )
    assert not AuditEvent.objects.filter(event=Event.IMPORT).exists()
    # Recorded once written, by the job, with the client that confirmed it.
    job_run(job_id=resolve(queued.url).kwargs["pk"])

    event = only(Event.IMPORT)
    assert event.actor == client.user
    assert event.details == {
        "list": "users",
        "file": "people.csv",
        "created": 1,
        "updated": 0,
        "unchanged": 0,
    }
    assert_from_client(event)


def test_import_that_grants_staff_records_the_flag(admin_client, admin_user):
    # A superuser: only they may grant the staff flag.
    target = UserFactory(username="promoted")
    upload = SimpleUploadedFile("staff.csv", b"username,staff\npromoted,true\n")
    preview = preview_import(admin_client, reverse("users:import"), upload)

    queued = admin_client.post(
        reverse("users:import_confirm"), {"pending": preview.context["pending"].pk}
    )
    job_run(job_id=resolve(queued.url).kwargs["pk"])

    event = only(Event.FLAGS_CHANGED, target_id=str(target.pk))
    assert (event.actor, event.details["changes"]) == (admin_user, {"is_staff": [False, True]})


def test_bulk_action_is_recorded_with_its_row_count(staff_client_with):
    client = staff_client_with("users.view_user", "users.change_user")
    people = UserFactory.create_batch(3)
    ids = [u.pk for u in people]

    client.post(
        reverse("users:bulk"),
        {"action": "deactivate", "ids": ids, "expected": 3, "confirm": "1"},
        **FROM_CLIENT,
    )

    event = only(Event.BULK_ACTION)
    assert event.actor == client.user
    assert event.details == {"action": "deactivate", "model": "users.user", "rows": 3}
    assert_from_client(event)


def test_unconfirmed_bulk_action_is_not_recorded(staff_client_with):
    client = staff_client_with("users.view_user", "users.change_user")

    client.post(reverse("users:bulk"), {"action": "deactivate", "ids": [UserFactory().pk]})

    assert not AuditEvent.objects.filter(event=Event.BULK_ACTION).exists()


# Flags, permissions, groups, passwords ---------------------------------------


def admin_form_data(response, **overrides) -> dict:
    """What a browser submits for the admin change form on `response`, with `overrides`."""
    form = response.context["adminform"].form
    data = {}
    for field in form:
        if field.field.disabled:
            continue
        widget, value = field.field.widget, field.value()
        if isinstance(widget, MultiWidget):
            for index, part in enumerate(widget.decompress(value)):
                data[f"{field.html_name}_{index}"] = part or ""
        elif isinstance(widget, CheckboxInput):
            if value:
                data[field.html_name] = "on"
        elif value is not None:
            data[field.html_name] = value
    data.update(overrides)
    return {name: value for name, value in data.items() if value is not None}


def test_flag_change_through_the_admin_is_recorded(admin_client, admin_user):
    target = UserFactory()
    url = reverse("admin:users_user_change", args=[target.pk])
    data = admin_form_data(admin_client.get(url), is_staff="on", is_active=None)

    response = admin_client.post(url, data, **FROM_CLIENT)

    assert response.status_code == HTTPStatus.FOUND, response.context["adminform"].form.errors
    event = only(Event.FLAGS_CHANGED, target_id=str(target.pk))
    assert event.actor == admin_user
    assert event.details == {
        "changes": {"is_active": [True, False], "is_staff": [False, True]},
        "created": False,
    }
    assert_from_client(event)


def test_permission_change_through_the_admin_is_recorded(admin_client, admin_user):
    target = StaffUserFactory()
    url = reverse("admin:users_user_change", args=[target.pk])
    grant = Permission.objects.get(codename="delete_user")
    data = admin_form_data(admin_client.get(url), user_permissions=[grant.pk])

    admin_client.post(url, data, **FROM_CLIENT)

    event = only(Event.PERMISSIONS_CHANGED, target_id=str(target.pk))
    assert (event.actor, event.details) == (admin_user, {"added": ["users.delete_user"]})
    assert_from_client(event)


def test_permission_and_group_changes_outside_a_request_are_recorded_without_an_actor():
    target = StaffUserFactory()
    group = Group.objects.create(name="editors")
    permission = Permission.objects.get(codename="change_post")

    target.groups.add(group)
    group.permissions.add(permission)
    target.user_permissions.add(permission)
    target.user_permissions.clear()

    groups = only(Event.GROUPS_CHANGED, target_id=str(target.pk))
    assert (groups.actor, groups.actor_username, groups.details) == (
        None,
        "",
        {"added": ["editors"]},
    )
    assert only(Event.PERMISSIONS_CHANGED, target_type="auth.group").details == {
        "added": ["posts.change_post"]
    }
    changes = AuditEvent.objects.filter(event=Event.PERMISSIONS_CHANGED, target_id=str(target.pk))
    assert sorted(str(e.details) for e in changes) == [
        "{'added': ['posts.change_post']}",
        "{'removed': ['posts.change_post']}",
    ]


def test_members_added_to_a_group_from_its_side_are_each_recorded():
    group = Group.objects.create(name="auditors")
    first, second = UserFactory.create_batch(2)

    group.user_set.add(first, second)

    events = AuditEvent.objects.filter(event=Event.GROUPS_CHANGED)
    assert sorted(e.target_repr for e in events) == sorted([first.username, second.username])


def test_staff_setting_a_password_is_recorded_without_the_password(staff_client_with):
    client = staff_client_with("users.view_user", "users.change_user")
    target = UserFactory()
    secret = "Brand-new-Passphrase-42"

    client.post(
        reverse("users:set_password", args=[target.pk]),
        {"new_password1": secret, "new_password2": secret},
        **FROM_CLIENT,
    )

    event = only(Event.PASSWORD_CHANGED)
    assert (event.actor, event.target_id) == (client.user, str(target.pk))
    assert_from_client(event)
    target.refresh_from_db()
    for row in AuditEvent.objects.values():
        assert secret not in str(row)
        assert target.password not in str(row)


def test_a_password_hash_upgraded_at_login_is_not_a_change(client):
    member = StaffUserFactory()
    older = make_password(PASSWORD, hasher="pbkdf2_sha256")
    User.objects.filter(pk=member.pk).update(password=older)

    log_in(client, member)

    member.refresh_from_db()
    assert member.password.startswith("argon2")
    assert not AuditEvent.objects.filter(event=Event.PASSWORD_CHANGED).exists()


def test_creating_a_superuser_is_recorded_as_a_flag_change():
    UserFactory(username="root2", is_staff=True, is_superuser=True)

    event = only(Event.FLAGS_CHANGED, target_repr="root2")
    assert event.details == {
        "changes": {"is_staff": [None, True], "is_superuser": [None, True]},
        "created": True,
    }


def test_saving_a_user_without_flag_changes_records_nothing():
    member = StaffUserFactory()
    before = AuditEvent.objects.filter(event=Event.FLAGS_CHANGED).count()

    member.name = "Renamed"
    member.save()
    member.save(update_fields=["last_login"])

    assert AuditEvent.objects.filter(event=Event.FLAGS_CHANGED).count() == before


# allauth: these send allauth's own signals, as its views do --------------------


def request_from_client(user=None):
    """A request as allauth's receivers expect one: a user and a session."""
    request = RequestFactory().post("/", **FROM_CLIENT)
    request.user = user
    request.session = SessionStore()
    return request


def test_allauth_password_reset_is_recorded():
    member = UserFactory()

    account_signals.password_reset.send(
        sender=User, request=request_from_client(member), user=member
    )

    event = only(Event.PASSWORD_RESET)
    assert (event.actor, event.target_id) == (member, str(member.pk))
    assert_from_client(event)


def test_allauth_password_change_is_recorded_once():
    member = UserFactory()
    member.set_password("Another-Passphrase-77")
    member.save()

    account_signals.password_changed.send(
        sender=User, request=request_from_client(member), user=member
    )
    account_signals.password_set.send(
        sender=User, request=request_from_client(member), user=UserFactory()
    )

    # The save recorded it; the signal after it adds nothing. A signal with no
    # save before it (the second) is recorded.
    assert AuditEvent.objects.filter(event=Event.PASSWORD_CHANGED).count() == 2


def test_allauth_email_change_is_recorded():
    member = UserFactory()

    account_signals.email_changed.send(
        sender=User,
        request=request_from_client(member),
        user=member,
        from_email_address=SimpleNamespace(email="old@example.com"),
        to_email_address=SimpleNamespace(email="new@example.com"),
    )

    event = only(Event.EMAIL_CHANGED)
    assert event.details == {"from": "old@example.com", "to": "new@example.com"}
    assert_from_client(event)


@pytest.fixture
def mfa_signals():
    """allauth.mfa's signals as it defines them; its module loads only with its app installed."""
    signals = SimpleNamespace(
        authenticator_added=Signal(),
        authenticator_removed=Signal(),
        authenticator_reset=Signal(),
        authenticator_used=Signal(),
        authentication_failed=Signal(),
    )
    receivers.connect_mfa(signals)
    return signals


def authenticator(kind: str):
    # An authenticator's data is its secret: the log must never copy it.
    return SimpleNamespace(pk=7, type=kind, data={"secret": "JBSWY3DPEHPK3PXP"})


@pytest.mark.parametrize(
    ("signal", "kind", "event"),
    [
        ("authenticator_added", "totp", Event.MFA_ADDED),
        ("authenticator_added", "webauthn", Event.MFA_ADDED),
        ("authenticator_removed", "totp", Event.MFA_REMOVED),
        ("authenticator_reset", "recovery_codes", Event.MFA_RESET),
        ("authenticator_used", "totp", Event.MFA_USED),
        ("authenticator_used", "webauthn", Event.MFA_USED),
        ("authenticator_used", "recovery_codes", Event.RECOVERY_CODE_USED),
        ("authentication_failed", "totp", Event.MFA_FAILED),
    ],
)
def test_second_factor_events_are_recorded_with_the_type_only(mfa_signals, signal, kind, event):
    member = StaffUserFactory()

    getattr(mfa_signals, signal).send(
        sender=None,
        request=request_from_client(member),
        user=member,
        authenticator=authenticator(kind),
    )

    recorded = only(event)
    assert recorded.target_id == str(member.pk)
    assert recorded.details["type"] == kind
    assert "JBSWY3DPEHPK3PXP" not in str(list(AuditEvent.objects.values()))
    assert_from_client(recorded)


def test_passwordless_passkey_login_says_so(mfa_signals):
    member = StaffUserFactory()

    mfa_signals.authenticator_used.send(
        sender=None,
        request=request_from_client(member),
        user=member,
        authenticator=authenticator("webauthn"),
        reauthenticated=False,
        passwordless=True,
    )

    assert only(Event.MFA_USED).details == {
        "type": "webauthn",
        "reauthenticated": False,
        "sole_factor": True,
    }


def test_session_client_change_and_ended_sessions_are_recorded_without_their_keys():
    signals = SimpleNamespace(session_client_changed=Signal())
    receivers.connect_usersessions(signals)
    member = StaffUserFactory()
    old = SimpleNamespace(user=member, ip="192.0.2.1", user_agent="Old", session_key="k" * 32)
    new = SimpleNamespace(user=member, ip="192.0.2.2", user_agent="New", session_key="k" * 32)

    signals.session_client_changed.send(
        sender=None, request=request_from_client(member), from_session=old, to_session=new
    )
    receivers.record_sessions_ended(request=request_from_client(member), sessions=[old])

    changed = only(Event.SESSION_CLIENT_CHANGED)
    assert changed.details == {
        "from": {"ip": "192.0.2.1", "client": "Old"},
        "to": {"ip": "192.0.2.2", "client": "New"},
    }
    assert only(Event.SESSION_ENDED).details == {"ip": "192.0.2.1", "client": "Old"}
    assert "k" * 32 not in str(list(AuditEvent.objects.values()))


# Never a secret --------------------------------------------------------------


def test_details_never_keep_a_secret_whatever_the_caller_passes():
    from camp.audit.services import audit_record

    event = audit_record(
        event=Event.EXPORT,
        details={
            "list": "users",
            "password": "p",
            "new_password1": "p",
            "token": "t",
            "otp_code": "123456",
            "session_key": "s",
            "nested": {"recovery_code": "c", "ok": 1},
        },
    )

    assert event.details == {"list": "users", "nested": {"ok": 1}}


def test_no_recorded_event_holds_a_password_code_or_session_key(client, admin_client):
    member = StaffUserFactory()
    wrong = "Wrong-Passphrase-31"
    log_in(client, member, password=wrong)
    log_in(client, member)
    session_key = client.session.session_key
    new = "Fresh-Passphrase-58"
    admin_client.post(
        reverse("users:set_password", args=[member.pk]),
        {"new_password1": new, "new_password2": new},
    )
    client.post(reverse("logout"))

    rows = str(list(AuditEvent.objects.values()))
    member.refresh_from_db()
    for secret in (PASSWORD, wrong, new, session_key, member.password):
        assert secret not in rows
    assert AuditEvent.objects.filter(event=Event.PASSWORD_CHANGED).exists()


def test_sessions_ended_through_allauths_adapter_are_recorded():
    from allauth.core import context

    from camp.audit.usersessions import AuditUserSessionsAdapter

    member = StaffUserFactory()
    ended = []
    session = SimpleNamespace(
        user=member, ip="192.0.2.9", user_agent="Phone", end=lambda: ended.append(True)
    )

    with context.request_context(request_from_client(member)):
        AuditUserSessionsAdapter().end_sessions([session])

    assert ended == [True]
    event = only(Event.SESSION_ENDED)
    assert (event.actor, event.target_id) == (member, str(member.pk))
    assert_from_client(event)
