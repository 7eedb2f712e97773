"""The second-factor step of the login, held to the same lockout as the password step."""

from allauth.core import context
from allauth.mfa.base.forms import AuthenticateForm as BaseAuthenticateForm
from axes.handlers.proxy import AxesProxyHandler
from django import forms
from django.utils.translation import gettext_lazy as _


class AuthenticateForm(BaseAuthenticateForm):
    """Refuse every code while axes has the member's username and address locked out.

    Without this, someone who knows the password could keep guessing codes
    after the lockout: the code step never goes through `authenticate()`, where
    axes would stop them. Failed codes are counted by camp.accounts.receivers.
    """

    error_messages = {"locked_out": _("Too many failed attempts. Try again later.")}

    def clean_code(self) -> str:
        request = context.request
        credentials = {"username": self.user.get_username()}
        if not AxesProxyHandler.is_allowed(request, credentials):
            # AxesMiddleware answers with the lockout page.
            request.axes_locked_out = True
            request.axes_credentials = credentials
            raise forms.ValidationError(self.error_messages["locked_out"], code="locked_out")
        return super().clean_code()
