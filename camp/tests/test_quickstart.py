"""A fresh clone's quick start leaves `manage.py` working, and production as strict as before.

Each test copies the repository as a clone has it (the files git tracks or
would track: no `.env`, no `db.sqlite3`) into a temporary directory and runs
commands there with none of Camp's variables in the environment: only PATH,
HOME and the locale pass, so the test runner's own DATABASE_URL, REDIS_URL,
SECRET_KEY and DEBUG do not. The copy borrows the test run's virtualenv as its
`.venv`, so `make setup` is told (`make -o`) not to install it again, which
would need the network; everything after the install runs as in a clone.
"""

import os
import shutil
import sqlite3
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from camp.quickstart.services import describe_cache, describe_database, describe_services

BASE_DIR = Path(__file__).resolve().parents[2]
PASSED_VARIABLES = ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR")
REFUSAL = "SECRET_KEY must be set when DEBUG is off (see .env.example), so Camp refuses to start."
PRINT_BACKENDS = (
    "from django.core.cache import caches; from django.db import connection; "
    "print(connection.vendor, type(caches['default']).__name__)"
)


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {name: os.environ[name] for name in PASSED_VARIABLES if name in os.environ}
    return subprocess.run(
        args, cwd=cwd, env=env, capture_output=True, text=True, timeout=300, check=False
    )


def make_setup(clone: Path) -> subprocess.CompletedProcess:
    result = run(clone, "make", "--no-print-directory", "-o", ".venv/.runtime", "setup")
    assert result.returncode == 0, f"make setup failed:\n{result.stdout}\n{result.stderr}"
    return result


def manage(clone: Path, *args: str) -> subprocess.CompletedProcess:
    return run(clone, ".venv/bin/python", "manage.py", *args)


@pytest.fixture
def clone(tmp_path: Path) -> Path:
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=BASE_DIR,
        capture_output=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split(b"\0")):
        source = BASE_DIR / os.fsdecode(name)
        if source.is_file():  # not a file deleted from the working tree
            target = tmp_path / os.fsdecode(name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    (tmp_path / ".venv").symlink_to(Path(sys.prefix), target_is_directory=True)
    assert not (tmp_path / ".env").exists()
    return tmp_path


def test_manage_py_works_after_the_quick_start_set_up(clone):
    setup = make_setup(clone)

    assert "Wrote .env for local development" in setup.stdout
    assert "Camp uses SQLite (db.sqlite3) and a per-process memory cache" in setup.stdout
    env_file = clone / ".env"
    assert stat.S_IMODE(env_file.stat().st_mode) == 0o600
    settings = [line for line in env_file.read_text().splitlines() if not line.startswith("#")]
    assert "DEBUG=true" in settings
    assert not any(line.startswith(("DATABASE_URL", "REDIS_URL")) for line in settings)
    for args in (
        ["check"],
        ["seed_demo", "--users", "50", "--posts", "200"],
        ["cache_stats"],
    ):
        result = manage(clone, *args)
        assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}"
    with sqlite3.connect(clone / "db.sqlite3") as db:
        assert db.execute("SELECT count(*) FROM posts_historicalpost").fetchone() == (200,)
        assert db.execute("SELECT count(*) FROM users_user WHERE is_superuser").fetchone() == (1,)


def test_each_env_file_gets_a_new_secret_key(clone):
    keys = []
    for _ in range(2):
        (clone / ".env").unlink(missing_ok=True)
        result = run(clone, ".venv/bin/python", "-m", "camp.quickstart")
        assert result.returncode == 0, result.stderr
        keys += [
            line.removeprefix("SECRET_KEY=")
            for line in (clone / ".env").read_text().splitlines()
            if line.startswith("SECRET_KEY=")
        ]

    assert len(keys) == 2
    assert keys[0] != keys[1]
    assert all(len(key) >= 50 for key in keys)


def test_set_up_leaves_an_existing_env_file_alone(clone):
    env_file = clone / ".env"
    existing = b"# kept as it is\nDEBUG=true\nSECRET_KEY=a-key-of-my-own\n\nLOG_LEVEL=WARNING"
    env_file.write_bytes(existing)
    env_file.chmod(0o644)
    before = env_file.stat()

    setup = make_setup(clone)

    assert env_file.read_bytes() == existing
    after = env_file.stat()
    assert (after.st_mtime_ns, after.st_mode) == (before.st_mtime_ns, before.st_mode)
    assert "Wrote" not in setup.stdout


def test_without_env_file_or_debug_camp_still_refuses_without_secret_key(clone):
    result = manage(clone, "check")

    assert result.returncode == 1
    assert result.stderr.strip() == REFUSAL
    assert not (clone / ".env").exists()


def test_env_example_copied_as_it_is_uses_sqlite_and_the_memory_cache(clone):
    shutil.copy(clone / ".env.example", clone / ".env")

    result = manage(clone, "shell", "--no-imports", "-c", PRINT_BACKENDS)

    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["sqlite", "LocMemCache"]


def test_notice_names_postgresql_and_redis_without_their_passwords():
    line = describe_services(
        {
            "default": {
                "ENGINE": "django_prometheus.db.backends.postgresql",
                "NAME": "camp",
                "HOST": "db.example",
                "PORT": 5433,
                "PASSWORD": "db-secret",
            }
        },
        {
            "default": {
                "BACKEND": "django_prometheus.cache.backends.redis.RedisCache",
                "LOCATION": "redis://:redis-secret@cache.example:6380/2",
            }
        },
    )

    assert line == (
        "Camp uses PostgreSQL (camp on db.example:5433) and Redis (cache.example:6380/2), "
        "with background jobs run by a worker started beside the server."
    )


def test_notice_says_how_to_leave_sqlite():
    database = describe_database(
        {"ENGINE": "django.db.backends.sqlite3", "NAME": Path.cwd() / "db.sqlite3"}
    )
    cache = describe_cache({"BACKEND": "django.core.cache.backends.locmem.LocMemCache"})

    assert (database, cache) == ("SQLite (db.sqlite3)", "a per-process memory cache")
