from django.contrib import admin

from camp.lists.paginator import EstimatedCountPaginator

from .models import AuditEvent


@admin.register(AuditEvent)
class AuditEventAdmin(admin.ModelAdmin):
    """The audit log, read-only even for superusers: the log is append-only."""

    list_display = ("created_at", "actor_username", "event", "target_repr", "ip_address")
    list_filter = ("event",)
    search_fields = ("actor_username", "target_repr")
    paginator = EstimatedCountPaginator
    show_full_result_count = False
    actions = None
    readonly_fields = [field.name for field in AuditEvent._meta.fields]

    def has_view_permission(self, request, obj=None) -> bool:
        return request.user.is_active and request.user.is_superuser

    def has_add_permission(self, request) -> bool:
        return False

    def has_change_permission(self, request, obj=None) -> bool:
        return False

    def has_delete_permission(self, request, obj=None) -> bool:
        return False
