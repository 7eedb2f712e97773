"""The dashboard cards and chart, and the search results, in a real browser."""

import re

import pytest
from playwright.sync_api import Page, expect

pytestmark = pytest.mark.browser


def test_dashboard_cards_fill_their_rows_and_bars_tell_their_value(staff_page: Page, records):
    page = staff_page
    cards = page.locator(".stat-grid .stat")
    expect(cards).to_have_count(7)
    tops = cards.evaluate_all(
        "(cards) => cards.map((c) => Math.round(c.getBoundingClientRect().top))"
    )
    rows = {top: tops.count(top) for top in tops}
    # Users (three cards) on one row, posts (four) on the next: none left alone.
    assert sorted(rows.values()) == [3, 4]
    assert cards.first.locator("a").evaluate("(a) => getComputedStyle(a).cursor") == "pointer"

    expect(page.locator(".chart-scale li")).to_have_text(["4", "2", "0"])
    last_bar = page.locator(".bar-group").last
    last_bar.focus()
    expect(page.locator("[data-chart-readout]")).to_have_text(re.compile(r": 4$"))
    page.locator(".bar-group").first.hover()
    expect(page.locator("[data-chart-readout]")).to_have_text(re.compile(r": 0$"))
    page.get_by_text("The numbers by day").click()
    expect(page.locator(".chart-table tbody tr")).to_have_count(30)


def test_search_marks_the_words_and_folds_the_empty_section(staff_page: Page, records):
    page = staff_page
    page.goto("/search/?q=%E5%90%88%E5%AE%BF")  # 合宿

    expect(page.locator(".search-section mark").first).to_have_text("合宿")
    expect(page.locator(".search-empty")).to_contain_text("No users match.")
    posts_heading = page.get_by_role("heading", name=re.compile("^Posts"))
    expect(posts_heading).to_contain_text("1")
