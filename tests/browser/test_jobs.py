"""A bulk action too big for one request, watched on its job page while a real worker runs it."""

import re

import pytest
from playwright.sync_api import Page, expect

from camp.jobs.models import Job
from camp.jobs.tests.workers import finish, start_worker
from camp.lists.bulk import IN_REQUEST_LIMIT
from posts.models import Post

pytestmark = pytest.mark.browser

ROWS = IN_REQUEST_LIMIT + 500


def test_staff_member_archives_more_posts_than_a_request_takes_and_watches_the_job(
    page: Page, staff_member, screenshot
):
    from .helpers import log_in

    Post.objects.bulk_create(
        Post(title=f"Old post {n}", author=staff_member, status=Post.Status.PUBLISHED)
        for n in range(ROWS)
    )
    log_in(page, staff_member.username)
    page.goto("/posts/")

    page.get_by_label("With the ticked rows").select_option(label="Archive")
    page.get_by_role("button", name=f"Run on all {ROWS:,} rows matching the filter").click()
    expect(page.locator("form.confirm")).to_contain_text(f"Archive {ROWS} posts?")
    page.get_by_role("button", name="Archive", exact=True).click()

    # Too many rows for the request: the page is the job's, and no worker has run it yet.
    job = Job.objects.get()
    expect(page).to_have_url(re.compile(rf"/jobs/{job.pk}/$"))
    expect(page.locator("[data-job-state]")).to_have_text("Queued")
    progress = page.locator("progress#job-progress")
    expect(progress).to_have_attribute("max", str(ROWS))
    expect(progress).to_have_attribute("value", "0")

    worker = start_worker("--until-idle", JOBS_BATCH_SIZE="100")
    try:
        # The page refreshes itself every few seconds until the bar is full.
        expect(progress).to_have_attribute("value", str(ROWS), timeout=90_000)
    finally:
        finish(worker)
    expect(page.locator("[data-job-state]")).to_have_text("Done")
    expect(page.locator(".job-outcome")).to_have_text(f"{ROWS} posts were archived.")
    expect(page.get_by_text(f"{ROWS:,} of {ROWS:,} rows")).to_be_visible()
    screenshot(page, "job-done")
    assert not Post.objects.exclude(status=Post.Status.ARCHIVED).exists()
    assert Post.history.filter(history_type="~").count() == ROWS
