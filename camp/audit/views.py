from django.views import View
from django.views.generic import ListView

from camp.lists.exporting import csv_response, export_filename, export_header
from camp.lists.filters import list_query
from camp.lists.paginator import SeekPaginator
from camp.records.mixins import StaffRequiredMixin

from .models import AuditEvent
from .selectors import EXPORT_COLUMNS, audit_event_list, audit_export_rows
from .services import audit_record


class SuperuserRequiredMixin(StaffRequiredMixin):
    """Let in active staff who are superusers: the log shows what every member did."""

    def has_permission(self) -> bool:
        return super().has_permission() and self.request.user.is_superuser


class AuditEventListView(SuperuserRequiredMixin, ListView):
    # Superusers hold every permission; naming it keeps the view like the others.
    permission_required = "audit.view_auditevent"
    template_name = "audit/auditevent_list.html"
    context_object_name = "events"
    paginate_by = 50

    def get_queryset(self):
        self.filterset = audit_event_list(params=self.request.GET)
        return self.filterset.qs

    def get_paginator(self, queryset, per_page, **kwargs):
        return SeekPaginator(
            queryset,
            per_page,
            key=("created_at", "id"),
            after=self.request.GET.get("after"),
            before=self.request.GET.get("before"),
            **kwargs,
        )

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            filterset=self.filterset, list_query=list_query(self.request.GET), **kwargs
        )


class AuditEventExportView(SuperuserRequiredMixin, View):
    """The filtered log as CSV, streamed; the export is itself recorded."""

    permission_required = "audit.view_auditevent"
    http_method_names = ["get"]

    def get(self, request, *args, **kwargs):
        queryset = audit_event_list(params=request.GET).qs
        audit_record(
            event=AuditEvent.Event.EXPORT,
            request=request,
            details={"list": "audit", "format": "csv", "filters": list_query(request.GET)},
        )
        return csv_response(
            header=export_header(EXPORT_COLUMNS),
            rows=audit_export_rows(queryset),
            filename=export_filename("audit"),
        )
