from django.db import transaction

from .models import User


@transaction.atomic
def user_set_active(*, user: User, active: bool) -> User:
    """Activate or deactivate `user`; a deactivated user can no longer log in."""
    user = User.objects.select_for_update().get(pk=user.pk)
    user.is_active = active
    user.version += 1
    user.save(update_fields=["is_active", "version"])
    return user
