from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import F, QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext_lazy

from camp.lists.bulk import BulkAction
from camp.lists.importing import KEEP, Importer, ImportResult, RowError
from camp.records.locking import VersionConflict
from camp.records.signals import bulk_written

from . import policies
from .forms import UserImportForm
from .models import User

#: Rows per round trip in bulk actions.
BATCH_SIZE = 1000


@transaction.atomic
def user_set_active(*, user: User, active: bool, by, expected_version: int | None = None) -> User:
    """Activate or deactivate `user`; a deactivated user can no longer log in.

    Raises PermissionDenied if `by`, the member acting, may not: a superuser
    is only changed by a superuser, and nobody changes their own flag. With
    `expected_version` (a button on a page showing that version), raises
    VersionConflict if the user changed since, so nobody acts on a stale page.
    """
    user = User.objects.select_for_update().get(pk=user.pk)
    if not policies.can_set_active(by, user):
        raise PermissionDenied(policies.REFUSED)
    if expected_version is not None and user.version != expected_version:
        raise VersionConflict(user)
    user.is_active = active
    user.version += 1
    user.save(update_fields=["is_active", "version"])
    return user


def user_batch_set_active(
    *, batch: list[User], active: bool, by=None, announce: bool = True
) -> None:
    """Activate or deactivate one locked batch of users: one UPDATE, one INSERT of history."""
    ids = [u.pk for u in batch]
    User.objects.filter(pk__in=ids).update(is_active=active, version=F("version") + 1)
    for user in batch:
        user.is_active, user.version = active, user.version + 1
    reason = gettext_noop("Activated") if active else gettext_noop("Deactivated")
    User.history.bulk_history_create(
        batch, update=True, default_user=by, default_change_reason=reason
    )
    if announce:
        bulk_written.send(sender=User, user_ids=set(ids))


@transaction.atomic
def user_bulk_set_active(*, users: QuerySet[User], active: bool, by) -> int:
    """Activate or deactivate `users` in batches; return how many changed.

    Only the users `by`, the member acting, may change are touched: never
    themselves, nor a superuser unless they are one. One UPDATE and one
    INSERT of history rows per batch.
    """
    pending = _bulk_pending(users, active=active, by=by)
    pending = pending.order_by("pk").select_for_update(of=("self",))
    changed: set[int] = set()
    last = 0
    while batch := list(pending.filter(pk__gt=last)[:BATCH_SIZE]):
        user_batch_set_active(batch=batch, active=active, by=by, announce=False)
        changed.update(u.pk for u in batch)
        last = batch[-1].pk
    # Once for the whole change: past a thousand users the caches are
    # forgotten by pattern rather than key by key.
    bulk_written.send(sender=User, user_ids=changed)
    return len(changed)


def _bulk_pending(users: QuerySet[User], *, active: bool, by) -> QuerySet[User]:
    """The users among `users` that setting the active flag would change, as `by` may."""
    return policies.changeable_users(by, users.exclude(is_active=active), locking_out=True)


def _bulk_refused(users: QuerySet[User], *, active: bool, by) -> int:
    """How many of `users` the flag would change but `by` may not change."""
    would_change = users.exclude(is_active=active).count()
    return would_change - _bulk_pending(users, active=active, by=by).count()


TRUE_WORDS = {"true", "yes", "y", "1", "on", "t"}
FALSE_WORDS = {"false", "no", "n", "0", "off", "f"}


class UserImporter(Importer):
    """Users from CSV, matched by username (ignoring case), so re-importing never duplicates.

    New users get no usable password: they set one through a reset, or staff set it.
    """

    model = User
    columns = {
        "username": "username",
        "email": "email",
        "name": "name",
        "active": "is_active",
        "staff": "is_staff",
    }
    required = ("username",)

    def match(self, row: dict[str, str]) -> User | None:
        username = row.get("username", "").strip()
        if not username:
            return None
        user = self.for_update(User.objects).filter(username__iexact=username).first()
        if user is not None:
            # Matched ignoring case: the stored spelling stays.
            row["username"] = user.username
        return user

    def keys(self, row: dict[str, str]) -> list[tuple[str, object]]:
        username, email = row.get("username", "").strip(), row.get("email", "").strip()
        keys = [(gettext_noop("username"), username.lower())] if username else []
        return keys + ([(gettext_noop("email address"), email.lower())] if email else [])

    def __init__(self, *, by):
        #: The member importing: what a row may change depends on who they are.
        self.by = by

    def form(self, data: dict, instance: User | None) -> UserImportForm:
        return UserImportForm(data, instance=instance)

    def check_changes(self, instance: User | None, changed: list[str]) -> None:
        try:
            policies.check_changes(self.by, instance, changed)
        except PermissionDenied as refusal:
            raise RowError(str(refusal)) from None

    def instance_data(self, instance: User) -> dict:
        return {
            "username": instance.username,
            "email": instance.email,
            "name": instance.name,
            "is_active": "on" if instance.is_active else None,
            "is_staff": "on" if instance.is_staff else None,
        }

    def cell_data(self, column: str, value: str) -> object:
        if column in ("active", "staff"):
            word = value.strip().lower()
            if not word:
                return KEEP
            if word in TRUE_WORDS:
                return "on"
            if word in FALSE_WORDS:
                return None
            raise RowError(
                _("%(column)s: “%(value)s” is neither true nor false.")
                % {"column": column, "value": value}
            )
        return super().cell_data(column, value)

    def new_data(self) -> dict:
        return {"is_active": "on"}

    def label(self, row: dict[str, str]) -> str:
        return row.get("username", "").strip()

    def before_save(self, record: User, *, created: bool) -> None:
        super().before_save(record, created=created)
        if created:
            record.set_unusable_password()


def user_import(*, text: str, commit: bool, by) -> ImportResult:
    """Import users from CSV `text` as `by`; with `commit` False (or any bad row), write nothing.

    A row changing what `by` may not (a superuser, a flag, themselves) is a
    bad row, so the file imports nothing until it is taken out.
    """
    return UserImporter(by=by).run(text, commit=commit)


#: The user list's bulk actions, by the value the action menu sends.
USER_BULK_ACTIONS = {
    action.key: action
    for action in (
        BulkAction(
            key="activate",
            label=gettext_lazy("Activate"),
            permission="users.change_user",
            pending=lambda users, by: _bulk_pending(users, active=True, by=by),
            refused=lambda users, by: _bulk_refused(users, active=True, by=by),
            run=lambda users, by: user_bulk_set_active(users=users, active=True, by=by),
            run_batch=lambda batch, by: user_batch_set_active(batch=batch, active=True, by=by),
            question=ngettext_lazy(
                "Activate %(count)d user?", "Activate %(count)d users?", "count"
            ),
            done=ngettext_lazy(
                "%(count)d user was activated.", "%(count)d users were activated.", "count"
            ),
        ),
        BulkAction(
            key="deactivate",
            label=gettext_lazy("Deactivate"),
            permission="users.change_user",
            # Never yourself (that would lock you out), never a superuser unless you are one.
            pending=lambda users, by: _bulk_pending(users, active=False, by=by),
            refused=lambda users, by: _bulk_refused(users, active=False, by=by),
            run=lambda users, by: user_bulk_set_active(users=users, active=False, by=by),
            run_batch=lambda batch, by: user_batch_set_active(batch=batch, active=False, by=by),
            question=ngettext_lazy(
                "Deactivate %(count)d user? They can no longer log in.",
                "Deactivate %(count)d users? They can no longer log in.",
                "count",
            ),
            done=ngettext_lazy(
                "%(count)d user was deactivated.", "%(count)d users were deactivated.", "count"
            ),
            danger=True,
        ),
    )
}
