"""Pieces shared by the list filters of every app."""

import django_filters
from django.utils.translation import gettext_lazy as _


class SearchFilterSet(django_filters.FilterSet):
    """A FilterSet with `?q=` search and `?sort=` ordering.

    Values that do not validate are ignored, so a bad parameter narrows
    nothing instead of failing. Subclasses set `search_method` to the
    QuerySet method that searches and list `sort_fields` as (param, field).
    """

    q = django_filters.CharFilter(method="filter_search", label=_("Search"))

    def filter_search(self, queryset, name, value):
        return queryset.search(value)


class DateRangeInput(django_filters.widgets.DateRangeWidget):
    """Two native date pickers, each with its own accessible name."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"type": "date", **(attrs or {})})
        self.widgets[0].attrs["aria-label"] = _("From")
        self.widgets[1].attrs["aria-label"] = _("To")


class TieBreakingOrderingFilter(django_filters.OrderingFilter):
    """Order by the chosen column, then by id, so pages never overlap."""

    def filter(self, qs, value):
        if not value:
            return qs
        ordering = [self.get_ordering_value(param) for param in value]
        descending = ordering[0].startswith("-")
        return qs.order_by(*ordering, "-pk" if descending else "pk")
