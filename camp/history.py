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
            delta = newer.diff_against(older)
            for change in sorted(delta.changes, key=lambda c: c.field):
                field_name = model._meta.get_field(change.field).name
                changes.append(
                    FieldChange(
                        field=model._meta.get_field(change.field).verbose_name,
                        old=_display(model, field_name, change.old, names),
                        new=_display(model, field_name, change.new, names),
                    )
                )
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
