from pathlib import Path

import pytest
from django.conf import settings
from playwright.sync_api import Page, expect

from .helpers import main_navigation

pytestmark = pytest.mark.browser

JAPANESE_CATALOG = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES" / "django.mo"


def choose_language(page: Page, label: str) -> None:
    """Pick a language in the header switcher the way a visitor would.

    With JavaScript the select submits itself and its button is hidden;
    without it, the visitor presses the button.
    """
    switcher = page.locator("form.language-switcher")
    button = switcher.get_by_role("button")
    if button.is_visible():
        switcher.locator("select[name=language]").select_option(label=label)
        button.click()
    else:
        with page.expect_navigation():
            switcher.locator("select[name=language]").select_option(label=label)


def test_staff_member_switches_the_dashboard_to_japanese_and_back(staff_page: Page, screenshot):
    assert JAPANESE_CATALOG.exists(), (
        f"{JAPANESE_CATALOG.relative_to(settings.BASE_DIR)} is missing: the Japanese "
        "translation has not been compiled (`manage.py compilemessages`)."
    )
    page = staff_page
    expect(page.locator("html")).to_have_attribute("lang", "en")

    choose_language(page, "日本語")

    expect(page).to_have_url("/")
    expect(page.locator("html")).to_have_attribute("lang", "ja")
    expect(page.get_by_role("heading", level=1)).to_have_text("ダッシュボード")
    navigation = page.locator("nav.sidebar")
    for label in ("ダッシュボード", "ユーザー", "投稿"):
        expect(navigation.get_by_role("link", name=label, exact=True)).to_be_visible()
    screenshot(page, "dashboard-ja")

    navigation.get_by_role("link", name="投稿", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("投稿")
    expect(page.get_by_role("link", name="夏合宿のお知らせ")).to_be_visible()

    choose_language(page, "English")

    expect(page).to_have_url("/posts/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Posts")
    expect(main_navigation(page).get_by_role("link", name="Dashboard")).to_be_visible()
