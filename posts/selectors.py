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


def deleted_posts():
    """Deletion records of posts that are still deleted, newest first."""
    return (
        Post.history.filter(history_type="-")
        .exclude(id__in=Post.objects.values("id"))
        .select_related("history_user")
        .order_by("-history_date", "-history_id")
    )
