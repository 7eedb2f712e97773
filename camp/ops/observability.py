"""Request ids and one structured log line per request."""

import logging
import re
import time
import uuid
from contextvars import ContextVar

from django.http import HttpRequest, HttpResponse

logger = logging.getLogger("camp.request")

#: The id of the request being served, for every log line written while serving it.
request_id_var: ContextVar[str] = ContextVar("request_id", default="-")

REQUEST_ID_HEADER = "X-Request-ID"
# An id from an upstream proxy is trusted only if it looks like one.
_VALID_ID = re.compile(r"^[A-Za-z0-9._:-]{1,64}$")


def request_id_from(request: HttpRequest) -> str:
    upstream = request.headers.get(REQUEST_ID_HEADER, "")
    return upstream if _VALID_ID.match(upstream) else uuid.uuid4().hex


class RequestLogMiddleware:
    """Give each request an id (kept from the proxy when valid), return it, log the request."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        request.request_id = request_id_from(request)
        token = request_id_var.set(request.request_id)
        started = time.perf_counter()
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            # Only a user this request already looked up: with PostgreSQL down,
            # a lookup here would turn the 503 page (or /healthz) into a 500.
            user = getattr(request, "_cached_user", None)
            logger.info(
                "%s %s %s",
                request.method,
                request.path,
                response.status_code,
                extra={
                    "method": request.method,
                    "path": request.path,
                    "status": response.status_code,
                    "duration_ms": round((time.perf_counter() - started) * 1000, 2),
                    "user_id": user.pk if user is not None and user.is_authenticated else None,
                },
            )
            return response
        finally:
            request_id_var.reset(token)


class RequestIdFilter(logging.Filter):
    """Stamp every log record with the id of the request being served."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        return True
