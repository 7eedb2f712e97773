from dataclasses import dataclass, fields
from datetime import datetime

from django.db.models import QuerySet
from django.http import QueryDict
from django.urls import reverse

from camp.records.cache import get_or_load, invalidate

from .filters import UserFilterSet
from .models import User, UserQuerySet


def user_list(*, params: QueryDict | dict | None = None) -> UserFilterSet:
    """Return the filter set for the user list; its `.qs` is the filtered list.

    The post count is an annotation, so a page of users costs one query.
    """
    queryset = User.objects.with_post_count().order_by(*User._meta.ordering)
    return UserFilterSet(params or None, queryset=queryset)


def user_matching(*, params: QueryDict) -> UserQuerySet:
    """Every user the list with `params` shows, in no particular order, for bulk actions."""
    params = params.copy()
    # Sorting may name the post count, which only the list annotates.
    params.pop("sort", None)
    return UserFilterSet(params or None, queryset=User.objects.all()).qs.order_by()


def user_by_ids(*, ids: list[int]) -> UserQuerySet:
    return User.objects.filter(pk__in=ids)


def user_bulk_targets(*, params: dict) -> UserQuerySet:
    """The users a bulk action chose: all matching `params["query"]`, or the ticked ids."""
    if params["scope"] == "all":
        return user_matching(params=QueryDict(params["query"]))
    return user_by_ids(ids=params["ids"])


def user_bulk_preview(*, rows: UserQuerySet, limit: int) -> list[User]:
    """The first `limit` of the users a bulk action will change, in the list's order."""
    return list(rows.order_by(*User._meta.ordering)[:limit])


def user_detail_queryset() -> UserQuerySet:
    return User.objects.with_post_count()


def _posts() -> QuerySet:
    """Every post, through the reverse relation: posts builds on users, never the reverse."""
    return User._meta.get_field("posts").related_model.objects.all()


def user_posts(*, user_id: int) -> QuerySet:
    return _posts().filter(author_id=user_id)


def user_suggestions(*, query: str, limit: int = 10) -> list[dict[str, str]]:
    """Return up to `limit` active users whose username starts with `query`."""
    # PostgreSQL text cannot hold NUL, and no stored value contains one.
    query = query.replace("\x00", "").strip()
    if not query:
        return []
    users = User.objects.filter(is_active=True, username__istartswith=query).order_by("username")
    return list(users.values("username", "name")[:limit])


def user_recent_posts(*, user: User, limit: int = 10) -> list:
    return list(_posts().filter(author=user).order_by("-created_at", "-id")[:limit])


#: Bump when the shape of a cached user summary changes: old entries are then never read.
USER_SUMMARY_VERSION = 2


@dataclass(frozen=True)
class UserSummary:
    """What the dashboard shows about a user, as plain data safe to cache."""

    id: int
    username: str
    email: str
    name: str
    is_active: bool
    is_staff: bool
    is_superuser: bool
    date_joined: datetime
    last_login: datetime | None
    post_count: int
    version: int = 0
    #: (status, label, count) for each post status, in the statuses' order.
    status_counts: tuple = ()

    @classmethod
    def from_cache(cls, row: dict) -> "UserSummary":
        """Build from cached plain data, where datetimes are ISO 8601 strings."""
        values = dict(row)
        for name in ("date_joined", "last_login"):
            if isinstance(values[name], str):
                values[name] = datetime.fromisoformat(values[name])
        labels = dict(_post_statuses())
        values["status_counts"] = tuple(
            (status, labels.get(status, status), count)
            for status, count in values.get("status_counts") or ()
        )
        return cls(**values)

    @property
    def pk(self) -> int:
        return self.id

    def get_absolute_url(self) -> str:
        return reverse("users:detail", kwargs={"pk": self.id})


def user_summary_key(user_id: int) -> str:
    return f"user:{user_id}"


def _post_statuses() -> list[tuple[str, str]]:
    return list(_posts().model._meta.get_field("status").choices)


def _load_user_summary(user_id: int) -> dict | None:
    statuses = [status for status, _label in _post_statuses()]
    row = (
        User.objects.with_post_count()
        .with_status_counts()
        .filter(pk=user_id)
        .values(
            *(f.name for f in fields(UserSummary) if f.name != "status_counts"),
            *(f"posts_{status}" for status in statuses),
        )
        .first()
    )
    if row is None:
        return None
    # Labels are looked up when read, in the reader's language.
    row["status_counts"] = [[status, row.pop(f"posts_{status}")] for status in statuses]
    # Plain, serializer-neutral data: no model instances, datetimes as text.
    for name in ("date_joined", "last_login"):
        row[name] = row[name].isoformat() if row[name] else None
    return row


def user_summary(*, user_id: int) -> UserSummary | None:
    """Return the summary of a user from the cache (`user:{id}`), loading it on a miss.

    Cached as a plain dict for CACHE_TTL seconds; every write to the user or
    their posts invalidates it (see camp/dashboard/invalidation.py).
    """
    row = get_or_load(
        user_summary_key(user_id),
        lambda: _load_user_summary(user_id),
        version=USER_SUMMARY_VERSION,
    )
    return UserSummary.from_cache(row) if row else None


def user_summary_invalidate(*user_ids: int) -> None:
    invalidate(*(user_summary_key(i) for i in user_ids if i), version=USER_SUMMARY_VERSION)
