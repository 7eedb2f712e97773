"""Middleware: a failing database answers 503, not a traceback; private pages stay private."""

import logging

from django.conf import settings
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.utils.cache import add_never_cache_headers
from django.utils.functional import SimpleLazyObject, empty

logger = logging.getLogger("camp.database")


def database_unavailable_response(request: HttpRequest, retry_after: int) -> HttpResponse:
    """Return the 503 page, rendered without touching the database."""
    # Whatever asks for the user from here on (the request log on the way
    # out) would try the failed lookup again.
    request.user = AnonymousUser()
    # A plain context, not the context processors: the auth one would look the
    # user up. The layout's language switcher still gets its form token.
    context = {"request": request, "csrf_token": get_token(request), "retry_after": retry_after}
    content = loader.get_template("503.html").render(context)
    response = HttpResponse(content, status=503)
    response["Retry-After"] = str(retry_after)
    add_never_cache_headers(response)
    return response


class DatabaseUnavailableMiddleware:
    """Answer 503 with Retry-After when PostgreSQL cannot be reached.

    psycopg's connection errors (and the pool's timeout) reach views as
    OperationalError or InterfaceError; a short outage or restart is worth a
    retry, not a 500.
    """

    retry_after = 30

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        logger.error("Database unavailable: %s", exception)
        return database_unavailable_response(request, self.retry_after)


class PrivateResponseMiddleware:
    """Send every response made for a member with `Cache-Control: private, no-store`.

    Pages behind the login and exports hold what only staff may see (the
    users export holds every email address): no shared proxy may keep them,
    and no browser may keep them on disk for the next person at the desk.
    A response is marked when the request carries a session cookie or has
    already found a logged-in member; the member is never looked up here, so
    this costs no query. Visitors without a session (health checks, the
    login page's first load) and static files, which WhiteNoise serves before
    this runs, keep their own headers.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if settings.SESSION_COOKIE_NAME in request.COOKIES or _found_member(request):
            add_never_cache_headers(response)
        return response


def _found_member(request: HttpRequest) -> bool:
    """Whether the request already looked up its user and found a logged-in one."""
    user = request.__dict__.get("user")
    if user is None or (isinstance(user, SimpleLazyObject) and user._wrapped is empty):
        return False
    return user.is_authenticated
