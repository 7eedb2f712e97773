"""Staff set up a second factor before they work; each session notes when it was last used."""

import time

from allauth.mfa.utils import is_mfa_enabled
from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

#: Paths a staff member without a second factor may still use: setting one up
#: (and everything else under accounts/, logout included), switching language,
#: static files and the probes.
EXEMPT_PREFIXES = ("/accounts/", "/i18n/", "/static/", "/healthz", "/readyz", "/metrics")


class RequireMFAMiddleware:
    """Send staff who have no second factor to the page that sets one up.

    On when CAMP_REQUIRE_MFA is: a stolen password alone must not open the
    dashboard or the admin. Members who are not staff cannot use either, so
    they are left alone.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if self._must_set_up(request):
            return redirect("mfa_activate_totp")
        return self.get_response(request)

    @staticmethod
    def _must_set_up(request: HttpRequest) -> bool:
        if not settings.CAMP_REQUIRE_MFA:
            return False
        user = request.user
        if not (user.is_authenticated and user.is_staff):
            return False
        if request.path_info.startswith(EXEMPT_PREFIXES):
            return False
        return not is_mfa_enabled(user)


class SessionLastSeenMiddleware:
    """Note when each signed-in session was last used, at most every few minutes.

    The sessions page shows it. allauth can track every request
    (USERSESSIONS_TRACK_ACTIVITY), at two or three queries each; a session
    seen a minute ago gains nothing from being seen again, so the time is
    written when the session has not been noted for SESSION_SEEN_INTERVAL
    seconds, and the moment it was noted is kept in the session itself.
    """

    KEY = "camp_seen_at"

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        # Only a request that already looked the member up: /healthz and the
        # like touch neither the session nor the database, and must not here.
        session = getattr(request, "session", None)
        user = getattr(request, "_cached_user", None)
        if session is None or user is None or not session.accessed:
            return response
        if not (session.session_key and user.is_authenticated):
            return response
        now = time.time()
        if now - session.get(self.KEY, 0) >= settings.SESSION_SEEN_INTERVAL:
            from allauth.usersessions.models import UserSession

            UserSession.objects.create_from_request(request, user=user, session=session)
            session[self.KEY] = now
        return response
