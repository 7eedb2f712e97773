"""Ask for the password (or a second factor) again before actions that could take over accounts.

Setting another member's password, changing who is staff, deleting members,
exporting every address: a session left open on a shared desk must not be
enough for those. allauth keeps when the member last proved who they are;
older than ACCOUNT_REAUTHENTICATION_TIMEOUT and the request is held while they
confirm, then carried out as sent.
"""

from allauth.account.decorators import reauthentication_required
from django.http import HttpRequest, HttpResponseBase


def require_recent_authentication(request: HttpRequest) -> None:
    """Hold the request for re-authentication unless the member proved themselves lately."""
    reauthentication_required(lambda request: None)(request)


class ReauthenticationRequiredMixin:
    """Re-authenticate before the view answers; `reauthenticate_get = False` lets GET through.

    Comes after StaffRequiredMixin among the bases, so those who may not use the
    view at all are refused first.
    """

    reauthenticate_get = True

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        check = reauthentication_required(super().dispatch, allow_get=not self.reauthenticate_get)
        return check(request, *args, **kwargs)
