"""A list page kept whole in the cache and served again until anything on it may have changed.

Rendering a list page (the rows with their links, badges and dates, the
filter form, the column chooser, the saved views) costs several times what the
rest of a request does. A member opening the same page again, or someone with
the same permissions, gets the stored copy while nothing changed. The key holds
what the page is made of:

- the records' generation (camp.records.cache), new after every write to a
  user or a post, so a page is never served after a record changed through the
  ORM, a bulk action, an import or a restore; writes that bypass signals
  (`QuerySet.update()` from the shell) show after LIST_PAGE_CACHE_SECONDS at
  most, or at once after `manage.py cache_clear`;
- the member (their name and saved views are on the page), their permissions,
  the language, the URL with its query, the list preferences, the filter
  panel's state and the bell's unread count.

A page with messages to show is never served from the cache nor stored. Each
CSRF token in the stored copy is a placeholder, filled with the request's own.
"""

import hashlib

from django.conf import settings
from django.contrib.messages import get_messages
from django.core.cache import cache
from django.middleware.csrf import get_token
from django.utils import translation

from camp.jobs.selectors import unread_count
from camp.records.cache import records_generation

#: Where each request's CSRF token goes in a stored page.
CSRF_PLACEHOLDER = "camp-list-page-csrf-token"


def _seconds(seconds: int | None) -> int:
    return settings.LIST_PAGE_CACHE_SECONDS if seconds is None else seconds


def list_page_key(
    request, *, list_name: str, preferences, seconds: int | None = None
) -> str | None:
    """The key of this request's page of `list_name`, or None if it is not to be cached.

    `seconds` is how long it may be served again: LIST_PAGE_CACHE_SECONDS if None.
    """
    if not _seconds(seconds) or request.method != "GET" or "view" in request.GET:
        return None
    if len(get_messages(request)):
        return None
    user = request.user
    parts = (
        records_generation(),
        list_name,
        user.pk,
        user.is_superuser,
        # A superuser has every permission, with no query to say so.
        "all" if user.is_superuser else sorted(user.get_all_permissions()),
        translation.get_language(),
        request.get_full_path(),
        preferences,
        unread_count(user_id=user.pk),
    )
    return "list-page:" + hashlib.sha256(repr(parts).encode()).hexdigest()


def list_page_cached(request, key: str) -> str | None:
    """The stored page under `key`, with the request's CSRF token, or None."""
    html = cache.get(key)
    if html is None:
        return None
    return html.replace(CSRF_PLACEHOLDER, get_token(request))


def list_page_store(request, key: str, html: str, *, seconds: int | None = None) -> str:
    """Store a page rendered with the placeholder token; return it with the request's token."""
    cache.set(key, html, timeout=_seconds(seconds))
    return html.replace(CSRF_PLACEHOLDER, get_token(request))
