"""Who may change which member, and which of their fields: the one place that says so.

A model permission such as `users.change_user` lets a member edit users, but
not every user nor every field: without these rules a member holding it could
set a superuser's password, tick their own superuser flag, or lock every
superuser out. So forms, views, services, bulk actions, imports and the admin
all ask here, and nowhere else decide it:

- only superusers change a superuser (any field, password, active flag, delete);
- only superusers set the staff or superuser flag, groups or permissions;
- nobody changes their own flags, groups or permissions, nor deactivates or
  deletes themselves (another superuser must).
"""

from collections.abc import Iterable

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

#: Fields that grant or take away power; everything else on a user is profile.
PRIVILEGE_FIELDS = frozenset({"is_staff", "is_superuser", "groups", "user_permissions"})
#: What nobody may change on their own account: it would raise or lock themselves out.
OWN_LOCKED_FIELDS = PRIVILEGE_FIELDS | {"is_active"}

REFUSED = _("Only a superuser can change a superuser, flags, groups or permissions.")
REFUSED_SELF = _("You cannot change your own flags, groups or permissions, nor lock yourself out.")


def _is_self(actor, target) -> bool:
    return target is not None and target.pk is not None and target.pk == actor.pk


def can_edit_user(actor, target) -> bool:
    """Whether `actor` may change `target` at all (fields, password, active flag)."""
    return bool(actor.is_superuser or not target.is_superuser)


def can_set_active(actor, target) -> bool:
    """Whether `actor` may activate or deactivate `target`: never themselves."""
    return can_edit_user(actor, target) and not _is_self(actor, target)


def can_delete_user(actor, target) -> bool:
    """Whether `actor` may delete `target`: never themselves."""
    return can_edit_user(actor, target) and not _is_self(actor, target)


def locked_fields(actor, target) -> frozenset[str]:
    """The user fields `actor` may not change on `target` (None: a user being created)."""
    locked = frozenset() if actor.is_superuser else PRIVILEGE_FIELDS
    if _is_self(actor, target):
        locked |= OWN_LOCKED_FIELDS
    return locked


def editable_fields(actor, target, fields: Iterable[str]) -> list[str]:
    """`fields` less those `actor` may not change on `target`, in their order."""
    locked = locked_fields(actor, target)
    return [name for name in fields if name not in locked]


def restrict_form(form, *, actor, target) -> None:
    """Drop from `form` the fields `actor` may not set on `target`.

    A dropped field is neither shown nor read: a value posted for it by hand
    is ignored, because a ModelForm only saves the fields it has.
    """
    for name in locked_fields(actor, target):
        form.fields.pop(name, None)


def check_edit(actor, target) -> None:
    """Raise PermissionDenied unless `actor` may change `target`."""
    if not can_edit_user(actor, target):
        raise PermissionDenied(REFUSED)


def check_changes(actor, target, changed: Iterable[str]) -> None:
    """Raise PermissionDenied if `changed` fields of `target` include one `actor` may not set.

    The last line of defence under every form: whatever a form let through,
    a change to a locked field is refused before it is saved. `target` is the
    user as stored, or None for one being created.
    """
    if target is not None:
        check_edit(actor, target)
    refused = locked_fields(actor, target) & set(changed)
    if refused:
        raise PermissionDenied(REFUSED_SELF if _is_self(actor, target) else REFUSED)


def changed_flags(before, after) -> set[str]:
    """The flags that differ between two states of one user (e.g. the row and a form's result)."""
    flags = ("is_active", "is_staff", "is_superuser")
    return {name for name in flags if getattr(before, name) != getattr(after, name)}


def changeable_users(actor, users: QuerySet, *, locking_out: bool = False) -> QuerySet:
    """`users` less those `actor` may not change; with `locking_out`, less `actor` too."""
    if not actor.is_superuser:
        users = users.exclude(is_superuser=True)
    if locking_out:
        users = users.exclude(pk=actor.pk)
    return users
