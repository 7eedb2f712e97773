"""Dense lists: how many rows a screen shows, the remembered view options, phone cards."""

import re

import pytest
from playwright.sync_api import Page, expect

from posts.tests.factories import PostFactory

from .helpers import log_in

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


def rows_in_view(page: Page) -> int:
    """Count the list rows whose whole box lies inside the viewport, page unscrolled."""
    return page.evaluate(
        """() => {
            window.scrollTo(0, 0);
            const height = window.innerHeight;
            return [...document.querySelectorAll("table.records tbody tr")].filter((row) => {
                const box = row.getBoundingClientRect();
                return box.height > 0 && box.top >= 0 && box.bottom <= height;
            }).length;
        }"""
    )


@pytest.fixture
def many_posts(records):
    author = records["hanako"]
    return PostFactory.create_batch(40, author=author, title="とても長いタイトル " * 12)


def test_desktop_posts_list_shows_at_least_15_rows_without_scrolling(
    staff_page: Page, many_posts, screenshot
):
    page = staff_page
    page.goto("/posts/")
    screenshot(page, "posts-dense-1280")

    assert rows_in_view(page) >= 15
    title = page.locator("table.records tbody tr td.primary a").first
    expect(title).to_have_attribute("title", re.compile("とても長いタイトル"))
    # One line per row: a long title is cut, not wrapped.
    heights = page.locator("table.records tbody tr").evaluate_all(
        "(rows) => rows.slice(0, 5).map((r) => r.getBoundingClientRect().height)"
    )
    assert max(heights) < 40


def test_desktop_rows_still_fit_with_a_filter_chip(staff_page: Page, many_posts):
    page = staff_page
    page.goto("/posts/?author=hanako&status=published")

    assert rows_in_view(page) >= 15


def test_rows_per_page_and_density_are_remembered(staff_page: Page, many_posts):
    page = staff_page
    page.goto("/posts/")
    expect(page.locator("table.records tbody tr")).to_have_count(25)

    page.get_by_label("Rows per page").select_option("50")
    expect(page).to_have_url(re.compile(r"per_page=50"))
    expect(page.locator("table.records tbody tr")).to_have_count(44)
    page.get_by_role("button", name="Roomier rows").click()
    expect(page.locator("table.records.density-comfortable")).to_be_visible()

    page.goto("/posts/?q=")
    expect(page.locator("table.records tbody tr")).to_have_count(44)
    expect(page.locator("table.records.density-comfortable")).to_be_visible()


def test_filter_panel_folds_and_remembers_being_open(staff_page: Page, many_posts):
    page = staff_page
    page.goto("/posts/")
    status = page.get_by_role("group", name="Status")
    expect(status).to_be_hidden()

    page.get_by_text("Filters", exact=True).click()
    expect(status).to_be_visible()
    # The toggle event that writes the cookie follows the click by a task.
    page.wait_for_function("() => document.cookie.includes('camp-filters-posts=open')")
    page.reload()
    expect(page.get_by_role("group", name="Status")).to_be_visible()

    page.get_by_text("Filters", exact=True).click()
    page.wait_for_function("() => document.cookie.includes('camp-filters-posts=closed')")
    page.reload()
    expect(page.get_by_role("group", name="Status")).to_be_hidden()


def test_phone_shows_rows_as_cards(open_page, staff_member, many_posts, screenshot):
    page = open_page(viewport=PHONE)
    log_in(page, staff_member.username)
    page.goto("/posts/")

    screenshot(page, "posts-cards-390px")
    row = page.locator("table.records tbody tr").first
    assert row.evaluate("(r) => getComputedStyle(r).display") == "flex"
    expect(page.locator("table.records thead")).not_to_be_in_viewport()
    assert rows_in_view(page) >= 4
    assert page.evaluate("() => document.documentElement.scrollWidth") <= PHONE["width"]


def test_users_table_fits_its_box_at_1280(staff_page: Page, records):
    page = staff_page
    page.goto(
        "/users/?cols=email&cols=name&cols=active&cols=staff&cols=joined&cols=posts&cols=last_login"
    )
    wrap = page.locator(".table-wrap")
    assert wrap.evaluate("(w) => w.scrollWidth <= w.clientWidth")
    expect(page.locator("table.records .badge.inactive")).to_have_count(0)
