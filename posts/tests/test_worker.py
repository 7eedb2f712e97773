"""Real `manage.py worker` processes running bulk jobs on posts: alone, in pairs, killed."""

import signal

import pytest
from django.db.models import Count

from camp.jobs.models import Job
from camp.jobs.services import job_enqueue
from camp.jobs.tests.workers import finish, start_worker, wait_for
from posts.models import Post
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)


def make_posts(count: int, *, status: str = Post.Status.PUBLISHED) -> None:
    author = UserFactory()
    Post.objects.bulk_create(
        Post(title=f"Post {n}", author=author, status=status) for n in range(count)
    )


def archive_job(owner, *, query: str = "", total: int) -> Job:
    params = {"action": "archive", "scope": "all", "query": query, "ids": []}
    return job_enqueue(kind="posts.bulk", owner=owner, label="Archive", params=params, total=total)


@pytest.fixture
def editor():
    return StaffUserFactory(permissions=("posts.view_post", "posts.change_post"))


def assert_archived_once_each(owner) -> None:
    """Every post is archived and has exactly one history entry saying so, by `owner`."""
    assert not Post.objects.exclude(status="archived").exists()
    entries = (
        Post.history.filter(history_type="~")
        .values("id")
        .annotate(n=Count("history_id"))
        .values_list("n", flat=True)
    )
    assert set(entries) == {1}
    assert Post.history.filter(history_type="~").count() == Post.objects.count()
    assert set(
        Post.history.filter(history_type="~").values_list("history_user", "status").distinct()
    ) == {(owner.pk, "archived")}


def test_worker_until_idle_runs_a_queued_job_to_the_end(editor):
    make_posts(250)
    job = archive_job(editor, total=250)

    output = finish(start_worker("--until-idle", JOBS_BATCH_SIZE="100"))

    job.refresh_from_db()
    assert (job.state, job.done, job.attempts) == ("done", 250, 1), output
    assert_archived_once_each(editor)


def test_two_workers_share_the_queue_without_doing_anything_twice(editor):
    from django_tasks_db.models import DBTaskResult

    make_posts(600)
    owners = [editor] + [
        StaffUserFactory(permissions=("posts.view_post", "posts.change_post")) for _ in range(5)
    ]
    # Six jobs over disjoint posts: "Post 1" finds Post 1, 10-19 and 100-199, none of "Post 2".
    jobs = [
        archive_job(owner, query=f"q=Post+{digit}", total=0)
        for digit, owner in zip("012345", owners, strict=True)
    ]
    workers = [start_worker("--until-idle", JOBS_BATCH_SIZE="20") for _ in range(2)]
    outputs = [finish(worker) for worker in workers]

    for job in jobs:
        job.refresh_from_db()
        assert (job.state, job.attempts) == ("done", 1), outputs
    tasks = DBTaskResult.objects.filter(pk__in=[job.task_id for job in jobs])
    assert [len(task.worker_ids) for task in tasks] == [1] * 6
    archived = Post.objects.filter(status="archived").count()
    # "Post 0" alone, and 111 for each of 1 to 5.
    assert archived == sum(job.done for job in jobs) == 1 + 5 * 111
    assert Post.history.filter(history_type="~").count() == archived
    changed_twice = Post.history.filter(history_type="~").values("id").annotate(n=Count("pk"))
    assert not changed_twice.filter(n__gt=1).exists()


def test_worker_killed_half_way_leaves_the_job_to_finish_exactly_once(editor):
    make_posts(4000)
    job = archive_job(editor, total=4000)
    worker = start_worker(JOBS_BATCH_SIZE="50")

    wait_for(lambda: Job.objects.get(pk=job.pk).done >= 500, what="the first batches")
    worker.send_signal(signal.SIGKILL)
    worker.wait()

    job.refresh_from_db()
    done_at_kill = job.done
    assert job.state == "running" and 500 <= done_at_kill < 4000
    # Exactly the committed batches are archived, each post once.
    assert Post.objects.filter(status="archived").count() == done_at_kill
    assert Post.history.filter(history_type="~").count() == done_at_kill

    output = finish(start_worker("--until-idle", JOBS_BATCH_SIZE="50", JOBS_STALLED_SECONDS="1"))

    job.refresh_from_db()
    assert (job.state, job.done, job.attempts) == ("done", 4000, 2), output
    assert "Queued again 1 job(s)" in output
    assert_archived_once_each(editor)


def test_worker_stopped_with_sigterm_releases_its_job_after_the_current_batch(editor):
    make_posts(4000)
    job = archive_job(editor, total=4000)
    worker = start_worker(JOBS_BATCH_SIZE="50")

    wait_for(lambda: Job.objects.get(pk=job.pk).done >= 200, what="the first batches")
    worker.send_signal(signal.SIGTERM)
    finish(worker, timeout=30)

    job.refresh_from_db()
    assert job.state == "queued" and job.lease == ""
    assert Post.objects.filter(status="archived").count() == job.done < 4000

    finish(start_worker("--until-idle", JOBS_BATCH_SIZE="500"))

    job.refresh_from_db()
    assert (job.state, job.done) == ("done", 4000)
    assert_archived_once_each(editor)
