"""Count a wrong second-factor code as a failed login, for django-axes.

axes counts the failures Django's `user_login_failed` reports, which the
password step sends; allauth reports a wrong code with its own signal. Sending
one for the other puts both steps under the one lockout of record: five
failures for a username from an address, whichever step they happen in.
"""

from allauth.mfa.models import Authenticator
from allauth.mfa.signals import authentication_failed
from django.contrib.auth.signals import user_login_failed
from django.dispatch import receiver
from django.http import HttpRequest


@receiver(authentication_failed, sender=Authenticator)
def count_failed_code(sender, request: HttpRequest, user, **kwargs) -> None:
    user_login_failed.send(
        sender=__name__,
        # The step lets the audit log record the failure once, as a rejected code.
        credentials={"username": user.get_username(), "step": "second_factor"},
        request=request,
    )
