from django.http import QueryDict

from posts.models import Post, PostQuerySet

from .filters import UserFilterSet
from .models import User, UserQuerySet


def user_list(*, params: QueryDict | dict | None = None) -> UserFilterSet:
    """Return the filter set for the user list; its `.qs` is the filtered list.

    The post count is an annotation, so a page of users costs one query.
    """
    queryset = User.objects.with_post_count().order_by(*User._meta.ordering)
    return UserFilterSet(params or None, queryset=queryset)


def user_detail_queryset() -> UserQuerySet:
    return User.objects.with_post_count()


def user_posts(*, user: User) -> PostQuerySet:
    return Post.objects.filter(author=user)


def user_suggestions(*, query: str, limit: int = 10) -> list[dict[str, str]]:
    """Return up to `limit` active users whose username starts with `query`."""
    query = query.strip()
    if not query:
        return []
    users = User.objects.filter(username__istartswith=query).order_by("username")
    return list(users.values("username", "name")[:limit])


def user_recent_posts(*, user: User, limit: int = 10) -> list[Post]:
    return list(Post.objects.filter(author=user).order_by("-created_at", "-id")[:limit])
