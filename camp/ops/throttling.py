"""How django-axes tells login attempts apart: the username and the client's address."""

import ipaddress

from django.conf import settings
from django.contrib.auth import get_user_model
from django.http import HttpRequest

# The width of axes' username columns.
MAX_LENGTH = 255


def attempted_username(request: HttpRequest, credentials: dict | None) -> str | None:
    """Return the username a login attempt names, fit to be stored.

    The login form does not enforce the username's length before it
    authenticates, and axes would store whatever was typed: PostgreSQL refuses
    a NUL character or a value longer than the column, which turned a silly
    login into a 500. No real username is that long, so cutting changes nothing.
    """
    if credentials:
        username = credentials.get(get_user_model().USERNAME_FIELD)
    else:
        # Before the form is read: allauth's login form calls the field "login".
        username = getattr(request, "data", request.POST).get("login")
    if username is None:
        return None
    return str(username).replace("\x00", "")[:MAX_LENGTH]


def client_address(request: HttpRequest) -> str | None:
    """Return the address of the client, as the outermost trusted proxy saw it.

    Each of the TRUSTED_PROXY_COUNT proxies in front of Camp appends the
    address it was connected from to X-Forwarded-For, so the client's is that
    many entries from the right; anything further left came from the client
    and may be forged. Without trusted proxies, or with a header too short to
    have come through them, the socket's address counts.
    """
    remote = request.META.get("REMOTE_ADDR")
    proxies = settings.TRUSTED_PROXY_COUNT
    if not proxies:
        return remote
    forwarded = [
        entry.strip() for entry in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
    ]
    if len(forwarded) < proxies:
        return remote
    try:
        return str(ipaddress.ip_address(forwarded[-proxies]))
    except ValueError:
        return remote
