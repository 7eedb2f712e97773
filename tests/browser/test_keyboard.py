"""The keyboard: rows, ticks, open, edit, save, go-to keys, the help, the skip link."""

import re

import pytest
from playwright.sync_api import Page, expect

from posts.models import Post

from .helpers import field

pytestmark = pytest.mark.browser


def row_links(page: Page):
    return page.locator("table.records tbody tr [data-row-link]")


def test_j_k_move_between_rows_x_ticks_and_o_opens(staff_page: Page, records):
    page = staff_page
    page.goto("/posts/")
    rows = page.locator("table.records tbody tr")

    page.keyboard.press("j")
    expect(row_links(page).nth(0)).to_be_focused()
    expect(rows.nth(0)).to_have_class(re.compile("is-current"))
    page.keyboard.press("j")
    page.keyboard.press("j")
    expect(row_links(page).nth(2)).to_be_focused()
    page.keyboard.press("k")
    expect(row_links(page).nth(1)).to_be_focused()
    expect(rows.nth(0)).not_to_have_class(re.compile("is-current"))

    page.keyboard.press("x")
    expect(rows.nth(1).locator("input[name=ids]")).to_be_checked()
    expect(page.locator("[data-bulk-status]")).to_have_text("1 row ticked")
    page.keyboard.press("x")
    expect(rows.nth(1).locator("input[name=ids]")).not_to_be_checked()

    href = row_links(page).nth(1).get_attribute("href")
    page.keyboard.press("o")
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))


def test_enter_opens_the_row_and_e_edits_it(staff_page: Page, records):
    page = staff_page
    page.goto("/posts/")
    page.keyboard.press("j")
    href = row_links(page).nth(0).get_attribute("href")
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(re.escape(href) + "$"))

    page.go_back()
    page.keyboard.press("j")
    page.keyboard.press("e")
    expect(page).to_have_url(re.compile(re.escape(href) + "edit/$"))


def test_fix_a_typo_with_e_and_ctrl_enter(staff_page: Page, records):
    page = staff_page
    post = records["packing"]
    page.goto(post.get_absolute_url())

    page.keyboard.press("e")
    expect(page).to_have_url(re.compile(r"/edit/$"))
    title = field(page, "Title")
    title.fill("Packing list for the lake trip!")
    title.press("Control+Enter")

    expect(page.get_by_role("status")).to_contain_text("was updated")
    post.refresh_from_db()
    assert post.title == "Packing list for the lake trip!"


def test_meta_enter_saves_from_a_textarea(staff_page: Page, records):
    page = staff_page
    post = records["hiking"]
    page.goto(post.get_absolute_url() + "edit/")

    content = field(page, "Content")
    content.fill("集合は七時半に変更です。")
    content.press("Meta+Enter")

    expect(page.get_by_role("status")).to_contain_text("was updated")
    assert Post.objects.get(pk=post.pk).content == "集合は七時半に変更です。"


def test_g_then_p_u_h_go_to_posts_users_home(staff_page: Page, records):
    page = staff_page
    page.keyboard.press("g")
    page.keyboard.press("p")
    expect(page.get_by_role("heading", level=1)).to_have_text("Posts")
    page.keyboard.press("g")
    page.keyboard.press("u")
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    page.keyboard.press("g")
    page.keyboard.press("h")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")


def test_shortcuts_do_not_fire_inside_text_fields(staff_page: Page, records):
    page = staff_page
    page.goto("/posts/")
    search = page.locator("form.filters input[name=q]")
    search.focus()

    page.keyboard.type("gujxoe")

    expect(search).to_have_value("gujxoe")
    expect(page).to_have_url(re.compile(r"/posts/$"))
    expect(page.locator("table.records tbody tr.is-current")).to_have_count(0)


def test_help_lists_every_shortcut(staff_page: Page, records):
    page = staff_page
    page.goto("/posts/")
    page.keyboard.press("?")
    dialog = page.get_by_role("dialog", name="Keyboard shortcuts")
    expect(dialog).to_be_visible()
    for text in (
        "Next or previous row of a list",
        "Tick or untick the row",
        "Open the row",
        "Edit the row",
        "Save the form",
        "Go to posts",
        "Go to users",
        "Go to the dashboard",
    ):
        expect(dialog).to_contain_text(text)
    page.keyboard.press("Escape")
    expect(dialog).to_be_hidden()


def test_skip_link_reaches_the_first_row_in_three_keys(staff_page: Page, records):
    page = staff_page
    page.goto("/posts/")

    page.keyboard.press("Tab")
    expect(page.get_by_role("link", name="Skip to the rows")).to_be_focused()
    page.keyboard.press("Enter")
    page.keyboard.press("Tab")

    first_box = page.locator("table.records tbody tr").first.locator("input[name=ids]")
    expect(first_box).to_be_focused()
