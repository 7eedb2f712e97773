import pytest
from playwright.sync_api import Page, expect

from .helpers import PASSWORD, field, main_navigation

pytestmark = pytest.mark.browser


def test_staff_member_logs_in_and_lands_on_dashboard(page: Page, staff_member, records):
    page.goto("/")
    expect(page).to_have_url("/accounts/login/?next=/")

    field(page, "Username").fill(staff_member.username)
    field(page, "Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in", exact=True).click()

    expect(page).to_have_url("/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Dashboard")
    expect(page.locator(".stat").filter(has_text="Posts")).to_contain_text("4")
    expect(page.get_by_role("link", name="夏合宿のお知らせ")).to_be_visible()
    expect(page.get_by_role("link", name="hanako")).to_be_visible()
    navigation = main_navigation(page)
    for label in ("Dashboard", "Users", "Posts"):
        expect(navigation.get_by_role("link", name=label, exact=True)).to_be_visible()


def test_wrong_password_is_refused_with_a_message(page: Page, staff_member):
    page.goto("/accounts/login/")
    field(page, "Username").fill(staff_member.username)
    field(page, "Password").fill("not-the-password")
    page.get_by_role("button", name="Log in", exact=True).click()

    expect(page.get_by_role("alert")).to_contain_text(
        "The username and/or password you specified are not correct"
    )
    expect(field(page, "Username")).to_have_value(staff_member.username)
