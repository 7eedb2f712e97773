"""The import preview as a job: the upload stored in pieces, each piece checked, none written."""

import csv
import io
from http import HTTPStatus
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import resolve, reverse

from camp.jobs.models import Job
from camp.jobs.services import job_run
from camp.models import PendingImport, PendingImportPiece
from conftest import preview_import
from posts.models import Post
from users.tests.factories import UserFactory

from .factories import DraftPostFactory

pytestmark = pytest.mark.django_db

IMPORT = reverse("posts:import")
IMPORT_CONFIRM = reverse("posts:import_confirm")
IMPORTER = ("posts.view_post", "posts.add_post", "posts.change_post")
BAD_STATUS = "Status: “finished” is not one of draft, published, archived."


def upload(text: str, name: str = "posts.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode(), content_type="text/csv")


def preview_job(response) -> Job:
    return Job.objects.get(pk=parse_qs(urlsplit(response.url).query)["preview"][0])


@pytest.fixture
def taro():
    return UserFactory(username="taro")


@pytest.fixture
def client(staff_client_with):
    return staff_client_with(*IMPORTER)


def test_an_upload_is_stored_in_pieces_and_its_preview_queued(client, taro, settings):
    settings.JOBS_BATCH_SIZE = 2
    text = "title,author\n" + "".join(f"Post {n},taro\n" for n in range(5))

    response = client.post(IMPORT, {"file": upload(text)})

    assert response.status_code == HTTPStatus.FOUND
    job = preview_job(response)
    assert (job.kind, job.state, job.total) == ("posts.import_preview", "queued", 5)
    pending = PendingImport.objects.get()
    assert (pending.rows, pending.header, pending.checked) == (5, ["title", "author"], False)
    pieces = PendingImportPiece.objects.order_by("seq")
    assert [(piece.first_line, piece.text.count("\n")) for piece in pieces] == [
        (2, 2),
        (4, 2),
        (6, 1),
    ]
    assert not Post.objects.exists()


def test_the_preview_page_refreshes_until_its_job_is_done(client, taro):
    response = client.post(IMPORT, {"file": upload("title,author\nHello,taro\n")})

    waiting = client.get(response.url)

    page = waiting.content.decode()
    assert "data-auto-refresh" in page
    assert "Checking every row, nothing written: 0 of 1" in page
    assert "import-confirm" not in page
    job_run(job_id=preview_job(response).pk)
    done = client.get(response.url).content.decode()
    assert "data-auto-refresh" not in done
    assert "import-confirm" in done


def test_a_preview_over_several_pieces_adds_them_up(client, taro, settings):
    settings.JOBS_BATCH_SIZE = 2
    existing = DraftPostFactory(title="Old", author=taro)
    text = (
        "title,author,status\n"
        "Old,taro,published\nA,taro,\nB,nobody,\nC,taro,\nD,taro,wrong\nOld,taro,draft\n"
    )

    response = preview_import(client, IMPORT, upload(text))

    result = response.context["result"]
    assert (result.created, result.updated, result.unchanged, result.error_count) == (2, 1, 0, 3)
    assert [row.line for row in result.errors] == [4, 6, 7]
    # The upload cannot be imported, so it is not kept; the rows with errors are the job's file.
    assert response.context["pending"] is None and not PendingImport.objects.exists()
    job = Job.objects.get(kind="posts.import_preview")
    assert (job.state, job.done, job.total) == ("done", 6, 6)
    existing.refresh_from_db()
    assert existing.status == "draft" and Post.objects.count() == 1


def test_rows_with_errors_show_beside_their_values_and_download_with_reasons(client, taro):
    text = "title,author,status\nFine,taro,draft\nBad,taro,finished\n=SUM(1),nobody,\n"

    response = preview_import(client, IMPORT, upload(text))

    page = response.content.decode()
    assert BAD_STATUS in page
    assert '<td class="cell-text">finished</td>' in page
    job = Job.objects.get(kind="posts.import_preview")
    file_url = reverse("jobs:file", args=[job.pk])
    assert file_url in page
    download = b"".join(client.get(file_url).streaming_content).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(download))) == [
        ["line", "title", "author", "status", "reason"],
        [
            "3",
            "Bad",
            "taro",
            "finished",
            "Status: “finished” is not one of draft, published, archived.",
        ],
        ["4", "'=SUM(1)", "nobody", "", "Author: No user with that username exists."],
    ]


def test_the_summary_and_what_happens_next_come_before_the_rows(client, taro):
    response = preview_import(client, IMPORT, upload("title,author\nA,taro\nB,nobody\n"))

    page = response.content.decode()
    nothing_written = page.index("Nothing was written.")
    assert nothing_written < page.index("import-counts") < page.index("Rows with errors")
    assert page.index("posts.csv: 2 rows") < nothing_written
    # The form to upload the corrected file comes after the preview.
    assert page.index("Preview another file") > page.index("Rows with errors")


def test_an_id_no_post_has_is_pointed_out(client, taro):
    response = preview_import(client, IMPORT, upload("id,title,author\n999999,Hello,taro\n"))

    assert response.context["result"].changes[0].notes == ["No post has the id 999999."]
    assert "No post has the id 999999." in response.content.decode()


def test_an_import_writes_piece_by_piece(client, taro, settings):
    settings.JOBS_BATCH_SIZE = 2
    text = "title,author\n" + "".join(f"Post {n},taro\n" for n in range(5))
    response = preview_import(client, IMPORT, upload(text))

    queued = client.post(IMPORT_CONFIRM, {"pending": response.context["pending"].pk})
    job = Job.objects.get(pk=resolve(queued.url).kwargs["pk"])
    assert (job.kind, job.total) == ("posts.import", 5)
    assert job_run(job_id=job.pk) == "done"

    job.refresh_from_db()
    assert (job.done, job.outcome) == (5, "Imported: 5 created, 0 changed, 0 unchanged.")
    assert Post.objects.count() == 5 and Post.history.count() == 5
    assert not PendingImport.objects.exists() and not PendingImportPiece.objects.exists()


def test_reading_an_upload_costs_queries_per_piece_not_per_row(client, taro, settings):
    settings.JOBS_BATCH_SIZE = 1000
    text = "title,author\n" + "".join(f"Post {n},taro\n" for n in range(3000))

    with CaptureQueriesContext(connection) as queries:
        client.post(IMPORT, {"file": upload(text)})

    statements = [query["sql"] for query in queries.captured_queries]
    pieces = [sql for sql in statements if sql.startswith('INSERT INTO "camp_pendingimportpiece"')]
    assert len(pieces) == 3
    # No row is validated in the request: nothing reads posts or their authors.
    assert not [sql for sql in statements if '"posts_post"' in sql]
    assert len(statements) < 40


def test_an_upload_whose_preview_found_errors_cannot_be_imported(client, taro):
    response = preview_import(client, IMPORT, upload("title,author\nA,nobody\n"))

    pending = response.context["job"].params["pending"]

    refused = client.post(IMPORT_CONFIRM, {"pending": pending}, follow=True)

    assert "That upload is gone" in refused.content.decode()
    assert not Job.objects.filter(kind="posts.import").exists()


def test_a_new_upload_cancels_the_previous_preview_still_to_run(client, taro):
    first = preview_job(client.post(IMPORT, {"file": upload("title,author\nA,taro\n")}))

    second = preview_job(client.post(IMPORT, {"file": upload("title,author\nB,taro\n")}))

    first.refresh_from_db()
    assert first.state == "cancelled"
    assert job_run(job_id=second.pk) == "done"


def test_someone_elses_preview_is_not_shown(client, staff_client_with, taro):
    response = preview_import(client, IMPORT, upload("title,author\nSecret,taro\n"))
    other = staff_client_with(*IMPORTER)

    page = other.get(response.wsgi_request.get_full_path())

    assert page.context["job"] is None and "Secret" not in page.content.decode()


def test_the_preview_job_page_links_to_the_preview(client, taro):
    response = preview_import(client, IMPORT, upload("title,author\nA,taro\n"))
    job = Job.objects.get(kind="posts.import_preview")

    page = client.get(job.get_absolute_url()).content.decode()

    assert f"{IMPORT}?preview={job.pk}" in page
    assert "Preview: 1 to create, 0 to change, 0 unchanged, 0 with errors." in page
    assert response.status_code == HTTPStatus.OK
