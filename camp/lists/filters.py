"""Pieces shared by the list filters of every app.

Every filter here ignores what does not validate, so a bad parameter narrows
nothing instead of failing, and can describe its chosen values as removable
chips (`SearchFilterSet.chips()`).
"""

import re
from dataclasses import dataclass
from functools import reduce
from operator import or_

import django_filters
from django import forms
from django.db.models import Q
from django.http import QueryDict
from django.utils.formats import date_format
from django.utils.translation import gettext_lazy as _

#: Parameters that locate a page of a list rather than describe the list.
PAGE_PARAMS = ("page", "after", "before", "view")


def list_query(params: QueryDict) -> str:
    """Return the query string that describes a list: filters, search, sort and columns.

    The page, its seek cursors, the saved view being opened and empty values
    are left out, so two URLs showing the same list give the same string.
    """
    query = QueryDict(mutable=True)
    for key in params:
        if key in PAGE_PARAMS:
            continue
        values = [value for value in params.getlist(key) if value.strip()]
        if values:
            query.setlist(key, values)
    return query.urlencode()


def list_href(query: str) -> str:
    """Return a relative link to the list described by `query`.

    An empty query becomes `?q=`: a bare list URL opens the member's default
    saved view, and "show everything" must not.
    """
    return f"?{query}" if query else "?q="


@dataclass(frozen=True)
class Chip:
    """A chosen filter value, and the link to the same list without it."""

    label: str
    value: str
    url: str
    key: str = ""


def _without(params: QueryDict, key: str, value: str) -> str:
    query = params.copy()
    query.setlist(key, [v for v in params.getlist(key) if v != value])
    return list_href(list_query(query))


class SearchFilter(django_filters.CharFilter):
    def chip_values(self, name: str, value, data: QueryDict) -> list[tuple[str, str, str]]:
        return [(name, data.get(name, ""), f"“{value}”")] if value else []


class LenientMultipleChoiceField(django_filters.fields.MultipleChoiceField):
    """Several choices, where an unknown one is dropped instead of failing the whole field."""

    def clean(self, value):
        if value:
            value = [v for v in value if isinstance(v, str) and self.valid_value(v)]
        return super().clean(value)


class MultipleChoiceFilter(django_filters.MultipleChoiceFilter):
    """Several values of one field, OR-ed together, chosen with checkboxes."""

    field_class = LenientMultipleChoiceField

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", forms.CheckboxSelectMultiple)
        # No to-many joins here: DISTINCT would only slow the list (and break its export).
        kwargs.setdefault("distinct", False)
        super().__init__(*args, **kwargs)

    def chip_values(self, name: str, value, data: QueryDict) -> list[tuple[str, str, str]]:
        labels = {str(key): label for key, label in self.extra["choices"]}
        chosen = set(value)
        return [(name, raw, str(labels[raw])) for raw in data.getlist(name) if raw in chosen]


class TriStateSelect(forms.Select):
    """Any, yes or no, in one control, reading the repeated `?name=` of older links.

    Both values given (`?name=true&name=false`, as saved views may hold) mean
    "any", as they always did; the control then shows "Any".
    """

    def optgroups(self, name, value, attrs=None):
        # The field hands its own yes/no choices to the widget: "Any" leads them.
        self.choices = [("", _("Any")), *(c for c in self.choices if c[0] != "")]
        return super().optgroups(name, value, attrs)

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def format_value(self, value):
        chosen = {v for v in (value or []) if v in ("true", "false")}
        return list(chosen) if len(chosen) == 1 else [""]


class BooleanChoicesFilter(MultipleChoiceFilter):
    """Yes, no, or either, as `?name=true` or `?name=false` (both: either)."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("choices", (("true", _("Yes")), ("false", _("No"))))
        kwargs.setdefault("widget", TriStateSelect)
        super().__init__(*args, **kwargs)

    def get_filter_predicate(self, v):
        return {self.field_name: v == "true"}


class MultipleTextInput(forms.TextInput):
    """One text box holding the chosen values, separated by commas, to edit in place."""

    def value_from_datadict(self, data, files, name):
        return data.getlist(name) if hasattr(data, "getlist") else data.get(name)

    def format_value(self, value):
        if isinstance(value, str):
            value = [value]
        values = [v.strip() for v in (value or []) if isinstance(v, str) and v.strip()]
        return ", ".join(values) or None


class MultipleTextField(forms.Field):
    """Several short values: repeated parameters, or one box with values split by commas."""

    widget = MultipleTextInput
    separators = re.compile(r"[,\s]+")

    def __init__(self, *, max_values: int = 20, max_length: int = 150, **kwargs):
        self.max_values = max_values
        self.max_length = max_length
        super().__init__(**kwargs)

    def to_python(self, value) -> list[str]:
        if not value:
            return []
        raw = value if isinstance(value, list | tuple) else [value]
        values: list[str] = []
        for item in raw:
            if not isinstance(item, str):
                continue
            # PostgreSQL text cannot hold NUL, and no stored value contains one.
            for part in self.separators.split(item.replace("\x00", "")):
                if part and len(part) <= self.max_length and part.lower() not in values:
                    values.append(part.lower())
        return values[: self.max_values]


class MultipleTextFilter(django_filters.Filter):
    """Rows whose field equals any of the values, ignoring case."""

    field_class = MultipleTextField

    def filter(self, qs, value):
        if not value:
            return qs
        return qs.filter(reduce(or_, (Q(**{f"{self.field_name}__iexact": v}) for v in value)))

    def chip_values(self, name: str, value, data: QueryDict) -> list[tuple[str, str, str]]:
        chips = []
        for raw in data.getlist(name):
            parts = MultipleTextField.separators.split(raw.strip())
            if raw.strip() and all(part.lower() in value for part in parts if part):
                chips.append((name, raw, raw.strip()))
        return chips


class DateRangeInput(django_filters.widgets.DateRangeWidget):
    """Two native date pickers, each with its own accessible name."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"type": "date", **(attrs or {})})
        self.widgets[0].attrs["aria-label"] = _("From")
        self.widgets[1].attrs["aria-label"] = _("To")


class DateRangeFilter(django_filters.DateFromToRangeFilter):
    """`?name_after=` and `?name_before=`, either one optional."""

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("widget", DateRangeInput())
        super().__init__(*args, **kwargs)

    def chip_values(self, name: str, value, data: QueryDict) -> list[tuple[str, str, str]]:
        chips = []
        if value.start is not None:
            day = date_format(value.start.date(), "SHORT_DATE_FORMAT")
            chips.append(
                (
                    f"{name}_after",
                    data.get(f"{name}_after", ""),
                    _("from %(date)s") % {"date": day},
                )
            )
        if value.stop is not None:
            day = date_format(value.stop.date(), "SHORT_DATE_FORMAT")
            chips.append(
                (
                    f"{name}_before",
                    data.get(f"{name}_before", ""),
                    _("until %(date)s") % {"date": day},
                )
            )
        return chips


class TieBreakingOrderingFilter(django_filters.OrderingFilter):
    """Order by the chosen column, then by id, so pages never overlap."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        descending = ordering[0].startswith("-")
        return qs.order_by(*ordering, "-pk" if descending else "pk")


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with `?q=` search and `?sort=` ordering.

    Values that do not validate are ignored, so a bad parameter narrows
    nothing instead of failing. Subclasses list `sort` as a
    TieBreakingOrderingFilter of (field, param) pairs.
    """

    q = SearchFilter(method="filter_search", label=_("Search"))

    def filter_search(self, queryset, name, value):
        return queryset.search(value)

    def chips(self) -> list[Chip]:
        """Return each chosen filter value with a link to the list without it."""
        if not self.is_bound:
            return []
        self.errors  # noqa: B018  (validates; cleaned_data then holds the fields that passed)
        cleaned = self.form.cleaned_data
        chips = []
        for name, filter_ in self.filters.items():
            value = cleaned.get(name)
            if not hasattr(filter_, "chip_values") or value in (None, "", [], ()):
                continue
            for key, raw, shown in filter_.chip_values(name, value, self.data):
                chips.append(Chip(str(filter_.label), shown, _without(self.data, key, raw), key))
        return chips
