import pytest
from playwright.sync_api import Page, expect

from .helpers import background_luminance

pytestmark = pytest.mark.browser


def stored_theme(page: Page) -> str | None:
    return page.evaluate("() => localStorage.getItem('camp-theme')")


def test_dark_theme_is_switched_on_and_remembered_across_a_reload(staff_page: Page, screenshot):
    page = staff_page
    html = page.locator("html")
    toggle = page.locator("button[data-theme-toggle]")
    expect(toggle).to_be_visible()
    expect(html).not_to_have_attribute("data-theme", "dark")
    light_background = background_luminance(page)

    toggle.click()

    expect(html).to_have_attribute("data-theme", "dark")
    expect(toggle).to_have_attribute("aria-pressed", "true")
    assert stored_theme(page) == "dark"
    assert background_luminance(page) < light_background, "the page did not get darker"

    page.reload()
    expect(html).to_have_attribute("data-theme", "dark")
    expect(page.locator("button[data-theme-toggle]")).to_have_attribute("aria-pressed", "true")
    screenshot(page, "dashboard-dark")

    page.get_by_role("navigation", name="Main").get_by_role("link", name="Posts").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Posts")
    expect(html).to_have_attribute("data-theme", "dark")

    page.locator("button[data-theme-toggle]").click()

    expect(html).not_to_have_attribute("data-theme", "dark")
    expect(page.locator("button[data-theme-toggle]")).to_have_attribute("aria-pressed", "false")
    assert stored_theme(page) != "dark"
    page.reload()
    expect(html).not_to_have_attribute("data-theme", "dark")
