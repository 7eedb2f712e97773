"""Which columns a list shows, chosen with `?cols=` and kept in saved views and exports."""

from dataclasses import dataclass

from django import forms
from django.http import QueryDict
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Column:
    key: str
    label: str | Promise
    #: The field (or annotation) an export writes for this column.
    field: str
    #: Shown when the URL chooses no columns.
    default: bool = True
    #: Always shown: the column that links to the record.
    fixed: bool = False


class ColumnsForm(forms.Form):
    cols = forms.MultipleChoiceField(
        label=_("Columns"), required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, choices, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cols"].choices = choices


class Columns:
    """A list's columns in table order."""

    def __init__(self, *columns: Column):
        self.columns = columns

    def __iter__(self):
        return iter(self.columns)

    def shown(self, params: QueryDict) -> list[Column]:
        """The columns `?cols=` asks for (unknown keys ignored), else the default ones."""
        optional = {c.key for c in self.columns if not c.fixed}
        chosen = {key for key in params.getlist("cols") if key in optional}
        if not chosen:
            chosen = {c.key for c in self.columns if c.default}
        return [c for c in self.columns if c.fixed or c.key in chosen]

    def form(self, params: QueryDict) -> ColumnsForm:
        """The column chooser, showing the columns on screen as ticked."""
        choices = [(c.key, c.label) for c in self.columns if not c.fixed]
        shown = [c.key for c in self.shown(params) if not c.fixed]
        return ColumnsForm(choices=choices, initial={"cols": shown}, auto_id="columns_%s")
