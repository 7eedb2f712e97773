import json
import logging
import time
from http import HTTPStatus

import pytest
from django.urls import reverse

from camp.ops.logging import JsonFormatter
from camp.ops.observability import RequestIdFilter
from users.tests.factories import StaffUserFactory

pytestmark = pytest.mark.django_db


class Collect(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.addFilter(RequestIdFilter())
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture
def request_log():
    handler = Collect()
    logger = logging.getLogger("camp.request")
    logger.addHandler(handler)
    yield handler.records
    logger.removeHandler(handler)


def test_every_response_carries_a_request_id(client):
    response = client.get(reverse("healthz"))

    assert len(response["X-Request-ID"]) == 32


def test_a_request_id_from_the_proxy_is_kept(client):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": "edge-42"})

    assert response["X-Request-ID"] == "edge-42"


def test_a_malformed_request_id_is_replaced(client):
    response = client.get(reverse("healthz"), headers={"X-Request-ID": "<script>" * 20})

    assert response["X-Request-ID"] != "<script>" * 20


def test_one_structured_line_per_request(admin_client, admin_user, request_log):
    started = time.perf_counter()
    response = admin_client.get(reverse("posts:list"))
    outside_ms = (time.perf_counter() - started) * 1000

    (record,) = [r for r in request_log if getattr(r, "path", None) == "/posts/"]
    line = json.loads(JsonFormatter().format(record))
    assert line["method"] == "GET"
    assert line["status"] == HTTPStatus.OK
    assert line["user_id"] == admin_user.pk
    assert line["request_id"] == response["X-Request-ID"]
    # Timed inside the request as seen from outside it: positive, in milliseconds.
    assert 0 < line["duration_ms"] <= outside_ms


def test_errors_carry_the_request_id():
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, "boom", None, None)
    record.request_id = "abc"

    assert json.loads(JsonFormatter().format(record))["request_id"] == "abc"


def test_metrics_are_refused_to_staff(client):
    client.force_login(StaffUserFactory())

    assert client.get(reverse("metrics")).status_code == HTTPStatus.FORBIDDEN


def test_metrics_are_refused_to_anonymous_visitors(client):
    assert client.get(reverse("metrics")).status_code == HTTPStatus.FORBIDDEN


def test_superusers_read_the_metrics(admin_client):
    admin_client.get(reverse("posts:list"))

    response = admin_client.get(reverse("metrics"))

    assert response.status_code == HTTPStatus.OK
    text = response.content.decode()
    for metric in (
        "django_http_requests_total_by_view_transport_method_total",
        "django_http_requests_latency_seconds_by_view_method_bucket",
        "django_db_execute_total",
        "django_cache_get_total",
    ):
        assert metric in text


def test_allow_listed_scrapers_read_the_metrics(client, settings):
    settings.METRICS_ALLOWED_IPS = ["127.0.0.1"]

    assert client.get(reverse("metrics")).status_code == HTTPStatus.OK
