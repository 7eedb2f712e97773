from django.utils.functional import SimpleLazyObject

from .selectors import unread_count


def notifications(request) -> dict:
    """The header bell's unread count, looked up only if a page shows the bell."""
    user = getattr(request, "user", None)
    if user is None or not (user.is_authenticated and user.is_staff):
        return {}
    return {"unread_notifications": SimpleLazyObject(lambda: unread_count(user_id=user.pk))}
