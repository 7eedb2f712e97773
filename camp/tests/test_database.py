import os

from django.db import connection

from camp.settings import parse_database_url


def test_tests_run_on_postgresql(db):
    assert connection.vendor == "postgresql"


def test_tests_use_the_test_database_not_the_development_one(db):
    # Both names worked out from the environment, as the settings read it,
    # independently of what the test runner did to the connection.
    development = parse_database_url(os.environ["DATABASE_URL"])["NAME"]
    expected = os.environ.get("TEST_DATABASE_NAME") or f"test_{development}"

    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (name,) = cursor.fetchone()

    assert name == expected
    assert name != development
