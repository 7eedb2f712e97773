from django.contrib.auth.mixins import PermissionRequiredMixin

from .locking import VersionConflict


class StaffRequiredMixin(PermissionRequiredMixin):
    """Let in logged-in staff holding `permission_required`.

    Anonymous users are sent to the login page; everyone else who falls short
    gets 403, for GET and POST alike.
    """

    permission_required: str | tuple[str, ...] = ()

    def has_permission(self) -> bool:
        user = self.request.user
        return user.is_active and user.is_staff and super().has_permission()


class VersionConflictMixin:
    """Turn a save that lost the race to another editor into the form again, input kept."""

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except VersionConflict as conflict:
            form.check_version(conflict.current.version if conflict.current else None)
            return self.form_invalid(form)
