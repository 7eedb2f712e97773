from django.conf import settings
from django.db import connection


def test_tests_run_on_postgresql(db):
    assert connection.vendor == "postgresql"


def test_tests_use_the_test_database_not_the_development_one(db):
    expected = settings.DATABASES["default"]["TEST"]["NAME"] or (
        "test_" + connection.settings_dict["TEST"].get("ORIGINAL_NAME", "")
    )
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_database()")
        (name,) = cursor.fetchone()
    assert name == connection.settings_dict["NAME"]
    assert name.startswith("test_") or name == expected
