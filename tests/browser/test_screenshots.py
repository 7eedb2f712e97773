import pytest
from playwright.sync_api import Page, Response, expect

from .helpers import log_in

pytestmark = pytest.mark.browser


def test_main_pages_render_without_errors(open_page, staff_member, records, screenshot):
    """Open each main page, check it loads cleanly and keep a screenshot of it."""
    page: Page = open_page()
    problems: list[str] = []

    def note_failed_response(response: Response) -> None:
        if response.status >= 400:
            problems.append(f"{response.status} for {response.url}")

    page.on("pageerror", lambda error: problems.append(f"JavaScript error: {error}"))
    page.on("response", note_failed_response)

    page.goto("/accounts/login/")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in to Camp")
    screenshot(page, "login")
    log_in(page, staff_member.username)

    hanako, summer_camp = records["hanako"], records["summer_camp"]
    pages = [
        ("dashboard", "/", "Dashboard"),
        ("users-list", "/users/", "Users"),
        ("user-detail", f"/users/{hanako.pk}/", "hanako"),
        ("posts-list", "/posts/", "Posts"),
        ("post-detail", f"/posts/{summer_camp.pk}/", "夏合宿のお知らせ"),
        ("post-form", f"/posts/{summer_camp.pk}/edit/", "Edit post"),
    ]
    for name, path, heading in pages:
        response = page.goto(path)
        assert response is not None and response.status == 200, f"{path} did not answer 200"
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        screenshot(page, name)

    search = page.get_by_role("searchbox", name="Search users and posts")
    search.fill("合宿")
    search.press("Enter")
    expect(page.get_by_role("heading", level=1)).to_have_text("Results for “合宿”")
    expect(page.get_by_role("link", name="夏合宿のお知らせ")).to_be_visible()
    screenshot(page, "search")

    page.wait_for_load_state("networkidle")
    assert not problems, "\n".join(problems)
