"""Where the audit log hears about security events: Django's, django-axes' and allauth's signals.

Flag, permission, group and password changes are heard from model signals
on purpose (against STYLE.md's "no business flows in signals"): they must be
recorded however they happen — the dashboard, the admin, an import, allauth's
pages, `manage.py shell` — and only the model sees every one of those paths.
Lists changed with one UPDATE (the bulk actions) send no model signal; the
bulk action itself is recorded, with its row count, by `camp.lists.listviews`.
"""

from types import ModuleType

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group, Permission
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.db.models.signals import m2m_changed, post_save, pre_save

from .models import AuditEvent
from .services import audit_record, current_request

Event = AuditEvent.Event

#: The flags that decide what an account may do.
FLAGS = ("is_active", "is_staff", "is_superuser")


def _known_user(credentials: dict):
    """The account a login attempt names (by username, or by email as allauth may), or None.

    Only an existing account is recorded: someone who typed their password
    into the username box must not leave it in the log.
    """
    model = get_user_model()
    manager = model._default_manager
    if username := credentials.get(model.USERNAME_FIELD):
        return manager.filter(**{model.USERNAME_FIELD: str(username)[:150]}).first()
    if email := credentials.get("email"):
        return manager.filter(email__iexact=str(email)[:254]).first()
    return None


# Logging in and out (Django's signals: every way in, the admin and allauth included).


def on_logged_in(sender, request, user, **kwargs) -> None:
    audit_record(event=Event.LOGIN, request=request, actor=user, target=user)


def on_logged_out(sender, request, user, **kwargs) -> None:
    if user is not None:
        audit_record(event=Event.LOGOUT, request=request, actor=user, target=user)


#: What a failure reported for the second-factor step carries in its credentials:
#: that step's own signal records it (MFA_FAILED), so it is not a second event.
SECOND_FACTOR_STEP = "second_factor"


def on_login_failed(sender, credentials, request=None, **kwargs) -> None:
    if credentials.get("step") == SECOND_FACTOR_STEP:
        return
    account = _known_user(credentials)
    audit_record(
        event=Event.LOGIN_FAILED,
        request=request,
        actor=None,
        target=account,
        details={"known_account": account is not None},
    )


def on_locked_out(sender, request, username, ip_address, **kwargs) -> None:
    account = _known_user({get_user_model().USERNAME_FIELD: username})
    audit_record(
        event=Event.LOCKED_OUT,
        request=request,
        actor=None,
        target=account,
        details={"known_account": account is not None},
    )


# Flags, permissions, groups and passwords (model signals: every path).


def on_user_pre_save(sender, instance, raw=False, update_fields=None, **kwargs) -> None:
    if raw or instance._state.adding or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(FLAGS):
        return
    instance._audit_flags = sender._default_manager.filter(pk=instance.pk).values(*FLAGS).first()


def on_user_post_save(sender, instance, created, raw=False, **kwargs) -> None:
    if raw:
        return
    old = instance.__dict__.pop("_audit_flags", None)
    request = current_request()
    if created:
        changes = {f: [None, getattr(instance, f)] for f in FLAGS if f != "is_active"}
        changes = {f: v for f, v in changes.items() if v[1]}
    elif old is not None:
        changes = {
            f: [old[f], getattr(instance, f)] for f in FLAGS if old[f] != getattr(instance, f)
        }
    else:
        changes = {}
    if changes:
        audit_record(
            event=Event.FLAGS_CHANGED,
            request=request,
            target=instance,
            details={"changes": changes, "created": created},
        )
    # set_password() keeps the new password in `_password` until the save
    # after it; a hash upgraded at login is saved without it.
    if not created and getattr(instance, "_password", None) is not None:
        audit_record(event=Event.PASSWORD_CHANGED, request=request, target=instance)
        instance._audit_password_recorded = True


def _names(model, pks) -> list[str]:
    if model is Permission:
        rows = Permission.objects.filter(pk__in=pks).select_related("content_type")
        return sorted(f"{p.content_type.app_label}.{p.codename}" for p in rows)
    if model is Group:
        return sorted(Group.objects.filter(pk__in=pks).values_list("name", flat=True))
    return sorted(str(obj) for obj in model._default_manager.filter(pk__in=pks))


def _m2m_receiver(event: str, field: str):
    """A receiver for one of the user's many-to-many relations (`field`), both sides."""

    def receiver(sender, instance, action, reverse, model, pk_set, **kwargs) -> None:
        user_model = get_user_model()
        if action == "pre_clear":
            # What is about to go: clear() sends no ids.
            related = getattr(instance, field) if not reverse else instance.user_set
            instance._audit_cleared = set(related.values_list("pk", flat=True))
            return
        if action not in ("post_add", "post_remove", "post_clear"):
            return
        if action == "post_clear":
            pk_set = instance.__dict__.pop("_audit_cleared", set())
        if not pk_set:
            return
        key = "added" if action == "post_add" else "removed"
        request = current_request()
        if not reverse:
            audit_record(
                event=event,
                request=request,
                target=instance,
                details={key: _names(model, pk_set)},
            )
            return
        # Members added to or taken from a group or permission: one event per member.
        for user in user_model._default_manager.filter(pk__in=pk_set):
            audit_record(
                event=event,
                request=request,
                target=user,
                details={key: _names(type(instance), [instance.pk])},
            )

    return receiver


on_user_permissions_changed = _m2m_receiver(Event.PERMISSIONS_CHANGED, "user_permissions")
on_user_groups_changed = _m2m_receiver(Event.GROUPS_CHANGED, "groups")


def on_group_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    """A group's permissions changed: everyone in it gained or lost them."""
    if action not in ("post_add", "post_remove") or not pk_set:
        return
    key = "added" if action == "post_add" else "removed"
    groups = [instance] if not reverse else list(Group.objects.filter(pk__in=pk_set))
    permissions = [instance.pk] if reverse else pk_set
    for group in groups:
        audit_record(
            event=Event.PERMISSIONS_CHANGED,
            request=current_request(),
            target=group,
            details={key: _names(Permission, permissions)},
        )


# allauth: passwords, email addresses, second factors, sessions.


def on_password_changed(sender, request, user, **kwargs) -> None:
    # The save under it was recorded already (on_user_post_save); this only
    # catches a change allauth might make without one.
    if not getattr(user, "_audit_password_recorded", False):
        audit_record(event=Event.PASSWORD_CHANGED, request=request, actor=user, target=user)


def on_password_reset(sender, request, user, **kwargs) -> None:
    audit_record(event=Event.PASSWORD_RESET, request=request, actor=user, target=user)


def on_email_changed(sender, request, user, from_email_address, to_email_address, **kwargs):
    audit_record(
        event=Event.EMAIL_CHANGED,
        request=request,
        target=user,
        details={
            "from": getattr(from_email_address, "email", None),
            "to": getattr(to_email_address, "email", None),
        },
    )


def _factor(authenticator) -> dict:
    # The type only: an authenticator's data holds its secret.
    return {"type": str(authenticator.type)}


def on_authenticator_added(sender, request, user, authenticator, **kwargs) -> None:
    audit_record(
        event=Event.MFA_ADDED, request=request, target=user, details=_factor(authenticator)
    )


def on_authenticator_removed(sender, request, user, authenticator, **kwargs) -> None:
    audit_record(
        event=Event.MFA_REMOVED, request=request, target=user, details=_factor(authenticator)
    )


def on_authenticator_reset(sender, request, user, authenticator, **kwargs) -> None:
    audit_record(
        event=Event.MFA_RESET, request=request, target=user, details=_factor(authenticator)
    )


def on_authenticator_used(sender, request, user, authenticator, **kwargs) -> None:
    recovery = str(authenticator.type) == "recovery_codes"
    audit_record(
        event=Event.RECOVERY_CODE_USED if recovery else Event.MFA_USED,
        request=request,
        actor=user,
        target=user,
        details={
            **_factor(authenticator),
            "reauthenticated": bool(kwargs.get("reauthenticated")),
            "sole_factor": bool(kwargs.get("passwordless")),
        },
    )


def on_mfa_failed(sender, request, user, authenticator=None, **kwargs) -> None:
    audit_record(
        event=Event.MFA_FAILED,
        request=request,
        actor=None,
        target=user,
        details=_factor(authenticator) if authenticator is not None else {},
    )


def _session_facts(session) -> dict:
    # Never the session key: it is the session.
    return {"ip": getattr(session, "ip", None), "client": getattr(session, "user_agent", "")}


def on_session_client_changed(sender, request, from_session, to_session, **kwargs) -> None:
    audit_record(
        event=Event.SESSION_CLIENT_CHANGED,
        request=request,
        target=to_session.user,
        details={"from": _session_facts(from_session), "to": _session_facts(to_session)},
    )


def record_sessions_ended(*, request, sessions) -> None:
    """Record each session a member ends from the sessions page (see camp.audit.usersessions)."""
    request = request or current_request()
    for session in sessions:
        audit_record(
            event=Event.SESSION_ENDED,
            request=request,
            target=session.user,
            details=_session_facts(session),
        )


def connect_account(signals: ModuleType) -> None:
    """allauth.account's signals. Its user_logged_in is not among them: allauth
    logs in through django.contrib.auth.login, whose signal is recorded."""
    signals.password_changed.connect(on_password_changed, dispatch_uid="audit_password_changed")
    signals.password_set.connect(on_password_changed, dispatch_uid="audit_password_set")
    signals.password_reset.connect(on_password_reset, dispatch_uid="audit_password_reset")
    signals.email_changed.connect(on_email_changed, dispatch_uid="audit_email_changed")


def connect_mfa(signals: ModuleType) -> None:
    signals.authenticator_added.connect(on_authenticator_added, dispatch_uid="audit_mfa_added")
    signals.authenticator_removed.connect(
        on_authenticator_removed, dispatch_uid="audit_mfa_removed"
    )
    signals.authenticator_reset.connect(on_authenticator_reset, dispatch_uid="audit_mfa_reset")
    signals.authenticator_used.connect(on_authenticator_used, dispatch_uid="audit_mfa_used")
    signals.authentication_failed.connect(on_mfa_failed, dispatch_uid="audit_mfa_failed")


def connect_usersessions(signals: ModuleType) -> None:
    signals.session_client_changed.connect(
        on_session_client_changed, dispatch_uid="audit_session_client"
    )


def connect() -> None:
    from allauth.account import signals as account_signals
    from axes.signals import user_locked_out

    user_logged_in.connect(on_logged_in, dispatch_uid="audit_logged_in")
    user_logged_out.connect(on_logged_out, dispatch_uid="audit_logged_out")
    user_login_failed.connect(on_login_failed, dispatch_uid="audit_login_failed")
    user_locked_out.connect(on_locked_out, dispatch_uid="audit_locked_out")

    user_model = get_user_model()
    pre_save.connect(on_user_pre_save, sender=user_model, dispatch_uid="audit_user_pre")
    post_save.connect(on_user_post_save, sender=user_model, dispatch_uid="audit_user_post")
    m2m_changed.connect(
        on_user_permissions_changed,
        sender=user_model.user_permissions.through,
        dispatch_uid="audit_user_permissions",
    )
    m2m_changed.connect(
        on_user_groups_changed, sender=user_model.groups.through, dispatch_uid="audit_user_groups"
    )
    m2m_changed.connect(
        on_group_permissions_changed,
        sender=Group.permissions.through,
        dispatch_uid="audit_group_permissions",
    )

    # allauth.account's signals load without its app; mfa's and usersessions'
    # modules import their models, which exist only once the app is installed.
    connect_account(account_signals)
    if apps.is_installed("allauth.mfa"):
        from allauth.mfa import signals as mfa_signals

        connect_mfa(mfa_signals)
    if apps.is_installed("allauth.usersessions"):
        from allauth.usersessions import signals as usersessions_signals

        connect_usersessions(usersessions_signals)
