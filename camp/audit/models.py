from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One security event: who did what, when, from where, to what.

    Rows are only ever added. No page edits or deletes them, and on
    PostgreSQL a trigger (migration 0002) refuses UPDATE and DELETE, except
    the prune past the retention period (`manage.py prune_audit`) and the
    SET NULL of `actor` when an account is deleted: `actor_username` keeps
    the name.
    """

    class Event(models.TextChoices):
        LOGIN = "login", _("Logged in")
        LOGIN_FAILED = "login_failed", _("Login failed")
        LOCKED_OUT = "locked_out", _("Locked out")
        LOGOUT = "logout", _("Logged out")
        MFA_ADDED = "mfa_added", _("Second factor added")
        MFA_REMOVED = "mfa_removed", _("Second factor removed")
        MFA_RESET = "mfa_reset", _("Recovery codes regenerated")
        MFA_USED = "mfa_used", _("Second factor used")
        MFA_FAILED = "mfa_failed", _("Second factor rejected")
        RECOVERY_CODE_USED = "recovery_code_used", _("Recovery code used")
        PASSWORD_CHANGED = "password_changed", _("Password changed")
        PASSWORD_RESET = "password_reset", _("Password reset by email")
        EMAIL_CHANGED = "email_changed", _("Email address changed")
        SESSION_ENDED = "session_ended", _("Session ended")
        SESSION_CLIENT_CHANGED = "session_client_changed", _("Session changed client")
        FLAGS_CHANGED = "flags_changed", _("Flags changed")
        PERMISSIONS_CHANGED = "permissions_changed", _("Permissions changed")
        GROUPS_CHANGED = "groups_changed", _("Groups changed")
        EXPORT = "export", _("Exported")
        IMPORT = "import", _("Imported")
        BULK_ACTION = "bulk_action", _("Bulk action")

    created_at = models.DateTimeField(_("when"), default=timezone.now)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("member"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    #: The actor's username when it happened: the record outlives the account.
    actor_username = models.CharField(_("member"), max_length=150, blank=True)
    event = models.CharField(_("event"), max_length=32, choices=Event.choices)
    #: What the event was about: a model label ("users.user"), its id and how it read.
    target_type = models.CharField(_("target type"), max_length=100, blank=True)
    target_id = models.CharField(_("target id"), max_length=64, blank=True)
    target_repr = models.CharField(_("target"), max_length=200, blank=True)
    ip_address = models.GenericIPAddressField(_("address"), null=True, blank=True)
    user_agent = models.CharField(_("client"), max_length=512, blank=True)
    #: A few facts about the event; never a secret, password, token or code.
    details = models.JSONField(_("details"), default=dict, blank=True, encoder=DjangoJSONEncoder)

    class Meta:
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        ordering = ["-created_at", "-id"]
        # No add/change/delete permission: the log is written by code only.
        default_permissions = ("view",)
        indexes = [
            # The page's order, and seeking through it.
            models.Index(fields=["-created_at", "-id"], name="audit_created_idx"),
            # Filters: by member (as actor or as the account acted on) and by event.
            models.Index(fields=["actor_username", "-created_at"], name="audit_actor_idx"),
            models.Index(
                fields=["target_type", "target_repr", "-created_at"], name="audit_target_idx"
            ),
            models.Index(fields=["event", "-created_at"], name="audit_event_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.created_at:%Y-%m-%d %H:%M:%S} {self.actor_username or '-'} {self.event}"
