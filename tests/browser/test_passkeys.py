"""A staff member registers a passkey and logs in with it, as a person would.

Chromium's virtual authenticator (the DevTools `WebAuthn` domain) stands in
for the phone or security key: it answers the same WebAuthn calls, with a
real key pair, and verifies the member itself as a fingerprint reader would.
WebAuthn only runs in a secure context, and its relying party is the page's
host, so the pages are opened through `localhost` (a secure context over
plain http), never an IP address.
"""

from urllib.parse import urlsplit, urlunsplit

import pytest
from allauth.mfa.models import Authenticator
from playwright.sync_api import Browser, Page, expect

from .conftest import DESKTOP
from .helpers import PASSWORD, field
from .test_mfa import _watch_csp, confirm_access, enter_password, log_out

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _require_mfa(settings):
    settings.CAMP_REQUIRE_MFA = True


@pytest.fixture
def localhost_page(browser: Browser, live_server) -> Page:
    parts = urlsplit(live_server.url)
    base_url = urlunsplit(parts._replace(netloc=f"localhost:{parts.port}"))
    context = browser.new_context(base_url=base_url, viewport=DESKTOP, locale="en-US")
    context.set_default_timeout(10_000)
    page = context.new_page()
    yield page
    context.close()


def add_virtual_authenticator(page: Page) -> None:
    """Plug a passkey-capable authenticator into this browser window."""
    cdp = page.context.new_cdp_session(page)
    cdp.send("WebAuthn.enable")
    cdp.send(
        "WebAuthn.addVirtualAuthenticator",
        {
            "options": {
                "protocol": "ctap2",
                "transport": "internal",
                "hasResidentKey": True,
                "hasUserVerification": True,
                "isUserVerified": True,
            }
        },
    )


def test_staff_member_registers_a_passkey_and_logs_in_with_it(localhost_page, staff_member):
    page = localhost_page
    blocked = _watch_csp(page)
    add_virtual_authenticator(page)

    # The password alone: the passkey is set up from the Security page.
    enter_password(page, staff_member.username)
    page.goto("/accounts/2fa/")
    page.get_by_role("link", name="Add a passkey").click()
    confirm_access(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Add Security Key")
    field(page, "Name").fill("Laptop")
    page.get_by_label("Passwordless").check()
    page.get_by_role("button", name="Add").click()
    # The first key comes with recovery codes, shown once.
    expect(page.locator("#recovery_codes")).to_be_visible()
    key = Authenticator.objects.get(user=staff_member, type=Authenticator.Type.WEBAUTHN)
    assert key.wrap().is_passwordless is True

    # A passkey is a second factor: the dashboard no longer asks for one.
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    page.goto("/accounts/2fa/")
    expect(page.locator(".passkey-list li")).to_have_count(1)
    expect(page.locator(".passkey-list")).to_contain_text("Laptop")
    log_out(page)

    # Password, then the passkey as the second factor.
    enter_password(page, staff_member.username)
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    log_out(page)

    # The passkey alone, no username or password.
    page.get_by_role("button", name="Sign in with a passkey").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    key.refresh_from_db()
    assert key.last_used_at is not None

    # Removing it, from the Security page, asks for the member again first.
    page.goto("/accounts/2fa/")
    page.get_by_role("link", name="Remove Laptop").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Confirm Access")
    page.get_by_role("link", name="Use a security key").click()
    page.get_by_role("button", name="Use a security key").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Remove Security Key")
    page.get_by_role("button", name="Remove").click()
    expect(page.get_by_text("No security keys have been added.")).to_be_visible()
    assert not Authenticator.objects.filter(type=Authenticator.Type.WEBAUTHN).exists()

    assert not blocked, "\n".join(blocked)


def test_the_passkey_buttons_speak_japanese(browser, live_server, staff_member):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP")
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        expect(page.get_by_role("button", name="パスキーでログイン")).to_be_visible()
        field(page, "ユーザー名").fill(staff_member.username)
        field(page, "パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン", exact=True).click()
        page.goto("/accounts/2fa/")
        expect(page.get_by_role("heading", name="パスキー", exact=True)).to_be_visible()
        expect(page.get_by_role("link", name="パスキーを追加")).to_be_visible()
    finally:
        context.close()
