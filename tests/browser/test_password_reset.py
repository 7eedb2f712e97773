"""A member who forgot their password gets a new one through the mail, end to end.

The mail goes out through a real SMTP server the test starts (aiosmtpd) on a
free port: Camp's SMTP settings point at it, and the test follows the link in
the message it received, as the member would from their inbox.
"""

import email
import email.policy
import queue
import re
import socket
from collections.abc import Iterator

import pytest
from aiosmtpd.controller import Controller
from playwright.sync_api import expect

from .helpers import field

pytestmark = pytest.mark.browser

NEW_PASSWORD = "Fresh-camp-password-42"


class Inbox:
    """An aiosmtpd handler keeping every delivered message."""

    def __init__(self) -> None:
        self.messages: queue.Queue[email.message.EmailMessage] = queue.Queue()

    async def handle_DATA(self, server, session, envelope) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        message["X-Delivered-To"] = ", ".join(envelope.rcpt_tos)
        self.messages.put(message)
        return "250 OK"

    def next(self, timeout: float = 10) -> email.message.EmailMessage:
        return self.messages.get(timeout=timeout)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture
def inbox(settings) -> Iterator[Inbox]:
    handler = Inbox()
    controller = Controller(handler, hostname="127.0.0.1", port=free_port())
    controller.start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = controller.hostname
    settings.EMAIL_PORT = controller.port
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    try:
        yield handler
    finally:
        controller.stop()


def test_member_resets_a_forgotten_password_through_the_mailed_link(page, staff_member, inbox):
    page.goto("/accounts/login/")
    page.get_by_role("link", name="Forgot your password?").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password Reset")
    field(page, "Email").fill(staff_member.email)
    page.get_by_role("button", name="Reset My Password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Password Reset")

    message = inbox.next()
    assert message["X-Delivered-To"] == staff_member.email
    assert message["Subject"].startswith("[Camp]")
    body = message.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/accounts/password/reset/key/\S+/", body)
    assert link, body

    page.goto(link[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Change Password")
    field(page, "New Password").fill(NEW_PASSWORD)
    field(page, "New Password (again)").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Change Password").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change Password")

    page.goto("/accounts/login/")
    field(page, "Username").fill(staff_member.username)
    field(page, "Password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")

    # The link works once.
    page.context.clear_cookies()
    page.goto(link[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Bad Token")
