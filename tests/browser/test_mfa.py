"""A staff member sets up an authenticator app and logs in with it, as a person would.

The codes come from pyotp, computed from the secret the page shows, like an
authenticator app computes them from the QR code. CAMP_REQUIRE_MFA is on, so
the first login leads straight to setting one up.
"""

import pyotp
import pytest
from playwright.sync_api import ConsoleMessage, Page, expect

from .helpers import PASSWORD, field

pytestmark = pytest.mark.browser


@pytest.fixture(autouse=True)
def _require_mfa(settings):
    settings.CAMP_REQUIRE_MFA = True


def _watch_csp(page: Page) -> list[str]:
    blocked: list[str] = []

    def note(message: ConsoleMessage) -> None:
        if "Content Security Policy" in message.text:
            blocked.append(f"{page.url}: {message.text}")

    page.on("console", note)
    page.on("pageerror", lambda error: blocked.append(f"{page.url}: JavaScript error {error}"))
    return blocked


def enter_password(page: Page, username: str) -> None:
    page.goto("/accounts/login/")
    field(page, "Username").fill(username)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()


def enter_code(page: Page, code: str) -> None:
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")
    page.get_by_label("Code").fill(code)
    page.get_by_role("button", name="Sign In").click()


def confirm_access(
    page: Page,
    heading: str = "Confirm Access",
    password_label: str = "Password",  # noqa: S107 (a label, not a password)
    button: str = "Confirm",
) -> None:
    """Give the password again, as allauth asks before a second factor is changed."""
    expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    field(page, password_label).fill(PASSWORD)
    page.get_by_role("button", name=button).click()


def log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Camp")


def test_staff_member_sets_up_an_authenticator_app_and_logs_in_with_it(page, staff_member):
    blocked = _watch_csp(page)
    enter_password(page, staff_member.username)

    # Without a second factor the dashboard is out of reach: the setup comes first.
    confirm_access(page)
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Activate Authenticator App")
    # The QR code is an SVG data URI, which the policy's img-src allows.
    qr = page.locator('img[src^="data:image/svg+xml"]')
    expect(qr).to_be_visible()
    assert qr.evaluate("img => img.complete && img.naturalWidth > 0")
    secret = page.locator("#authenticator_secret").input_value()
    app = pyotp.TOTP(secret)
    page.get_by_label("Authenticator code").fill(app.now())
    page.get_by_role("button", name="Activate").click()

    page.goto("/accounts/2fa/recovery-codes/")
    codes = page.locator("#recovery_codes").input_value().split()
    assert len(codes) == 10
    page.goto("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    log_out(page)

    # The password alone is not enough any more: the dashboard waits for the code.
    enter_password(page, staff_member.username)
    page.goto("/")
    enter_code(page, app.now())
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    log_out(page)

    # A recovery code stands in for the app, once.
    enter_password(page, staff_member.username)
    enter_code(page, codes[0])
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    log_out(page)
    enter_password(page, staff_member.username)
    enter_code(page, codes[0])
    expect(page.get_by_text("Incorrect code.")).to_be_visible()
    expect(page.get_by_role("heading", level=1)).to_have_text("Two-Factor Authentication")

    assert not blocked, "\n".join(blocked)


def test_the_login_and_second_factor_pages_speak_japanese(browser, live_server, staff_member):
    context = browser.new_context(base_url=live_server.url, locale="ja-JP")
    try:
        page = context.new_page()
        page.goto("/accounts/login/")
        expect(page.get_by_role("heading", level=1)).to_have_text("Camp にログイン")
        field(page, "ユーザー名").fill(staff_member.username)
        field(page, "パスワード").fill(PASSWORD)
        page.get_by_role("button", name="ログイン", exact=True).click()
        confirm_access(page, "アクセス確認", "パスワード", "確認する")

        expect(page.get_by_role("heading", level=1)).to_have_text("認証アプリを有効化する")
        secret = page.locator("#authenticator_secret").input_value()
        page.get_by_label("認証アプリコード").fill(pyotp.TOTP(secret).now())
        page.get_by_role("button", name="有効にする").click()
        page.goto("/accounts/2fa/")
        expect(page.get_by_role("heading", level=1)).to_have_text("多要素認証")
        expect(page.locator("html")).to_have_attribute("lang", "ja")
    finally:
        context.close()
