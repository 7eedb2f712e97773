"""Camp's versions of allauth views, where a Camp account differs from a signed-up one."""

from allauth.account.models import EmailAddress
from allauth.account.views import EmailView as BaseEmailView
from django.http import HttpRequest, HttpResponseBase


class EmailView(BaseEmailView):
    """Change one's email address; the address staff gave the account counts as confirmed.

    Camp accounts are made by staff, so their address never went through
    allauth's confirmation. allauth would record it as unconfirmed and, once
    the member asked for a new one, drop it as a pending change and leave the
    account with no address at all until the new one is confirmed.
    """

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
        user = request.user
        if user.is_authenticated and user.email:
            EmailAddress.objects.get_or_create(
                user=user,
                email=user.email.lower(),
                defaults={"primary": True, "verified": True},
            )
        return super().dispatch(request, *args, **kwargs)
