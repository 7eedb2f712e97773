"""Admin pieces shared by Camp's model admins."""

import csv
from datetime import datetime
from functools import cache

from django.contrib.admin import helpers
from django.core.exceptions import PermissionDenied
from django.db.models import Max, Min
from django.http import StreamingHttpResponse
from django.utils import timezone
from django.utils.safestring import SafeString
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from camp.audit.services import audit_export
from camp.records.locking import VersionConflict, VersionedFormMixin, save_versioned

from .admin_rows import esc
from .paginator import EstimatedCountPaginator

_ACTION_NAME = esc(helpers.ACTION_CHECKBOX_NAME)


class Echo:
    """A file-like object whose write() returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


class YearRangeDatesMixin:
    """List a date hierarchy's years from MIN and MAX instead of DISTINCT over every row.

    Django admin's date_hierarchy asks for the distinct years of the whole
    table on every changelist load: a full scan (about 1 s on a million
    posts). The bounds come from the index in a millisecond; the years
    between them are listed even if one had no rows, which a three-year-old
    table never shows.
    """

    def aggregate(self, *args, **kwargs):
        """Answer a repeated aggregate of this very queryset from memory.

        The date hierarchy asks for MIN/MAX of its field to pick its level,
        then `datetimes()` below asks again: one query instead of two.
        """
        if args:
            return super().aggregate(*args, **kwargs)
        key = tuple(sorted((name, repr(value)) for name, value in kwargs.items()))
        remembered = self.__dict__.setdefault("_camp_aggregates", {})
        if key not in remembered:
            remembered[key] = super().aggregate(**kwargs)
        return dict(remembered[key])

    def datetimes(self, field_name, kind, order="ASC", tzinfo=None):
        if kind != "year":
            return super().datetimes(field_name, kind, order, tzinfo)
        bounds = self.aggregate(first=Min(field_name), last=Max(field_name))
        if bounds["first"] is None:
            return []
        zone = tzinfo or timezone.get_current_timezone()
        first = timezone.localtime(bounds["first"], zone).year
        last = timezone.localtime(bounds["last"], zone).year
        years = [datetime(year, 1, 1, tzinfo=zone) for year in range(first, last + 1)]
        return years if order == "ASC" else years[::-1]


@cache
def _with_year_range(queryset_class: type) -> type:
    return type(f"YearRange{queryset_class.__name__}", (YearRangeDatesMixin, queryset_class), {})


class CampModelAdmin(SimpleHistoryAdmin):
    """History with field diffs and revert; no full-table COUNT(*) on big changelists."""

    paginator = EstimatedCountPaginator
    #: Django's changelist with the rows of camp.lists.admin_rows.
    change_list_template = "admin/camp/change_list.html"

    def get_queryset(self, request):
        queryset = super().get_queryset(request)
        if self.date_hierarchy:
            queryset.__class__ = _with_year_range(type(queryset))
        return queryset

    def history_form_view(self, request, object_id, version_id, extra_context=None):
        """Revert only for those who may change the record; viewing an old version needs view.

        django-simple-history lets anyone who may view the history POST its
        revert form, which saves: a view-only member could edit that way.
        """
        if request.method == "POST" and not self.has_change_permission(
            request, self.get_object(request, object_id)
        ):
            raise PermissionDenied
        return super().history_form_view(request, object_id, version_id, extra_context)

    def changeform_view(self, request, object_id=None, form_url="", extra_context=None):
        """Answer a save that lost the race to another editor with the form again, input kept.

        The conflict surfaces in save_model, after the form validated; the
        change view's transaction is rolled back by then. The other save has
        committed (this one waited for its row lock), so validating the same
        request again refuses it the way the dashboard does: the form, the
        conflict message and what the other person changed.
        """
        # Each retry follows a save someone else committed; only a third lost
        # race in a row (four editors on one row) would still end in an error.
        for _attempt in range(2):
            try:
                return super().changeform_view(request, object_id, form_url, extra_context)
            except VersionConflict:
                continue
        return super().changeform_view(request, object_id, form_url, extra_context)

    def save_model(self, request, obj, form, change):
        if change and isinstance(form, VersionedFormMixin):
            # The change view runs in a transaction: the version check holds
            # the row lock until the whole change is committed.
            obj._history_user = request.user
            save_versioned(obj, expected=form.cleaned_data.get("version"))
            return
        super().save_model(request, obj, form, change)

    show_full_result_count = False

    def action_checkbox(self, obj):
        """The row's checkbox, as Django's widget renders it, without its template.

        Rendering a CheckboxInput through the form renderer for each of 100
        rows was about a third of the changelist's time; format_html's lazy
        wrappers were most of what was left.
        """
        # As format_html: the translated text as it is, the object's name escaped.
        label = gettext("Select this object for an action - {}").format(esc(str(obj)))
        return SafeString(
            f'<input type="checkbox" name="{_ACTION_NAME}" value="{esc(str(obj.pk))}"'
            f' class="action-select" aria-label="{label}">'
        )

    csv_fields: tuple[str, ...] = ()

    def export_as_csv(self, request, queryset):
        """Stream the selected rows as CSV, UTF-8 with a BOM so Excel reads Japanese."""
        fields = [self.model._meta.get_field(name) for name in self.csv_fields]
        audit_export(request=request, list_name=f"admin:{self.model._meta.label_lower}", fmt="csv")
        writer = csv.writer(Echo())

        def rows():
            yield "\ufeff" + writer.writerow([str(f.verbose_name) for f in fields])
            for obj in queryset.iterator(chunk_size=2000):
                yield writer.writerow([f.value_to_string(obj) for f in fields])

        name = self.model._meta.model_name
        return StreamingHttpResponse(
            rows(),
            content_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="{name}s.csv"'},
        )

    export_as_csv.short_description = _("Export selected as CSV")
