"""Finding deleted posts and bringing several back at once."""

import pytest
from playwright.sync_api import Page, expect

from posts.models import Post
from posts.tests.factories import PostFactory

pytestmark = pytest.mark.browser


@pytest.fixture
def deleted(records) -> dict[str, int]:
    """Three deleted posts about the lake and one about something else, by id."""
    titles = ("Lake swim rota", "Lake cleanup day", "Lake trip photos", "Budget for autumn")
    ids = {}
    for title in titles:
        post = PostFactory(title=title, author=records["hanako"])
        ids[title] = post.pk
        post.delete()
    return ids


def test_search_the_deleted_posts_tick_two_and_restore_them(staff_page: Page, deleted):
    page = staff_page
    page.goto("/posts/")
    page.get_by_role("link", name="Recently deleted").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Recently deleted posts")

    search = page.get_by_role("search", name="Search deleted posts").get_by_role("searchbox")
    search.fill("lake")
    search.press("Enter")
    rows = page.locator("table.records tbody tr")
    expect(rows).to_have_count(3)
    expect(page.locator("table.records")).not_to_contain_text("Budget for autumn")

    status = page.locator("[data-bulk-status]")
    expect(status).to_have_text("No rows ticked")
    page.get_by_role("checkbox", name="Tick “Lake swim rota”").check()
    page.get_by_role("checkbox", name="Tick “Lake cleanup day”").check()
    expect(status).to_have_text("2 rows ticked")
    page.get_by_role("button", name="Run on ticked rows").click()

    confirmation = page.locator("form.confirm")
    expect(confirmation).to_contain_text("Restore 2 posts?")
    listed = confirmation.locator("tbody tr")
    expect(listed).to_have_count(2)
    expect(listed.nth(0)).to_contain_text("Lake cleanup day")
    expect(listed.nth(1)).to_contain_text("Lake swim rota")
    expect(listed.nth(0)).to_contain_text("hanako")
    page.get_by_role("button", name="Restore", exact=True).click()

    expect(page.get_by_role("status")).to_contain_text("2 posts were restored.")
    expect(search).to_have_value("lake")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Lake trip photos")
    restored = set(Post.objects.values_list("pk", flat=True))
    assert {deleted["Lake swim rota"], deleted["Lake cleanup day"]} <= restored
    assert deleted["Lake trip photos"] not in restored


def test_shift_click_ticks_a_range_of_deleted_posts(staff_page: Page, deleted):
    page = staff_page
    page.goto("/posts/deleted/")
    boxes = page.locator("table.records tbody input[name=ids]")

    boxes.nth(0).click()
    boxes.nth(2).click(modifiers=["Shift"])
    expect(page.locator("[data-bulk-status]")).to_have_text("3 rows ticked")
    page.get_by_role("checkbox", name="Tick every row on this page").check()
    expect(page.locator("[data-bulk-status]")).to_have_text("4 rows ticked")
