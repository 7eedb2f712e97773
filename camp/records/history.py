"""Field-level change history for Camp's records, on django-simple-history."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import models
from django.utils.translation import gettext_lazy as _
from simple_history.models import HistoricalRecords


class CampHistoricalRecords(HistoricalRecords):
    """Record every create, update and delete, except saves that only touch excluded fields.

    Logging in saves `last_login` alone; that is not a change anyone needs to
    review, and the field is excluded from history anyway.
    """

    def post_save(self, instance, created, using=None, **kwargs):
        update_fields = kwargs.get("update_fields")
        if not created and update_fields and set(update_fields) <= set(self.excluded_fields):
            return
        super().post_save(instance, created, using=using, **kwargs)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: Any
    new: Any


@dataclass(frozen=True)
class HistoryEntry:
    history_id: int
    date: datetime
    kind: str
    kind_label: str
    user: Any
    reason: str
    changes: list[FieldChange]


#: Bookkeeping columns whose changes say nothing to a reader.
HIDDEN_FIELDS = {"version", "updated_at"}

KIND_LABELS = {"+": _("Created"), "~": _("Changed"), "-": _("Deleted")}


def _display(model: type[models.Model], field_name: str, value: Any, names: dict) -> Any:
    field = model._meta.get_field(field_name)
    if value is None or value == "":
        return "—"
    if field.choices:
        return dict(field.flatchoices).get(value, value)
    if isinstance(field, models.ForeignKey):
        return names.get(value, value)
    if isinstance(field, models.BooleanField):
        return _("Yes") if value else _("No")
    return value


def history_timeline(model: type[models.Model], pk: int, *, limit: int = 20) -> list[HistoryEntry]:
    """Return the newest `limit` history entries of a record, each with its field diffs.

    One query for the records (and their users), one for the names of any
    related objects mentioned; diffs are computed between neighbours in Python.
    """
    records = list(
        model.history.filter(**{model._meta.pk.attname: pk})
        .select_related("history_user")
        .order_by("-history_date", "-history_id")[: limit + 1]
    )
    fk_fields = [f for f in model._meta.concrete_fields if isinstance(f, models.ForeignKey)]
    names: dict = {}
    for field in fk_fields:
        ids = {getattr(r, field.attname) for r in records} - {None}
        if ids:
            related = field.related_model._default_manager.filter(pk__in=ids)
            names.update({o.pk: str(o) for o in related})

    entries = []
    for newer, older in zip(records, [*records[1:], None], strict=False):
        if len(entries) == limit:
            break
        changes = []
        if older is not None and newer.history_type == "~":
            changes = _changes(model, newer, older, names)
        entries.append(
            HistoryEntry(
                history_id=newer.history_id,
                date=newer.history_date,
                kind=newer.history_type,
                kind_label=KIND_LABELS[newer.history_type],
                user=newer.history_user,
                reason=newer.history_change_reason or "",
                changes=changes,
            )
        )
    return entries


def _changes(model, newer, older, names: dict) -> list[FieldChange]:
    delta = newer.diff_against(older, excluded_fields=HIDDEN_FIELDS)
    changes = []
    for change in sorted(delta.changes, key=lambda c: c.field):
        field = model._meta.get_field(change.field)
        changes.append(
            FieldChange(
                field=field.verbose_name,
                old=_display(model, field.name, change.old, names),
                new=_display(model, field.name, change.new, names),
            )
        )
    return changes


def history_changes_since(
    model: type[models.Model], pk: int, *, version: int
) -> tuple[list[FieldChange], Any, datetime | None]:
    """What changed in a record since it was at `version`: the diffs, who and when.

    Compares the last history entry at `version` with the newest one.
    """
    records = model.history.filter(**{model._meta.pk.attname: pk}).select_related("history_user")
    newest = records.order_by("-history_date", "-history_id").first()
    base = records.filter(version=version).order_by("-history_date", "-history_id").first()
    if newest is None or base is None or newest.history_id == base.history_id:
        return [], getattr(newest, "history_user", None), getattr(newest, "history_date", None)
    names = {}
    for field in model._meta.concrete_fields:
        if isinstance(field, models.ForeignKey):
            ids = {getattr(newest, field.attname), getattr(base, field.attname)} - {None}
            related = field.related_model._default_manager.filter(pk__in=ids)
            names.update({o.pk: str(o) for o in related})
    return _changes(model, newest, base, names), newest.history_user, newest.history_date
