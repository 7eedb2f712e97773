"""Bulk actions on posts as background jobs: batches, history, cancel, permissions, recovery."""

from datetime import timedelta
from http import HTTPStatus

import pytest
from django.contrib.auth.models import Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from camp.jobs.models import Job, Notification
from camp.jobs.registry import BatchResult, JobKind, register
from camp.jobs.services import (
    JobPermissionError,
    job_cancel,
    job_enqueue,
    job_run,
    jobs_requeue_stalled,
)
from posts.models import Post
from users.tests.factories import StaffUserFactory

from .factories import DraftPostFactory, PostFactory

pytestmark = pytest.mark.django_db

CHANGE = "posts.change_post"


def archive_job(owner, **params) -> Job:
    params = {"action": "archive", "scope": "all", "query": "", "ids": [], **params}
    return job_enqueue(kind="posts.bulk", owner=owner, label="Archive", params=params, total=5)


@pytest.fixture
def editor():
    return StaffUserFactory(permissions=("posts.view_post", CHANGE))


@pytest.fixture
def small_batches(settings):
    settings.JOBS_BATCH_SIZE = 2


def test_job_archives_every_matching_post_once_with_one_history_entry_each(editor, small_batches):
    posts = [*PostFactory.create_batch(4), DraftPostFactory()]
    job = archive_job(editor)

    assert job_run(job_id=job.pk) == Job.State.DONE

    job.refresh_from_db()
    assert (job.state, job.done, job.cursor, job.lease) == ("done", 5, None, "")
    assert job.outcome == "5 posts were archived."
    for post in posts:
        records = Post.history.filter(id=post.pk, history_type="~")
        assert [(r.status, r.history_user, r.history_change_reason) for r in records] == [
            ("archived", editor, "Bulk status change")
        ]


def test_job_leaves_posts_the_filter_no_longer_matches(editor, small_batches):
    draft, published = DraftPostFactory(), PostFactory()
    job = archive_job(editor, query="status=draft")

    job_run(job_id=job.pk)

    assert Post.objects.get(pk=draft.pk).status == "archived"
    assert Post.objects.get(pk=published.pk).status == "published"


def test_job_is_refused_at_enqueue_without_the_permission():
    viewer = StaffUserFactory(permissions=("posts.view_post",))

    with pytest.raises(JobPermissionError):
        archive_job(viewer)

    assert not Job.objects.exists()


def test_job_whose_owner_lost_the_permission_fails_without_writing(editor):
    post = PostFactory()
    job = archive_job(editor)
    editor.user_permissions.remove(Permission.objects.get(codename="change_post"))

    assert job_run(job_id=job.pk) == Job.State.FAILED

    job.refresh_from_db()
    assert (job.state, job.error, job.done) == ("failed", "permission", 0)
    assert Post.objects.get(pk=post.pk).status == "published"


def test_cancel_stops_after_the_current_batch(editor, small_batches):
    PostFactory.create_batch(5)

    def cancel_during_first_batch(*, job, owner, cursor):
        Job.objects.filter(pk=job.pk).update(cancel_requested=True)
        return BatchResult(rows=2, cursor=2)

    register(
        JobKind(
            key="test.cancel", label="", permissions=lambda p: (), batch=cancel_during_first_batch
        )
    )
    job = job_enqueue(kind="test.cancel", owner=editor, label="Test", params={}, total=5)

    assert job_run(job_id=job.pk) == Job.State.CANCELLED

    job.refresh_from_db()
    assert (job.state, job.done) == ("cancelled", 2)


def test_cancel_of_a_queued_job_cancels_it_at_once(editor):
    job = job_cancel(job=archive_job(editor))

    assert job.state == Job.State.CANCELLED
    assert job_run(job_id=job.pk) == "skipped"


def test_failed_batch_writes_nothing_and_the_job_says_why(editor):
    post = PostFactory()

    def broken(*, job, owner, cursor):
        Post.objects.update(status="archived")
        raise ValueError("broken on purpose")

    register(JobKind(key="test.broken", label="", permissions=lambda p: (), batch=broken))
    job = job_enqueue(kind="test.broken", owner=editor, label="Test", params={})

    assert job_run(job_id=job.pk) == Job.State.FAILED

    job.refresh_from_db()
    assert job.error == "ValueError: broken on purpose"
    assert Post.objects.get(pk=post.pk).status == "published"


def test_stalled_running_job_is_queued_again_and_its_old_lease_stops_writing(editor, settings):
    settings.JOBS_STALLED_SECONDS = 60
    job = archive_job(editor)
    Job.objects.filter(pk=job.pk).update(
        state="running", lease="old", heartbeat_at=timezone.now() - timedelta(seconds=61)
    )
    old_task = job.task_id

    assert jobs_requeue_stalled() == 1

    job.refresh_from_db()
    assert (job.state, job.lease) == ("queued", "")
    assert job.task_id != old_task


def test_running_job_with_a_recent_batch_is_left_alone(editor, settings):
    settings.JOBS_STALLED_SECONDS = 60
    job = archive_job(editor)
    Job.objects.filter(pk=job.pk).update(state="running", lease="x", heartbeat_at=timezone.now())

    assert jobs_requeue_stalled() == 0


# Pages ------------------------------------------------------------------------


def test_job_page_shows_progress_and_refreshes_while_running(client, editor):
    job = archive_job(editor)
    Job.objects.filter(pk=job.pk).update(
        state="running",
        done=2,
        started_at=timezone.now() - timedelta(seconds=2),
        heartbeat_at=timezone.now(),
    )
    client.force_login(editor)

    response = client.get(job.get_absolute_url())

    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert '<meta http-equiv="refresh" content="3">' in body
    assert '<progress id="job-progress" max="5" value="2">' in body
    assert "2 of 5 rows" in body
    assert "rows a second" in body


def test_finished_job_page_stops_refreshing_and_shows_the_outcome(client, editor):
    PostFactory()
    job = archive_job(editor)
    job_run(job_id=job.pk)
    client.force_login(editor)

    body = client.get(job.get_absolute_url()).content.decode()

    assert "http-equiv" not in body
    assert "1 post was archived." in body


def test_member_cannot_see_another_members_job(client, editor):
    job = archive_job(editor)
    client.force_login(StaffUserFactory(permissions=(CHANGE,)))

    assert client.get(job.get_absolute_url()).status_code == HTTPStatus.NOT_FOUND
    assert client.post(reverse("jobs:cancel", args=[job.pk])).status_code == HTTPStatus.NOT_FOUND
    assert client.get(reverse("jobs:list")).context["jobs"].count() == 0


def test_superuser_sees_everyones_jobs(admin_client, editor):
    job = archive_job(editor)

    response = admin_client.get(reverse("jobs:list"))

    assert list(response.context["jobs"]) == [job]
    assert admin_client.get(job.get_absolute_url()).status_code == HTTPStatus.OK


def test_cancel_button_asks_the_job_to_stop(client, editor):
    job = archive_job(editor)
    Job.objects.filter(pk=job.pk).update(state="running")
    client.force_login(editor)

    response = client.post(reverse("jobs:cancel", args=[job.pk]))

    assert response.status_code == HTTPStatus.FOUND
    assert Job.objects.get(pk=job.pk).cancel_requested


def test_metrics_count_jobs_by_state_and_the_oldest_queued(admin_client, editor):
    archive_job(editor)

    body = admin_client.get(reverse("metrics")).content.decode()

    assert 'camp_jobs{state="queued"} 1.0' in body
    assert 'camp_jobs{state="running"} 0.0' in body
    assert "camp_jobs_oldest_queued_seconds " in body


# Notifications ----------------------------------------------------------------


def test_finished_job_notifies_its_owner_and_the_bell_counts_it(client, editor):
    PostFactory()
    job = archive_job(editor)
    job_run(job_id=job.pk)
    client.force_login(editor)

    response = client.get(reverse("notifications:list"))

    body = response.content.decode()
    assert response.status_code == HTTPStatus.OK
    assert 'data-unread="1"' in body
    assert f'href="{job.get_absolute_url()}">“Archive” finished.</a>' in body


def test_failed_job_notifies_its_owner(editor):
    job = archive_job(editor)
    editor.user_permissions.remove(Permission.objects.get(codename="change_post"))

    job_run(job_id=job.pk)

    assert list(Notification.objects.filter(user=editor).values_list("kind", flat=True)) == [
        "failed"
    ]


def test_marking_read_clears_the_bell(client, editor):
    job = archive_job(editor)
    job_run(job_id=job.pk)
    client.force_login(editor)
    client.get(reverse("home"))

    response = client.post(reverse("notifications:read"), follow=True)

    assert 'data-unread="' not in response.content.decode()
    assert not Notification.objects.unread().exists()


def test_member_cannot_mark_anothers_notification_read(client, editor):
    job = archive_job(editor)
    job_run(job_id=job.pk)
    notification = Notification.objects.get()
    client.force_login(StaffUserFactory())

    client.post(reverse("notifications:read"), {"id": notification.pk})

    assert Notification.objects.get().read_at is None


def test_bell_costs_no_query_once_counted(client, editor):
    client.force_login(editor)
    client.get(reverse("jobs:list"))

    with CaptureQueriesContext(connection) as captured:
        client.get(reverse("jobs:list"))

    assert not [q for q in captured.captured_queries if "jobs_notification" in q["sql"]]
