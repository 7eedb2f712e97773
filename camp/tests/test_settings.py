import os
import subprocess
import sys
from pathlib import Path

import pytest

from camp.settings import parse_database_url

BASE_DIR = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize(
    "url",
    [
        "postgres://camp:secret@db.example:5433/campdb",
        "postgresql://camp:secret@db.example:5433/campdb",
        "postgresql+asyncpg://camp:secret@db.example:5433/campdb",
        "postgresql+psycopg://camp:secret@db.example:5433/campdb",
    ],
)
def test_database_url_schemes_parse_to_postgresql(url):
    config = parse_database_url(url)

    assert config["ENGINE"] == "django.db.backends.postgresql"
    assert config["NAME"] == "campdb"
    assert config["HOST"] == "db.example"
    assert config["PORT"] == 5433
    assert config["USER"] == "camp"
    assert config["PASSWORD"] == "secret"


def _settings_env(**overrides: str) -> dict[str, str]:
    env = {
        key: value
        for key, value in os.environ.items()
        if key not in {"SECRET_KEY", "DEBUG", "DATABASE_URL", "REDIS_URL"}
    }
    env.update({"ENV_FILE": os.devnull, "DJANGO_SETTINGS_MODULE": "camp.settings"}, **overrides)
    return env


def test_missing_secret_key_with_debug_off_is_one_clear_sentence():
    result = subprocess.run(
        [sys.executable, "manage.py", "check"],
        cwd=BASE_DIR,
        env=_settings_env(DEBUG="false"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert result.stderr.strip() == (
        "SECRET_KEY must be set when DEBUG is off (see .env.example), so Camp refuses to start."
    )
    assert "Traceback" not in result.stderr


def test_unset_database_url_means_embedded_sqlite():
    result = subprocess.run(
        [
            sys.executable,
            "-c",
            "from django.conf import settings; print(settings.DATABASES['default']['ENGINE'])",
        ],
        cwd=BASE_DIR,
        env=_settings_env(DEBUG="true"),
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.stdout.strip() == "django.db.backends.sqlite3"


def test_postgresql_checks_connection_health(settings):
    assert settings.DATABASES["default"]["CONN_HEALTH_CHECKS"] is True
