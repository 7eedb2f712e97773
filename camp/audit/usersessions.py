"""allauth's sessions page, recording each session a member ends.

allauth sends no signal when sessions are ended, but every ending goes
through its adapter's `end_sessions`. With `allauth.usersessions` installed,
set `USERSESSIONS_ADAPTER = "camp.audit.usersessions.AuditUserSessionsAdapter"`.
"""

from allauth.usersessions.adapter import DefaultUserSessionsAdapter

from .receivers import record_sessions_ended


class AuditUserSessionsAdapter(DefaultUserSessionsAdapter):
    def end_sessions(self, sessions) -> None:
        sessions = list(sessions)
        super().end_sessions(sessions)
        record_sessions_ended(request=self.request, sessions=sessions)
