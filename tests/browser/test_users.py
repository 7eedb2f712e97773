import pytest
from playwright.sync_api import Page, expect

from users.models import User

from .helpers import field, main_navigation

pytestmark = pytest.mark.browser

NEW_PASSWORD = "kawa-no-nagare-42"


def test_staff_member_creates_a_user_with_the_password_typed_twice(staff_page: Page):
    page = staff_page
    main_navigation(page).get_by_role("link", name="Users", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Users")
    page.get_by_role("link", name="New user").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("New user")

    field(page, "Username").fill("kenji")
    field(page, "Email address").fill("Kenji.Sato@Example.com")
    field(page, "Name").fill("佐藤 健二")
    field(page, "Password").fill(NEW_PASSWORD)
    field(page, "Password confirmation").fill(NEW_PASSWORD + "-typo")
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("New user")
    expect(page.locator("form.record-form")).to_contain_text("didn\u2019t match")
    expect(field(page, "Name")).to_have_value("佐藤 健二")

    field(page, "Password").fill(NEW_PASSWORD)
    field(page, "Password confirmation").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save").click()

    expect(page.get_by_role("status")).to_contain_text("User “kenji” was created.")
    expect(page.get_by_role("heading", level=1)).to_have_text("kenji")
    expect(page.locator(".facts")).to_contain_text("佐藤 健二")
    expect(page.locator(".facts")).to_contain_text("kenji.sato@example.com")
    assert User.objects.get(username="kenji").check_password(NEW_PASSWORD)
