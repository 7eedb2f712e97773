"""Admin pieces shared by Camp's model admins."""

import csv

from django.http import StreamingHttpResponse
from django.utils.translation import gettext_lazy as _
from simple_history.admin import SimpleHistoryAdmin

from .locking import VersionedFormMixin, save_versioned
from .paginator import EstimatedCountPaginator


class Echo:
    """A file-like object whose write() returns the line, for streaming CSV."""

    def write(self, value: str) -> str:
        return value


class CampModelAdmin(SimpleHistoryAdmin):
    """History with field diffs and revert; no full-table COUNT(*) on big changelists."""

    paginator = EstimatedCountPaginator

    def save_model(self, request, obj, form, change):
        if change and isinstance(form, VersionedFormMixin):
            # The change view runs in a transaction: the version check holds
            # the row lock until the whole change is committed.
            obj._history_user = request.user
            save_versioned(obj, expected=form.cleaned_data.get("version"))
            return
        super().save_model(request, obj, form, change)

    show_full_result_count = False
    csv_fields: tuple[str, ...] = ()

    def export_as_csv(self, request, queryset):
        """Stream the selected rows as CSV, UTF-8 with a BOM so Excel reads Japanese."""
        fields = [self.model._meta.get_field(name) for name in self.csv_fields]
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
