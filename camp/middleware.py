"""Middleware that keeps a failing database from turning into a traceback."""

import logging

from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.template import loader
from django.utils.cache import add_never_cache_headers

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
