"""Nobody raises themselves or reaches a superuser: each path tried, the database unchanged.

A staff member holding every user permission (`changer`) tries each
escalation through the dashboard, hand-added form fields, bulk actions, the
import and Django admin; after each refused attempt, every user's flags,
password, groups and permissions are as they were. The allowed cases that
must keep working close the file.
"""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import Group, Permission
from django.core.files.uploadedfile import SimpleUploadedFile
from django.forms import CheckboxInput, MultiWidget
from django.test import Client
from django.urls import resolve, reverse

from camp.jobs.services import job_run
from conftest import mark_reauthenticated, preview_import
from users.models import User

from .factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

VIEW = "users.view_user"
ADD = "users.add_user"
CHANGE = "users.change_user"
DELETE = "users.delete_user"
ALL_USER_PERMS = (VIEW, ADD, CHANGE, DELETE)

PASSWORD = "a-long-Passphrase-42"
BULK = reverse("users:bulk")
IMPORT = reverse("users:import")
IMPORT_CONFIRM = reverse("users:import_confirm")


def url(name: str, profile) -> str:
    return reverse(f"users:{name}", args=[profile.pk])


def admin_url(name: str, profile) -> str:
    return reverse(f"admin:users_user_{name}", args=[profile.pk])


def state() -> dict:
    """Every user's flags, password hash, groups and permissions, by username."""
    return {
        user.username: (
            user.is_active,
            user.is_staff,
            user.is_superuser,
            user.password,
            sorted(user.groups.values_list("pk", flat=True)),
            sorted(user.user_permissions.values_list("pk", flat=True)),
        )
        for user in User.objects.all()
    }


def login(member) -> Client:
    """Log `member` in, having just given their password again.

    Re-authentication is its own gate (camp/tests/test_reauthentication.py);
    here every refusal must come from the rules, so it is already passed.
    """
    client = Client()
    client.force_login(member)
    client.user = member
    mark_reauthenticated(client, member)
    return client


@pytest.fixture
def root(db):
    return StaffUserFactory(username="ROOT1", is_superuser=True)


@pytest.fixture
def plain(db):
    return UserFactory(username="plain")


@pytest.fixture
def changer(db):
    """Staff holding every user permission (and group change), but not a superuser."""
    return login(StaffUserFactory(username="changer", permissions=ALL_USER_PERMS))


@pytest.fixture
def superuser(db):
    return login(StaffUserFactory(username="other-root", is_superuser=True))


@pytest.fixture
def powers(db):
    """A group and a permission someone might try to hand themselves."""
    group = Group.objects.create(name="admins")
    group.permissions.add(*Permission.objects.all())
    return {
        "groups": [group.pk],
        "user_permissions": list(Permission.objects.values_list("pk", flat=True)),
    }


def page_data(form, **overrides) -> dict:
    """What a browser would submit for `form` as shown, then `overrides` (None: left out)."""
    data = {}
    for field in form:
        if field.field.disabled:
            continue
        value, widget = field.value(), field.field.widget
        if isinstance(widget, CheckboxInput):
            value = "on" if value else None
        elif isinstance(widget, MultiWidget):
            parts = widget.decompress(value)
            for index, part in enumerate(parts):
                data[f"{field.html_name}_{index}"] = widget.widgets[index].format_value(part) or ""
            continue
        if value is not None:
            data[field.html_name] = value
    data.update(overrides)
    return {key: value for key, value in data.items() if value is not None}


ESCALATION = {"is_staff": "on", "is_superuser": "on", "is_active": "on"}


# Dashboard: edit form --------------------------------------------------------


def test_changer_cannot_open_or_save_a_superusers_edit_form(changer, root):
    before = state()

    assert changer.get(url("update", root)).status_code == HTTPStatus.FORBIDDEN
    response = changer.post(url("update", root), {"username": "ROOT1", "email": "x@example.com"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert state() == before
    assert User.objects.get(pk=root.pk).email == root.email


def test_changer_does_not_see_the_staff_field(changer, plain):
    assert "is_staff" not in changer.get(url("update", plain)).context["form"].fields
    assert "is_staff" not in changer.get(reverse("users:create")).context["form"].fields


def test_hand_added_flags_on_the_edit_form_are_ignored(changer, plain, powers):
    page = changer.get(url("update", plain))
    before = state()

    response = changer.post(
        url("update", plain), page_data(page.context["form"], **ESCALATION, **powers)
    )

    assert response.status_code == HTTPStatus.FOUND
    assert state() == before


def test_hand_added_flags_on_ones_own_edit_form_are_ignored(changer, powers):
    page = changer.get(url("update", changer.user))
    before = state()

    changer.post(
        url("update", changer.user), page_data(page.context["form"], **ESCALATION, **powers)
    )

    assert state() == before


def test_superuser_cannot_drop_their_own_flags_on_the_edit_form(superuser):
    page = superuser.get(url("update", superuser.user))
    before = state()

    superuser.post(url("update", superuser.user), page_data(page.context["form"], is_staff=None))

    assert "is_staff" not in page.context["form"].fields
    assert state() == before


def test_hand_added_flags_on_the_create_form_are_ignored(changer, powers):
    changer.post(
        reverse("users:create"),
        {
            "username": "hanako",
            "email": "hanako@example.com",
            "password1": PASSWORD,
            "password2": PASSWORD,
            **ESCALATION,
            **powers,
        },
    )

    hanako = User.objects.get(username="hanako")
    assert (hanako.is_staff, hanako.is_superuser) == (False, False)
    assert not hanako.groups.exists()
    assert not hanako.user_permissions.exists()


# Dashboard: password, active flag, delete ------------------------------------


def test_changer_cannot_set_a_superusers_password(changer, root):
    before = state()

    assert changer.get(url("set_password", root)).status_code == HTTPStatus.FORBIDDEN
    response = changer.post(
        url("set_password", root), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert state() == before


@pytest.mark.parametrize("name", ["deactivate", "activate"])
def test_changer_cannot_change_a_superusers_active_flag(changer, root, name):
    if name == "activate":
        User.objects.filter(pk=root.pk).update(is_active=False)
    before = state()

    response = changer.post(url(name, root))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert state() == before


@pytest.mark.parametrize("member", ["changer", "superuser"])
def test_nobody_deactivates_themselves(request, member):
    client = request.getfixturevalue(member)
    before = state()

    response = client.post(url("deactivate", client.user))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert state() == before


def test_changer_cannot_delete_a_superuser(changer, root):
    before = state()

    assert changer.get(url("delete", root)).status_code == HTTPStatus.FORBIDDEN
    assert changer.post(url("delete", root)).status_code == HTTPStatus.FORBIDDEN
    assert state() == before


@pytest.mark.parametrize("member", ["changer", "superuser"])
def test_nobody_deletes_themselves(request, member):
    client = request.getfixturevalue(member)
    before = state()

    assert client.post(url("delete", client.user)).status_code == HTTPStatus.FORBIDDEN
    assert state() == before


# Bulk actions -----------------------------------------------------------------


def test_bulk_deactivate_of_selected_leaves_the_superuser_out(changer, root, plain):
    chosen = {"action": "deactivate", "ids": [root.pk, plain.pk]}
    asked = changer.post(BULK, chosen)
    before = state()

    # Even a confirmation claiming both rows acts on the one allowed only.
    response = changer.post(BULK, {**chosen, "expected": 1, "confirm": 1}, follow=True)

    assert asked.context["count"] == 1
    assert "1 row was left out: you may not change it." in asked.content.decode()
    assert "1 row was left out" in response.content.decode()
    plain.refresh_from_db()
    assert not plain.is_active
    before["plain"] = (False, *before["plain"][1:])
    assert state() == before


def test_bulk_deactivate_of_only_a_superuser_changes_nothing(changer, root):
    before = state()

    changer.post(BULK, {"action": "deactivate", "ids": [root.pk], "expected": 1, "confirm": 1})
    changer.post(BULK, {"action": "deactivate", "ids": [root.pk], "expected": 0, "confirm": 1})

    assert state() == before


def test_bulk_deactivate_all_matching_staff_leaves_superusers_and_self(changer, root):
    StaffUserFactory(username="staff-two")
    query = "is_staff=true"
    asked = changer.post(BULK, {"action": "deactivate", "scope": "all", "query": query})

    changer.post(
        BULK,
        {
            "action": "deactivate",
            "scope": "all",
            "query": query,
            "expected": asked.context["count"],
            "confirm": 1,
        },
    )

    assert asked.context["count"] == 1
    assert set(User.objects.filter(is_active=True).values_list("username", flat=True)) == {
        "ROOT1",
        "changer",
    }


def test_superuser_bulk_deactivates_another_superuser_but_not_themselves(superuser, root):
    query = "is_staff=true"
    asked = superuser.post(BULK, {"action": "deactivate", "scope": "all", "query": query})
    superuser.post(
        BULK,
        {"action": "deactivate", "scope": "all", "query": query, "expected": 1, "confirm": 1},
    )

    assert asked.context["count"] == 1
    root.refresh_from_db()
    superuser.user.refresh_from_db()
    assert (root.is_active, superuser.user.is_active) == (False, True)


# Import -----------------------------------------------------------------------


def preview(client, text: str):
    data = SimpleUploadedFile("users.csv", text.encode(), content_type="text/csv")
    return preview_import(client, IMPORT, data)


@pytest.mark.parametrize(
    "text",
    [
        "username,active\nROOT1,false\n",
        "username,email\nROOT1,taken-over@example.com\n",
        "username,staff\nplain,true\n",
        "username,email,staff\nnewcomer,new@example.com,true\n",
        "username,active\nchanger,false\n",
        "username,active\nplain,false\nROOT1,false\n",
    ],
    ids=[
        "deactivate-superuser",
        "edit-superuser",
        "grant-staff",
        "create-staff",
        "deactivate-self",
        "mixed-rows",
    ],
)
def test_import_refuses_rows_the_member_may_not_change(changer, root, plain, text):
    before = state()

    response = preview(changer, text)

    assert response.context["result"].errors
    assert response.context["pending"] is None
    assert "Only a superuser can change" in response.content.decode() or (
        "You cannot change your own flags" in response.content.decode()
    )
    assert state() == before
    assert not User.objects.filter(username="newcomer").exists()


def confirm(client, pending_pk, **extra):
    """Confirm a previewed import, run here the job it queues, and return the job's page."""
    queued = client.post(IMPORT_CONFIRM, {"pending": pending_pk}, **extra)
    assert queued.status_code == HTTPStatus.FOUND, queued
    job_run(job_id=resolve(queued.url).kwargs["pk"])
    return client.get(queued.url)


def test_import_left_for_confirmation_is_refused_when_confirmed(changer, root):
    """A file previewed while allowed is checked again on confirming."""
    text = "username,active\nROOT1,false\n"
    User.objects.filter(pk=changer.user.pk).update(is_superuser=True)
    pending = preview(changer, text).context["pending"]
    User.objects.filter(pk=changer.user.pk).update(is_superuser=False)
    before = state()

    response = confirm(changer, pending.pk)

    assert "Nothing was imported" in response.content.decode()
    assert state() == before


def test_superuser_imports_a_superuser_change(superuser, root):
    pending = preview(superuser, "username,active\nROOT1,false\n").context["pending"]

    confirm(superuser, pending.pk)

    root.refresh_from_db()
    assert not root.is_active


# Django admin -----------------------------------------------------------------


def test_admin_change_form_ignores_a_self_granted_superuser_flag(changer, powers):
    page = changer.get(admin_url("change", changer.user))
    before = state()

    response = changer.post(
        admin_url("change", changer.user),
        page_data(page.context["adminform"].form, **ESCALATION, **powers),
    )

    assert response.status_code == HTTPStatus.FOUND
    assert "is_superuser" not in page.context["adminform"].form.fields
    assert "user_permissions" not in page.context["adminform"].form.fields
    assert state() == before


def test_admin_change_form_ignores_flags_granted_to_another(changer, plain, powers):
    page = changer.get(admin_url("change", plain))
    before = state()

    changer.post(
        admin_url("change", plain),
        page_data(page.context["adminform"].form, **ESCALATION, **powers),
    )

    assert set(page.context["adminform"].form.fields).isdisjoint(
        {"is_staff", "is_superuser", "groups", "user_permissions"}
    )
    assert state() == before


def test_admin_change_form_of_a_superuser_is_refused(changer, root):
    page = changer.get(admin_url("change", root))
    before = state()

    response = changer.post(
        admin_url("change", root), {"username": "ROOT1", "email": "x@example.com", "version": 1}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    # Shown read-only, like any record the member may only view.
    assert page.status_code == HTTPStatus.OK
    assert not page.context["has_change_permission"]
    assert state() == before


def test_admin_password_form_of_a_superuser_is_refused(changer, root):
    address = reverse("admin:auth_user_password_change", args=[root.pk])
    before = state()

    assert changer.get(address).status_code == HTTPStatus.FORBIDDEN
    response = changer.post(
        address, {"password1": PASSWORD, "password2": PASSWORD, "usable_password": "true"}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert state() == before


@pytest.mark.parametrize("target", ["root", "self"])
def test_admin_delete_is_refused(changer, root, target):
    profile = root if target == "root" else changer.user
    before = state()

    response = changer.post(admin_url("delete", profile), {"post": "yes"})

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert state() == before


@pytest.mark.parametrize("target", ["root", "self"])
def test_admin_delete_action_is_refused(changer, root, plain, target):
    profile = root if target == "root" else changer.user
    before = state()

    response = changer.post(
        reverse("admin:users_user_changelist"),
        {"action": "delete_selected", "_selected_action": [profile.pk, plain.pk], "post": "yes"},
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert state() == before


def test_admin_history_revert_cannot_restore_a_lost_superuser_flag(changer):
    member = changer.user
    member.is_superuser = True
    member.save()
    was_superuser = member.history.latest()
    member.is_superuser = False
    member.save()
    before = state()
    address = reverse(
        "admin:users_user_simple_history", args=[member.pk, was_superuser.history_id]
    )
    page = changer.get(address)

    response = changer.post(address, page_data(page.context["adminform"].form))

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert state() == before


def test_admin_groups_are_for_superusers_only(db):
    member = login(StaffUserFactory(permissions=("auth.view_group", "auth.change_group")))
    group = Group.objects.create(name="editors")
    own = Permission.objects.get(codename="delete_user")

    response = member.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": "editors", "permissions": [own.pk]},
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert not group.permissions.exists()


# What stays allowed -----------------------------------------------------------


def test_changer_still_edits_an_ordinary_user(changer, plain):
    page = changer.get(url("update", plain))

    changer.post(url("update", plain), page_data(page.context["form"], name="新しい名前"))

    plain.refresh_from_db()
    assert plain.name == "新しい名前"


def test_changer_still_sets_an_ordinary_users_password_and_flag(changer, plain):
    changer.post(
        url("set_password", plain), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    changer.post(url("deactivate", plain))

    plain.refresh_from_db()
    assert plain.check_password(PASSWORD)
    assert not plain.is_active


def test_superuser_edits_sets_password_and_deactivates_another_superuser(superuser, root):
    page = superuser.get(url("update", root))
    superuser.post(url("update", root), page_data(page.context["form"], name="Changed"))
    superuser.post(
        url("set_password", root), {"new_password1": PASSWORD, "new_password2": PASSWORD}
    )
    superuser.post(url("deactivate", root))

    root.refresh_from_db()
    assert (root.name, root.is_active) == ("Changed", False)
    assert root.check_password(PASSWORD)


def test_superuser_grants_staff_superuser_and_permissions_in_the_admin(superuser, plain, powers):
    page = superuser.get(admin_url("change", plain))

    response = superuser.post(
        admin_url("change", plain),
        page_data(page.context["adminform"].form, is_staff="on", is_superuser="on", **powers),
    )

    assert response.status_code == HTTPStatus.FOUND
    plain.refresh_from_db()
    assert (plain.is_staff, plain.is_superuser) == (True, True)
    assert plain.groups.count() == 1


def test_superuser_deletes_another_superuser(superuser, root):
    response = superuser.post(url("delete", root))

    assert response.status_code == HTTPStatus.FOUND
    assert not User.objects.filter(pk=root.pk).exists()
