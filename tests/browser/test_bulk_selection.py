"""Ticking rows for a bulk action: ranges, the count, the whole filter."""

import re

import pytest
from playwright.sync_api import Page, expect

from posts.models import Post
from posts.tests.factories import DraftPostFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def drafts(records):
    return DraftPostFactory.create_batch(30, author=records["hanako"])


def boxes(page: Page):
    return page.locator("table.records tbody input[name=ids]")


def test_shift_click_ticks_a_range_and_the_bar_counts_it(staff_page: Page, drafts):
    page = staff_page
    page.goto("/posts/?status=draft")
    run = page.get_by_role("button", name="Run on ticked rows")
    status = page.locator("[data-bulk-status]")

    expect(run).to_be_disabled()
    expect(status).to_have_text("No rows ticked")

    boxes(page).nth(2).click()
    expect(status).to_have_text("1 row ticked")
    expect(run).to_be_enabled()
    boxes(page).nth(6).click(modifiers=["Shift"])
    expect(status).to_have_text("5 rows ticked")
    for index in range(2, 7):
        expect(boxes(page).nth(index)).to_be_checked()
    expect(boxes(page).nth(1)).not_to_be_checked()
    expect(boxes(page).nth(7)).not_to_be_checked()

    # A shift-click on a ticked row clears the range from the last one clicked.
    boxes(page).nth(4).click(modifiers=["Shift"])
    expect(status).to_have_text("2 rows ticked")
    for index in range(4, 7):
        expect(boxes(page).nth(index)).not_to_be_checked()

    page.get_by_role("button", name="Clear selection").click()
    expect(status).to_have_text("No rows ticked")
    expect(run).to_be_disabled()


def test_select_all_on_page_then_all_matching_runs_on_the_whole_filter(staff_page: Page, drafts):
    page = staff_page
    page.goto("/posts/?status=draft")
    matching = page.get_by_role("button", name=re.compile(r"Select all 31 rows matching"))
    expect(matching).to_be_hidden()

    page.get_by_role("checkbox", name="Tick every row on this page").check()
    expect(page.locator("[data-bulk-status]")).to_have_text("25 rows ticked")
    matching.click()
    expect(page.locator("[data-bulk-status]")).to_have_text(
        "All 31 rows matching the filter are selected"
    )

    page.get_by_label("With the ticked rows").select_option(label="Publish")
    page.get_by_role("button", name="Run on ticked rows").click()
    expect(page.locator("form.confirm")).to_contain_text("Publish 31 posts?")
    page.get_by_role("button", name="Publish", exact=True).click()
    expect(page.get_by_role("status")).to_contain_text("31 posts were published.")
    assert not Post.objects.filter(status=Post.Status.DRAFT).exists()
