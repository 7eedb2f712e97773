"""Camp's versions of allauth views, where a Camp account differs from a signed-up one."""

from allauth.account.models import EmailAddress
from allauth.account.views import EmailView as BaseEmailView
from allauth.usersessions.models import UserSession
from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import HttpRequest, HttpResponseBase, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect
from django.utils.translation import gettext_lazy as _
from django.views import View


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


class UserSessionEndView(LoginRequiredMixin, View):
    """Sign out one of my other sessions (allauth's page only offers all of them at once)."""

    http_method_names = ["post"]

    def post(self, request: HttpRequest, pk: int) -> HttpResponseRedirect:
        # Only the member's own sessions: anyone else's id is simply not found.
        session = get_object_or_404(UserSession, pk=pk, user=request.user)
        if not session.is_current():
            session.end()
            messages.success(request, _("The session was signed out."))
        return redirect("usersessions_list")
