"""Write the local `.env` of a fresh checkout, never touching one that exists."""

import os
import secrets
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]

LOCAL_ENV = """\
# Local development settings, written by `make setup` (part of `make run` and
# `make demo`) because there was no .env.
# Camp reads this file at every start, manage.py included; variables set in
# the real environment win over it. .env.example describes every variable.
# Never deploy with this file: production sets its own SECRET_KEY, DEBUG off.
DEBUG=true
SECRET_KEY={secret_key}

# Without DATABASE_URL and REDIS_URL Camp uses the embedded SQLite file
# db.sqlite3 and a per-process memory cache. Uncomment them to use PostgreSQL
# and Redis instead (then `make setup` migrates PostgreSQL):
# DATABASE_URL=postgres://postgres:postgres@127.0.0.1:5432/camp
# REDIS_URL=redis://127.0.0.1:6379/0
"""


def env_file_path() -> Path:
    """The file Camp's settings read: $ENV_FILE if set, else `.env` in the project root."""
    return Path(os.environ.get("ENV_FILE") or BASE_DIR / ".env")


def write_local_env(path: Path) -> bool:
    """Write a local-development env file at `path` unless one exists; return whether it did.

    The file is created exclusively (O_EXCL), so an existing file is never
    opened for writing, not even by a second run racing this one, and only
    its owner can read the secret key in it.
    """
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return False
    with os.fdopen(fd, "w", encoding="utf-8") as file:
        file.write(LOCAL_ENV.format(secret_key=secrets.token_urlsafe(50)))
    return True
