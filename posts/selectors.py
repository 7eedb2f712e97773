from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import QueryDict

from .filters import PostFilterSet
from .models import Post, PostQuerySet


def post_list(*, params: QueryDict | dict | None = None) -> PostFilterSet:
    """Return the filter set for the post list; its `.qs` is the filtered list.

    The author is joined in the same query so a page of posts costs one query.
    """
    queryset = Post.objects.select_related("author")
    return PostFilterSet(params or None, queryset=queryset)


def post_matching(*, params: QueryDict) -> PostQuerySet:
    """Every post the list with `params` shows, in no particular order, for bulk actions."""
    params = params.copy()
    params.pop("sort", None)
    return PostFilterSet(params or None, queryset=Post.objects.all()).qs.order_by()


def post_by_ids(*, ids: list[int]) -> PostQuerySet:
    return Post.objects.filter(pk__in=ids)


def post_bulk_targets(*, params: dict) -> PostQuerySet:
    """The posts a bulk action chose: all matching `params["query"]`, or the ticked ids."""
    if params["scope"] == "all":
        return post_matching(params=QueryDict(params["query"]))
    return post_by_ids(ids=params["ids"])


def post_bulk_preview(*, rows: PostQuerySet, limit: int) -> list[Post]:
    """The first `limit` of the posts a bulk action will change, in the list's order."""
    return list(rows.select_related("author").order_by(*Post._meta.ordering)[:limit])


def post_detail_queryset() -> PostQuerySet:
    return Post.objects.select_related("author")


def still_deleted(records: QuerySet) -> QuerySet:
    """The deletion records among `records` that are the last word on their post.

    A post deleted, restored and deleted again has two deletion records; only
    the newer one says how it was when it went, so the older one is left out.
    """
    later = Post.history.filter(id=OuterRef("id"), history_id__gt=OuterRef("history_id"))
    return records.exclude(id__in=Post.objects.values("id")).exclude(Exists(later))


def deleted_posts(*, query: str = "") -> QuerySet:
    """Deletion records of posts that are still deleted, newest first.

    `query` keeps those whose title or author's username contains it, ignoring case.
    """
    records = still_deleted(Post.history.filter(history_type="-"))
    # PostgreSQL text cannot hold NUL, and no stored value contains one.
    query = query.replace("\x00", "").strip()
    if query:
        records = records.filter(Q(title__icontains=query) | Q(author__username__icontains=query))
    return records.select_related("history_user", "author").order_by(
        "-history_date", "-history_id"
    )


def deleted_post_bulk_targets(*, params: dict) -> QuerySet:
    """The deletion records a bulk restore chose: all matching the search, or the ticked ones."""
    if params["scope"] == "all":
        return deleted_posts(query=QueryDict(params["query"]).get("q", ""))
    return Post.history.filter(history_type="-", history_id__in=params["ids"])


def deleted_post_bulk_preview(*, rows: QuerySet, limit: int) -> list:
    """The first `limit` deletion records a bulk restore will act on, newest first."""
    return list(
        rows.select_related("history_user", "author").order_by("-history_date", "-history_id")[
            :limit
        ]
    )
