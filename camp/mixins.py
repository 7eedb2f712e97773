from django.contrib.auth.mixins import PermissionRequiredMixin


class StaffRequiredMixin(PermissionRequiredMixin):
    """Let in logged-in staff holding `permission_required`.

    Anonymous users are sent to the login page; everyone else who falls short
    gets 403, for GET and POST alike.
    """

    permission_required: str | tuple[str, ...] = ()

    def has_permission(self) -> bool:
        user = self.request.user
        return user.is_active and user.is_staff and super().has_permission()
