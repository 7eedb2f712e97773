from django.db import transaction

from .models import User


@transaction.atomic
def user_set_active(*, user: User, active: bool) -> User:
    """Activate or deactivate `user`; a deactivated user can no longer log in."""
    user.is_active = active
    user.save(update_fields=["is_active"])
    return user
