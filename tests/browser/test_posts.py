import re

import pytest
from playwright.sync_api import Page, expect

from posts.models import Post

from .helpers import field, main_navigation

pytestmark = pytest.mark.browser

TITLE = "冬のスキー旅行 — ski trip"
NEW_TITLE = "冬のスキー旅行 (白馬)"


def test_staff_member_creates_finds_edits_and_deletes_a_post(staff_page: Page, records):
    page = staff_page
    main_navigation(page).get_by_role("link", name="Posts", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Posts")

    page.get_by_role("link", name="New post").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New post")
    field(page, "Title").fill(TITLE)
    field(page, "Content").fill("一月に白馬でスキーをします。Bring warm gloves.")
    field(page, "Status").select_option(label="Published")
    author = field(page, "Author")
    expect(author).to_have_value("kanri")
    author.fill("hanako")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text(f"Post “{TITLE}” was created.")
    expect(page.get_by_role("heading", level=1)).to_have_text(TITLE)
    expect(page.locator(".facts")).to_contain_text("hanako")

    main_navigation(page).get_by_role("link", name="Posts", exact=True).click()
    field(page, "Search").fill("スキー")
    page.get_by_role("button", name="Apply").click()
    expect(page).to_have_url(re.compile(r"/posts/\?(.*&)?q=%E3%82%B9%E3%82%AD%E3%83%BC(&|$)"))
    rows = page.locator("table.records tbody tr")
    expect(rows).to_have_count(1)
    expect(field(page, "Search")).to_have_value("スキー")
    rows.get_by_role("link", name=TITLE).click()

    page.get_by_role("link", name="Edit", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Edit post")
    expect(field(page, "Author")).to_have_value("hanako")
    field(page, "Title").fill(NEW_TITLE)
    page.get_by_role("button", name="Save").click()
    expect(page.get_by_role("status")).to_contain_text(f"Post “{NEW_TITLE}” was updated.")
    expect(page.get_by_role("heading", level=1)).to_have_text(NEW_TITLE)

    page.get_by_role("link", name="Delete", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Delete post")
    expect(page.locator("form.confirm")).to_contain_text(
        f"Delete the post “{NEW_TITLE}”? This cannot be undone."
    )
    page.get_by_role("button", name="Yes, delete it").click()

    expect(page).to_have_url("/posts/")
    expect(page.get_by_role("status")).to_contain_text(f"Post “{NEW_TITLE}” was deleted.")
    expect(page.get_by_role("link", name=NEW_TITLE)).to_have_count(0)
    expect(page.get_by_role("link", name="夏合宿のお知らせ")).to_be_visible()
    assert not Post.objects.filter(title__startswith="冬のスキー旅行").exists()


def test_post_form_shows_errors_and_keeps_what_was_typed(staff_page: Page):
    page = staff_page
    page.goto("/posts/new/")
    field(page, "Title").fill("")
    field(page, "Content").fill("本文だけ書きました。")
    field(page, "Author").fill("nobody-by-that-name")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("New post")
    expect(page.locator("form.record-form")).to_contain_text("This field is required.")
    expect(page.locator("form.record-form")).to_contain_text("No user with that username exists.")
    expect(field(page, "Content")).to_have_value("本文だけ書きました。")
