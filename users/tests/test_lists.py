"""The user list for a working day: filters, bulk (de)activation, export and import."""

import csv
import io
from datetime import timedelta
from http import HTTPStatus

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.http import StreamingHttpResponse
from django.urls import resolve, reverse
from django.utils import timezone

from camp.jobs.services import job_run
from conftest import preview_import
from posts.tests.factories import PostFactory
from users.models import User
from users.selectors import user_summary

from .factories import StaffUserFactory, UserFactory

pytestmark = pytest.mark.django_db

VIEW = "users.view_user"
ADD = "users.add_user"
CHANGE = "users.change_user"

LIST = reverse("users:list")
BULK = reverse("users:bulk")
EXPORT_CSV = reverse("users:export_csv")
IMPORT = reverse("users:import")
IMPORT_CONFIRM = reverse("users:import_confirm")


def usernames(response) -> list[str]:
    return sorted(profile.username for profile in response.context["page_obj"].object_list)


def csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content).decode("utf-8-sig")
    return list(csv.reader(io.StringIO(body)))


@pytest.fixture
def people():
    """Active and inactive, staff and not, joined recently and long ago."""
    now = timezone.now()
    return {
        "active-staff": StaffUserFactory(username="active-staff"),
        "active-plain": UserFactory(username="active-plain"),
        "gone-staff": StaffUserFactory(username="gone-staff", is_active=False),
        "gone-plain": UserFactory(
            username="gone-plain", is_active=False, date_joined=now - timedelta(days=400)
        ),
    }


@pytest.fixture
def viewer(staff_client_with):
    # A superuser-free viewer who is themselves active staff: counted in the lists below.
    return staff_client_with(VIEW, username="viewer")


# Filters ---------------------------------------------------------------------


def test_active_yes_and_no_together_filter_nothing(viewer, people):
    response = viewer.get(LIST, {"is_active": ["true", "false"]})

    assert len(usernames(response)) == 5


def test_active_and_staff_combine_with_and(viewer, people):
    response = viewer.get(LIST, {"is_active": "false", "is_staff": "true"})

    assert usernames(response) == ["gone-staff"]


def test_staff_yes_or_no_with_joined_range(viewer, people):
    a_year_ago = (timezone.now() - timedelta(days=300)).date().isoformat()

    response = viewer.get(LIST, {"is_staff": ["true", "false"], "joined_before": a_year_ago})

    assert usernames(response) == ["gone-plain"]


def test_unknown_active_value_is_dropped_and_the_known_one_kept(viewer, people):
    response = viewer.get(LIST, {"is_active": ["maybe", "false"]})

    assert usernames(response) == ["gone-plain", "gone-staff"]


def test_active_filter_is_one_any_yes_no_choice(viewer):
    response = viewer.get(LIST, {"is_active": "false"})

    box = str(response.context["filterset"].form["is_active"])
    assert box.startswith('<select name="is_active"')
    assert '<option value="false" selected>No</option>' in box
    assert '<option value="">Any</option>' in box


def test_active_yes_and_no_together_show_as_any(viewer):
    response = viewer.get(LIST, {"is_active": ["true", "false"]})

    assert '<option value="" selected>Any</option>' in str(
        response.context["filterset"].form["is_active"]
    )


def test_chips_name_the_chosen_flags(viewer, people):
    response = viewer.get(LIST, {"is_active": "false", "is_staff": ["true", "false"]})

    assert [(c.label, c.value, c.url) for c in response.context["chips"]] == [
        ("Active", "No", "?is_staff=true&is_staff=false"),
        ("Staff", "Yes", "?is_active=false&is_staff=false"),
        ("Staff", "No", "?is_active=false&is_staff=true"),
    ]


def test_list_queries_do_not_grow_with_rows(staff_client_with, count_queries):
    client = staff_client_with(VIEW, CHANGE, "posts.view_post")
    params = {"is_active": "true", "cols": ["email", "posts", "last_login"]}
    for user in UserFactory.create_batch(2):
        PostFactory(author=user)
    few = count_queries(client, LIST, params)
    for user in UserFactory.create_batch(15):
        PostFactory(author=user)

    many = count_queries(client, LIST, params)

    assert many == few


# Bulk actions ----------------------------------------------------------------


def test_bulk_deactivate_all_matching_changes_as_many_as_announced(staff_client_with, people):
    client = staff_client_with(VIEW, CHANGE)
    query = "is_staff=false"
    asked = client.post(BULK, {"action": "deactivate", "scope": "all", "query": query})

    client.post(
        BULK,
        {
            "action": "deactivate",
            "scope": "all",
            "query": query,
            "expected": asked.context["count"],
            "confirm": "1",
        },
    )

    assert asked.context["count"] == 1
    assert set(User.objects.filter(is_active=True).values_list("username", flat=True)) == {
        "active-staff",
        client.user.username,
    }


def test_bulk_confirmation_lists_only_the_users_the_action_will_change(staff_client_with, people):
    client = staff_client_with(VIEW, CHANGE)
    ids = [people["active-plain"].pk, people["gone-plain"].pk, client.user.pk]

    response = client.post(BULK, {"action": "deactivate", "ids": ids})

    assert [member.username for member in response.context["preview"]] == ["active-plain"]
    table = response.content.decode().split('class="table-wrap bulk-preview"')[1]
    assert people["active-plain"].email in table
    assert "gone-plain" not in table and client.user.username not in table


def test_bulk_deactivate_leaves_the_member_acting_active(staff_client_with, people):
    client = staff_client_with(VIEW, CHANGE)

    response = client.post(BULK, {"action": "deactivate", "scope": "all", "query": ""})
    client.post(
        BULK,
        {
            "action": "deactivate",
            "scope": "all",
            "query": "",
            "expected": response.context["count"],
            "confirm": 1,
        },
    )

    client.user.refresh_from_db()
    assert client.user.is_active
    assert response.context["count"] == 2


def test_bulk_activate_forgets_cached_summaries(staff_client_with, people):
    gone = people["gone-plain"]
    assert user_summary(user_id=gone.pk).is_active is False
    client = staff_client_with(VIEW, CHANGE)

    client.post(BULK, {"action": "activate", "ids": [gone.pk], "expected": 1, "confirm": 1})

    assert user_summary(user_id=gone.pk).is_active is True


def test_bulk_activate_records_history(staff_client_with, people):
    client = staff_client_with(VIEW, CHANGE)
    gone = people["gone-staff"]

    client.post(BULK, {"action": "activate", "ids": [gone.pk], "expected": 1, "confirm": 1})

    record = gone.history.order_by("-history_id").first()
    assert (record.history_type, record.is_active, record.history_user) == ("~", True, client.user)


def test_viewer_cannot_bulk_deactivate(viewer, people):
    response = viewer.post(
        BULK, {"action": "deactivate", "scope": "all", "query": "", "expected": 4, "confirm": 1}
    )

    assert response.status_code == HTTPStatus.FORBIDDEN
    assert User.objects.filter(is_active=True).count() == 3


# Export ----------------------------------------------------------------------


def test_csv_export_streams_the_filtered_list(viewer, people):
    response = viewer.get(EXPORT_CSV, {"is_active": "false", "sort": "username"})

    assert isinstance(response, StreamingHttpResponse)
    rows = csv_rows(response)
    assert [row[1] for row in rows[1:]] == ["gone-plain", "gone-staff"]


def test_csv_export_never_holds_passwords(viewer, people):
    rows = csv_rows(viewer.get(EXPORT_CSV, {"cols": ["email", "last_login", "posts"]}))

    assert rows[0] == ["id", "username", "email", "last_login", "posts"]
    assert not any("argon2" in cell or "pbkdf2" in cell for row in rows for cell in row)


def test_csv_export_writes_flags_as_true_or_false(viewer, people):
    rows = csv_rows(viewer.get(EXPORT_CSV, {"cols": ["active", "staff"], "q": "gone-staff"}))

    assert rows[1][1:] == ["gone-staff", "false", "true"]


# Import ----------------------------------------------------------------------


IMPORTER = (VIEW, ADD, CHANGE)


def preview(client, text: str):
    data = SimpleUploadedFile("users.csv", text.encode("utf-8-sig"), content_type="text/csv")
    return preview_import(client, IMPORT, data)


def confirm(client, pending_pk, **extra):
    """Confirm a previewed import, run here the job it queues, and return the job's page."""
    queued = client.post(IMPORT_CONFIRM, {"pending": pending_pk}, **extra)
    assert queued.status_code == HTTPStatus.FOUND, queued
    job_run(job_id=resolve(queued.url).kwargs["pk"])
    return client.get(queued.url)


def test_valid_import_creates_users_without_a_usable_password(staff_client_with):
    client = staff_client_with(*IMPORTER)
    response = preview(
        client, "username,email,name,active,staff\nkenji,kenji@example.com,佐藤 健二,true,false\n"
    )

    confirm(client, response.context["pending"].pk)

    kenji = User.objects.get(username="kenji")
    assert (kenji.email, kenji.name, kenji.is_active, kenji.is_staff) == (
        "kenji@example.com",
        "佐藤 健二",
        True,
        False,
    )
    assert not kenji.has_usable_password()


def test_import_with_a_duplicate_email_creates_nothing_and_names_the_line(staff_client_with):
    UserFactory(username="taken", email="taken@example.com")
    client = staff_client_with(*IMPORTER)

    response = preview(client, "username,email\nfine,fine@example.com\nclash,TAKEN@example.com\n")

    errors = response.context["result"].errors
    assert [(row.line, row.label) for row in errors] == [(3, "clash")]
    assert "already exists" in errors[0].errors[0]
    assert not User.objects.filter(username="fine").exists()


def test_import_with_a_bad_flag_names_the_line(staff_client_with):
    response = preview(
        staff_client_with(*IMPORTER), "username,email,staff\nx,x@example.com,maybe\n"
    )

    assert [row.line for row in response.context["result"].errors] == [2]


def test_reimport_matches_by_username_and_changes_only_what_differs(staff_client_with, people):
    client = staff_client_with(*IMPORTER)
    text = "username,active\nGONE-PLAIN,true\nactive-plain,true\n"

    response = preview(client, text)
    confirm(client, response.context["pending"].pk)

    result = response.context["result"]
    assert (result.updated, result.unchanged, result.created) == (1, 1, 0)
    assert User.objects.get(username="gone-plain").is_active
    assert User.objects.count() == 5


def test_import_cannot_set_a_password(staff_client_with, people):
    client = staff_client_with(*IMPORTER)
    before = User.objects.get(username="active-plain").password

    response = preview(client, "username,password\nactive-plain,hunter2\n")

    assert response.context["result"].ignored_columns == ["password"]
    assert response.context["result"].unchanged == 1
    assert User.objects.get(username="active-plain").password == before
