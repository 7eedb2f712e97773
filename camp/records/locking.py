"""Optimistic locking: two people editing one record never overwrite each other unnoticed.

Each versioned model has a `version` column. An edit form carries the version
it was loaded at; saving checks it against the row, locked with SELECT ... FOR
UPDATE, and bumps it. A stale form is refused with what the other person
changed, and keeps everything this person typed.
"""

from django import forms
from django.db import models, transaction
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from django.utils.translation import gettext_lazy as _

from .history import FieldChange, history_changes_since


class VersionConflict(Exception):
    def __init__(self, current: models.Model) -> None:
        super().__init__("The record changed since the form was loaded.")
        self.current = current


class VersionedFormMixin:
    """A ModelForm mixin adding a hidden `version` field checked on clean and on save."""

    version_error_messages = {
        "conflict": _(
            "%(user)s changed this record at %(time)s while you were editing it. "
            "Your changes are kept below and were not saved; review them and save again."
        ),
        "deleted": _("This record was deleted while you were editing it."),
    }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["version"] = forms.IntegerField(
            widget=forms.HiddenInput, required=False, initial=self.instance.version
        )
        self.conflict_changes: list[FieldChange] = []

    def clean(self):
        cleaned = super().clean()
        if self.instance.pk:
            current = (
                type(self.instance)
                ._default_manager.filter(pk=self.instance.pk)
                .values_list("version", flat=True)
                .first()
            )
            self.check_version(current)
        return cleaned

    def check_version(self, current_version: int | None) -> None:
        """Add an error to the form if the row is no longer at the version it was loaded at."""
        if current_version is None:
            self.add_error(
                None, forms.ValidationError(self.version_error_messages["deleted"], code="deleted")
            )
            return
        loaded = self.cleaned_data.get("version") or self.instance.version
        if current_version == loaded:
            return
        changes, who, when = history_changes_since(
            type(self.instance), self.instance.pk, version=loaded
        )
        self.conflict_changes = changes
        # The next submit, made knowing about the other change, may go through.
        self.data = self.data.copy()
        self.data[self.add_prefix("version")] = current_version
        self.add_error(
            None,
            forms.ValidationError(
                self.version_error_messages["conflict"],
                code="conflict",
                params={
                    "user": who or _("Someone"),
                    "time": timezone.localtime(when).strftime("%H:%M") if when else "?",
                },
            ),
        )
        if changes:
            self.add_error(None, _conflict_details(changes))

    def save(self, commit: bool = True):
        if not commit or not self.instance.pk:
            return super().save(commit=commit)
        with transaction.atomic():
            save_versioned(self.instance, expected=self.cleaned_data.get("version"))
            self._save_m2m()
        return self.instance


def _conflict_details(changes: list[FieldChange]) -> forms.ValidationError:
    items = format_html_join(
        "", "<li>{}: {} → {}</li>", ((str(c.field).capitalize(), c.old, c.new) for c in changes)
    )
    return forms.ValidationError(
        format_html("{} <ul>{}</ul>", _("Their changes:"), items), code="conflict_details"
    )


def save_versioned(instance: models.Model, *, expected: int | None) -> models.Model:
    """Save `instance` if its row is still at version `expected`; bump the version.

    Must run inside a transaction: the row stays locked until it commits.
    """
    model = type(instance)
    current = (
        model._default_manager.select_for_update()
        .filter(pk=instance.pk)
        .values_list("version", flat=True)
        .first()
    )
    if current is None or (expected is not None and current != expected):
        raise VersionConflict(model._default_manager.filter(pk=instance.pk).first())
    instance.version = current + 1
    instance.save()
    return instance


class BadVersion(ValueError):
    """A posted version that is not a whole number: a tampered or broken form."""


def posted_version(data) -> int | None:
    """The `version` a one-click form carries: None if absent, BadVersion if not a number."""
    raw = data.get("version", "")
    if raw == "":
        return None
    try:
        version = int(raw)
    except (TypeError, ValueError):
        raise BadVersion(raw) from None
    if version < 0:
        raise BadVersion(raw)
    return version


#: Shown when a one-click action meets a record changed since its page was loaded.
STALE_MESSAGE = _(
    "Someone changed this record after you opened it, so nothing was done. "
    "Here it is as it is now: check it and try again."
)
