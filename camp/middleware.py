"""Middleware that keeps a failing database from turning into a traceback."""

import logging

from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.template import loader
from django.utils.cache import add_never_cache_headers

logger = logging.getLogger("camp.database")


def database_unavailable_response(retry_after: int) -> HttpResponse:
    """Return the 503 page, rendered without touching the database."""
    # No request, so no context processors: the auth one would look the user up.
    # "NOTPROVIDED" renders the layout's {% csrf_token %} as nothing, quietly.
    context = {"retry_after": retry_after, "csrf_token": "NOTPROVIDED"}
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
        # Whatever asks for the user on the way out would try the lookup again.
        request.user = AnonymousUser()
        return database_unavailable_response(self.retry_after)
