"""Reads for the pages that span both apps: the dashboard home and global search."""

from dataclasses import dataclass
from datetime import date, timedelta

from django.conf import settings
from django.db.models import Count, Q
from django.db.models.functions import TruncDate
from django.utils import timezone

from camp.records.cache import get_or_load, invalidate
from posts.models import Post
from users.models import User


@dataclass(frozen=True)
class DayCount:
    day: date
    count: int


def dashboard_counts() -> dict[str, int]:
    """Count users (total, active, staff) and posts (total and per status): two queries."""
    users = User.objects.aggregate(
        total=Count("pk"),
        active=Count("pk", filter=Q(is_active=True)),
        staff=Count("pk", filter=Q(is_staff=True)),
    )
    posts = Post.objects.aggregate(
        total=Count("pk"),
        **{status: Count("pk", filter=Q(status=status)) for status in Post.Status.values},
    )
    return {
        "users_total": users["total"],
        "users_active": users["active"],
        "users_staff": users["staff"],
        "posts_total": posts["total"],
        **{f"posts_{status}": posts[status] for status in Post.Status.values},
    }


def posts_per_day(*, days: int = 30) -> list[DayCount]:
    """Posts created on each of the last `days` days (today included), in TIME_ZONE."""
    today = timezone.localdate()
    first = today - timedelta(days=days - 1)
    start = timezone.make_aware(timezone.datetime.combine(first, timezone.datetime.min.time()))
    rows = (
        Post.objects.filter(created_at__gte=start)
        .annotate(day=TruncDate("created_at", tzinfo=timezone.get_current_timezone()))
        .values("day")
        .annotate(count=Count("pk"))
        .order_by()
    )
    counts = {row["day"]: row["count"] for row in rows}
    return [
        DayCount(
            day=first + timedelta(days=offset), count=counts.get(first + timedelta(days=offset), 0)
        )
        for offset in range(days)
    ]


#: Bump when the shape of the cached dashboard statistics changes.
DASHBOARD_STATS_VERSION = 1
DASHBOARD_STATS_KEY = "dashboard:stats"


def _load_dashboard_stats(days: int) -> dict:
    return {
        "today": timezone.localdate().isoformat(),
        "counts": dashboard_counts(),
        "per_day": [(p.day.isoformat(), p.count) for p in posts_per_day(days=days)],
    }


def dashboard_stats(*, days: int = 30) -> tuple[dict[str, int], list[DayCount]]:
    """Return the home page counts and posts per day, from the cache when fresh."""
    stats = get_or_load(
        DASHBOARD_STATS_KEY,
        lambda: _load_dashboard_stats(days),
        ttl=settings.DASHBOARD_STATS_TTL,
        version=DASHBOARD_STATS_VERSION,
    )
    if stats["today"] != timezone.localdate().isoformat() or len(stats["per_day"]) != days:
        stats = _load_dashboard_stats(days)
    per_day = [DayCount(day=date.fromisoformat(d), count=c) for d, c in stats["per_day"]]
    return stats["counts"], per_day


def dashboard_stats_invalidate() -> None:
    invalidate(DASHBOARD_STATS_KEY, version=DASHBOARD_STATS_VERSION)


def recent_posts(*, limit: int = 5) -> list[Post]:
    return list(Post.objects.select_related("author")[:limit])


def newest_users(*, limit: int = 5) -> list[User]:
    return list(User.objects.order_by("-date_joined", "-id")[:limit])


def global_search(*, query: str, limit: int = 10) -> dict[str, list]:
    """Users and posts matching `query`, a few of each kind."""
    query = query.replace("\x00", "").strip()
    if not query:
        return {"users": [], "posts": []}
    return {
        "users": list(User.objects.search(query).order_by("username")[:limit]),
        "posts": list(Post.objects.search(query).select_related("author")[:limit]),
    }
