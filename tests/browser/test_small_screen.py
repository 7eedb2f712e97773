import pytest
from playwright.sync_api import Page, expect

from .helpers import field, horizontal_overflow, log_in, main_navigation

pytestmark = pytest.mark.browser

PHONE = {"width": 360, "height": 780}


def assert_fits_the_screen(page: Page, what: str) -> None:
    layout = horizontal_overflow(page)
    assert layout["scrollWidth"] <= PHONE["width"], (
        f"{what} is {layout['scrollWidth']}px wide on a {PHONE['width']}px screen; "
        f"elements reaching past the edge: {', '.join(layout['offenders']) or 'none found'}"
    )


def open_main_navigation(page: Page) -> None:
    """Show the main navigation, through its menu button if the layout folds it away."""
    link = main_navigation(page).get_by_role("link", name="Posts", exact=True)
    if not link.is_visible():
        page.locator("button[aria-expanded]").first.click()
    expect(link).to_be_visible()


def test_pages_fit_a_360px_phone_and_navigation_is_reachable(
    open_page, staff_member, records, screenshot
):
    page = open_page(viewport=PHONE)
    page.goto("/accounts/login/")
    assert_fits_the_screen(page, "the login page")
    log_in(page, staff_member.username)

    assert_fits_the_screen(page, "the dashboard")
    screenshot(page, "dashboard-360px")

    open_main_navigation(page)
    main_navigation(page).get_by_role("link", name="Posts", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Posts")
    expect(page.get_by_role("link", name="夏合宿のお知らせ")).to_be_visible()
    assert_fits_the_screen(page, "the posts list")

    page.get_by_role("link", name="New post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New post")
    assert_fits_the_screen(page, "the new post form")
    title = field(page, "Title")
    title.fill("スマホから")
    box = title.bounding_box()
    assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]

    open_main_navigation(page)
    main_navigation(page).get_by_role("link", name="Users", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")

    records["packing"].delete()
    page.goto("/posts/deleted/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Recently deleted posts")
    assert_fits_the_screen(page, "the recently deleted posts")
    page.locator("table.records tbody input[name=ids]").first.check()
    page.get_by_role("button", name="Run on ticked rows").click()
    expect(page.locator("form.confirm table")).to_be_visible()
    assert_fits_the_screen(page, "the bulk restore confirmation")
