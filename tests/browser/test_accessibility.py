import pytest
from playwright.sync_api import Page, expect

from camp.jobs.models import Job
from camp.jobs.services import job_run

from .helpers import describe_violations, field, log_in

pytestmark = pytest.mark.browser


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_every_page_type_has_no_serious_accessibility_violations(
    open_page, staff_member, records, serious_violations, theme
):
    page: Page = open_page()
    found: dict[str, list[dict]] = {}

    def check(name: str) -> None:
        if theme == "dark":
            expect(page.locator("html")).to_have_attribute("data-theme", "dark")
        violations = serious_violations(page)
        if violations:
            found[f"{name} ({theme})"] = violations

    page.goto("/accounts/login/")
    if theme == "dark":
        page.locator("button[data-theme-toggle]").click()
    check("login")
    log_in(page, staff_member.username)
    check("dashboard")
    # The posts list with its filter panel open, as a member who left it so.
    page.context.add_cookies([{"name": "camp-filters-posts", "value": "open", "url": page.url}])

    hanako, summer_camp = records["hanako"], records["summer_camp"]
    pages = [
        ("users list", "/users/"),
        ("user detail", f"/users/{hanako.pk}/"),
        ("user form", "/users/new/"),
        ("user edit form", f"/users/{hanako.pk}/edit/"),
        ("user delete confirmation", f"/users/{hanako.pk}/delete/"),
        ("posts list", "/posts/?status=published&sort=title"),
        ("posts list, roomy rows", "/posts/?density=comfortable&author=hanako"),
        ("users list, inactive", "/users/?is_active=false&cols=email&cols=active&cols=posts"),
        ("post detail", f"/posts/{summer_camp.pk}/"),
        ("post form", "/posts/new/"),
        ("post delete confirmation", f"/posts/{summer_camp.pk}/delete/"),
        ("search results", "/search/?q=%E5%90%88%E5%AE%BF"),
        ("audit log", "/audit/"),
        ("404 page", "/no-such-page/"),
    ]
    for name, path in pages:
        page.goto(path)
        check(name)

    # Bulk confirmations list the rows they will change; Recently deleted has its own.
    page.goto("/posts/?status=draft")
    page.locator("table.records tbody input[name=ids]").first.check()
    page.get_by_role("button", name="Run on ticked rows").click()
    expect(page.locator("form.confirm table")).to_be_visible()
    check("bulk confirmation")
    records["archived"].delete()
    page.goto("/posts/deleted/?q=autumn")
    check("recently deleted posts")
    page.locator("table.records tbody input[name=ids]").first.check()
    page.get_by_role("button", name="Run on ticked rows").click()
    expect(page.locator("form.confirm table")).to_be_visible()
    check("bulk restore confirmation")

    # The import page while its preview job waits, then with the preview's errors.
    page.goto("/posts/import/")
    csv = b"title,author,status\nNew one,hanako,draft\nBad,nobody,finished\n"
    page.locator("input[type=file]").set_input_files(
        files=[{"name": "posts.csv", "mimeType": "text/csv", "buffer": csv}]
    )
    page.get_by_role("button", name="Preview the import").click()
    expect(page.locator("#preview-progress")).to_be_visible()
    check("import preview, waiting")
    job_run(job_id=Job.objects.latest("pk").pk)
    # The page follows its own refresh link once the preview is done.
    expect(page.locator("table.import-errors")).to_be_visible(timeout=10_000)
    check("import preview with errors")

    page.goto("/posts/new/")
    field(page, "Title").fill("")
    page.get_by_role("button", name="Save").click()
    expect(page.locator(".errorlist").first).to_be_visible()
    check("post form with errors")

    assert not found, "axe-core found serious or critical violations:\n" + describe_violations(
        found
    )
