"""A database error becomes a 503 page that needs no database; other errors pass by.

The same page, under gunicorn with PostgreSQL really stopped, is tested in
test_db_outage.
"""

from http import HTTPStatus

import pytest
from django.contrib.auth.models import AnonymousUser
from django.db import InterfaceError, OperationalError
from django.http import HttpResponse
from django.test import RequestFactory

from camp.ops.middleware import DatabaseUnavailableMiddleware


@pytest.fixture
def middleware() -> DatabaseUnavailableMiddleware:
    return DatabaseUnavailableMiddleware(lambda request: HttpResponse())


@pytest.mark.parametrize("error", [OperationalError, InterfaceError])
def test_database_errors_answer_503_with_retry_after(middleware, error):
    request = RequestFactory().get("/posts/")

    response = middleware.process_exception(request, error("connection refused"))

    assert response.status_code == HTTPStatus.SERVICE_UNAVAILABLE
    assert int(response["Retry-After"]) > 0
    assert 'class="site-header"' in response.text
    assert "Temporarily unavailable" in response.text
    assert "connection refused" not in response.text


def test_the_503_page_is_rendered_without_a_query(middleware, django_assert_num_queries, db):
    request = RequestFactory().get("/")

    with django_assert_num_queries(0):
        middleware.process_exception(request, OperationalError("server closed the connection"))

    # Whatever runs after it (the request log) must not look the user up again.
    assert isinstance(request.user, AnonymousUser)


def test_other_errors_are_left_to_django(middleware):
    request = RequestFactory().get("/")

    assert middleware.process_exception(request, ValueError("boom")) is None
