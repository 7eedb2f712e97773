"""CSV imports confirmed through the pages and run by real `manage.py worker` processes."""

import signal
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.models import Count
from django.test import Client
from django.urls import resolve, reverse

from camp.audit.models import AuditEvent
from camp.jobs.models import Job
from camp.jobs.tests.workers import finish, start_worker, wait_for
from camp.models import PendingImport
from conftest import preview_import
from posts.models import Post
from users.tests.factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

IMPORT = reverse("posts:import")
IMPORT_CONFIRM = reverse("posts:import_confirm")


@pytest.fixture
def importer():
    user = StaffUserFactory(permissions=("posts.view_post", "posts.add_post", "posts.change_post"))
    client = Client()
    client.force_login(user)
    client.user = user
    return client


def queue_import(client, data: bytes, *, encoding: str) -> Job:
    """Preview `data` (checking the encoding the page names), confirm it, return the job."""
    preview = preview_import(client, IMPORT, SimpleUploadedFile("posts.csv", data))
    assert preview.context["result"].ok, preview.context["result"].errors[:3]
    assert f"read as {encoding}" in preview.content.decode()
    queued = client.post(IMPORT_CONFIRM, {"pending": preview.context["pending"].pk})
    assert queued.status_code == HTTPStatus.FOUND
    return Job.objects.get(pk=resolve(queued.url).kwargs["pk"])


def assert_created_once_each(owner, titles: list[str]) -> None:
    """Each title is one post with exactly one history entry, its creation by `owner`."""
    assert sorted(Post.objects.values_list("title", flat=True)) == sorted(titles)
    per_post = Post.history.values("id").annotate(n=Count("history_id"))
    assert {row["n"] for row in per_post} == {1}
    assert set(Post.history.values_list("history_type", "history_user").distinct()) == {
        ("+", owner.pk)
    }


def test_shift_jis_import_runs_through_a_worker(importer):
    UserFactory(username="hanako")
    titles = ["夏合宿のお知らせ", "冬合宿", "ｶﾀｶﾅの題"]
    data = "title,author,status\n" + "".join(f"{t},hanako,published\n" for t in titles)

    job = queue_import(importer, data.encode("cp932"), encoding="Shift_JIS")
    assert not Post.objects.exists()
    output = finish(start_worker("--until-idle"))

    job.refresh_from_db()
    assert (job.state, job.done, job.total) == ("done", 3, 3), output
    assert_created_once_each(importer.user, titles)
    assert not PendingImport.objects.exists()
    page = importer.get(job.get_absolute_url()).content.decode()
    assert "Imported: 3 created, 0 changed, 0 unchanged." in page
    event = AuditEvent.objects.get(event=AuditEvent.Event.IMPORT)
    assert (event.actor, event.details["created"]) == (importer.user, 3)


def test_import_worker_killed_half_way_is_resumed_and_writes_each_row_once(importer):
    UserFactory(username="taro")
    titles = [f"Imported {n}" for n in range(1500)]
    data = "title,author\n" + "".join(f"{t},taro\n" for t in titles)
    job = queue_import(importer, data.encode(), encoding="UTF-8")
    worker = start_worker(JOBS_BATCH_SIZE="50")

    wait_for(lambda: Job.objects.get(pk=job.pk).done >= 300, what="the first batches")
    worker.send_signal(signal.SIGKILL)
    worker.wait()

    job.refresh_from_db()
    done_at_kill = job.done
    assert job.state == "running" and 300 <= done_at_kill < 1500
    # Exactly the committed batches are written, with their history.
    assert Post.objects.count() == Post.history.count() == done_at_kill
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.IMPORT).exists()

    output = finish(start_worker("--until-idle", JOBS_BATCH_SIZE="50", JOBS_STALLED_SECONDS="1"))

    job.refresh_from_db()
    assert (job.state, job.done, job.attempts) == ("done", 1500, 2), output
    assert_created_once_each(importer.user, titles)
    event = AuditEvent.objects.get(event=AuditEvent.Event.IMPORT)
    assert (event.details["created"], event.details["unchanged"]) == (1500, 0)


def test_import_with_a_row_gone_bad_since_the_preview_writes_nothing(importer):
    jiro = UserFactory(username="jiro")
    UserFactory(username="taro")
    job = queue_import(importer, b"title,author\nFirst,taro\nSecond,jiro\n", encoding="UTF-8")
    jiro.delete()

    output = finish(start_worker("--until-idle"))

    job.refresh_from_db()
    assert (job.state, job.done) == ("done", 0), output
    assert not Post.objects.exists()
    page = importer.get(job.get_absolute_url()).content.decode()
    assert "Nothing was imported: 1 rows with errors." in page
    assert "Line 3" in page
    assert not AuditEvent.objects.filter(event=AuditEvent.Event.IMPORT).exists()


def test_a_preview_in_progress_holds_no_lock_on_the_posts_it_would_change(monkeypatch):
    import psycopg
    from django.db import connection

    from posts.services import PostImporter, post_import
    from posts.tests.factories import PostFactory

    taro = UserFactory(username="taro")
    post = PostFactory(title="Old", author=taro)
    settings_dict = connection.settings_dict
    seen = []

    def update_from_elsewhere(self, row):
        # While the preview works on its second row, another connection changes
        # the post the first row changed: with a lock held it would time out.
        if row.get("title") == "Second":
            with psycopg.connect(
                host=settings_dict["HOST"],
                port=settings_dict["PORT"] or 5432,
                user=settings_dict["USER"],
                password=settings_dict["PASSWORD"],
                dbname=settings_dict["NAME"],
                autocommit=True,
            ) as other:
                other.execute("SET lock_timeout = '2s'")
                seen.append(
                    other.execute(
                        "UPDATE posts_post SET content = 'elsewhere' WHERE id = %s", [post.pk]
                    ).rowcount
                )
        return row.get("title", "")

    monkeypatch.setattr(PostImporter, "label", update_from_elsewhere)

    result = post_import(text=f"id,title,author\n{post.pk},New,taro\n,Second,taro\n", commit=False)

    assert (result.updated, result.created, seen) == (1, 1, [1])
    post.refresh_from_db()
    assert (post.title, post.content) == ("Old", "elsewhere")
