import re

import pytest
from playwright.sync_api import Page, expect

from posts.models import Post

from .helpers import main_navigation

pytestmark = pytest.mark.browser

VIEW_NAME = "下書きとアーカイブ"


def rows(page: Page):
    return page.locator("table.records tbody tr")


def test_staff_member_filters_saves_reopens_exports_and_publishes(
    staff_page: Page, records, screenshot
):
    page = staff_page
    main_navigation(page).get_by_role("link", name="Posts", exact=True).click()
    expect(rows(page)).to_have_count(4)

    # Filter by two statuses: each tick applies at once, the panel stays open.
    page.get_by_text("Filters", exact=True).click()
    page.wait_for_function("() => document.cookie.includes('camp-filters-posts=open')")
    status = page.get_by_role("group", name="Status")
    status.get_by_role("checkbox", name="Draft").check()
    expect(page).to_have_url(re.compile(r"status=draft"))
    expect(rows(page)).to_have_count(1)
    status = page.get_by_role("group", name="Status")
    expect(status.get_by_role("checkbox", name="Draft")).to_be_focused()
    status.get_by_role("checkbox", name="Archived").check()
    expect(page).to_have_url(re.compile(r"status=draft&status=archived"))
    expect(rows(page)).to_have_count(2)
    chips = page.get_by_role("list", name="Active filters")
    expect(chips.get_by_role("link")).to_have_text(
        [re.compile("Status: Draft"), re.compile("Status: Archived")]
    )

    # Save the view.
    page.get_by_text("Saved views", exact=True).click()
    page.get_by_label("Name").fill(VIEW_NAME)
    page.get_by_role("button", name="Save this view").click()
    expect(page.get_by_role("status")).to_contain_text(f"The view “{VIEW_NAME}” was saved.")
    screenshot(page, "posts-list-filtered")

    # Back to everything, then reload the saved view.
    page.get_by_role("link", name="Clear").click()
    expect(rows(page)).to_have_count(4)
    page.get_by_text("Saved views (1)", exact=True).click()
    page.get_by_role("link", name=VIEW_NAME).click()
    expect(page).to_have_url(re.compile(r"/posts/\?status=draft&status=archived$"))
    expect(rows(page)).to_have_count(2)

    # Export it.
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Export CSV").click()
    exported = download_info.value
    assert exported.suggested_filename.endswith(".csv")
    text = open(exported.path(), encoding="utf-8").read()  # noqa: SIM115
    assert text.startswith("\ufeff")
    assert "週末のハイキング計画" in text and "Last year's autumn retreat" in text
    assert "夏合宿のお知らせ" not in text

    # Publish the draft in bulk.
    page.get_by_role("checkbox", name="Tick “週末のハイキング計画”").check()
    page.get_by_label("With the ticked rows").select_option(label="Publish")
    page.get_by_role("button", name="Run on ticked rows").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Publish")
    expect(page.locator("form.confirm")).to_contain_text("Publish 1 post?")
    page.get_by_role("button", name="Publish", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("1 post was published.")
    expect(page).to_have_url(re.compile(r"/posts/\?status=draft&status=archived$"))
    expect(rows(page)).to_have_count(1)
    assert Post.objects.get(title="週末のハイキング計画").status == Post.Status.PUBLISHED


def test_list_tools_have_no_serious_accessibility_violations(
    staff_page: Page, records, serious_violations, screenshot
):
    page = staff_page
    page.goto("/posts/?status=draft&status=archived&author=alex&cols=status&cols=content")
    page.get_by_text("Saved views", exact=True).click()
    page.get_by_text("Columns", exact=True).click()
    screenshot(page, "posts-list-tools")

    assert serious_violations(page) == []
