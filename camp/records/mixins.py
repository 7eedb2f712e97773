from django.contrib.auth.mixins import PermissionRequiredMixin

from .locking import VersionConflict
from .presence import presence_enter, presence_leave


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


class EditingPresenceMixin:
    """Tell an editor who else has this record's edit page open, and since when."""

    def presence_record(self) -> str:
        return f"{self.object._meta.label_lower}:{self.object.pk}"

    def get_context_data(self, **kwargs):
        others = presence_enter(
            record=self.presence_record(),
            user_id=self.request.user.pk,
            username=self.request.user.get_username(),
        )
        return super().get_context_data(other_editors=others, **kwargs)

    def form_valid(self, form):
        response = super().form_valid(form)
        presence_leave(record=self.presence_record(), user_id=self.request.user.pk)
        return response
