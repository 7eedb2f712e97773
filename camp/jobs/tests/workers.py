"""Real `manage.py worker` processes on the test database, started and stopped by a test."""

import os
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import quote

from django.db import connection

MANAGE = Path(__file__).resolve().parents[3] / "manage.py"


def database_url() -> str:
    """The URL of the database the tests run on (the test database, not the configured one)."""
    db = connection.settings_dict
    user, password = quote(db["USER"] or ""), quote(db["PASSWORD"] or "")
    host, port = db["HOST"] or "127.0.0.1", db["PORT"] or 5432
    return f"postgres://{user}:{password}@{host}:{port}/{db['NAME']}"


def start_worker(*args: str, **env: str) -> subprocess.Popen:
    """Start a worker on the test database; `env` adds settings such as JOBS_BATCH_SIZE."""
    environ = {
        **os.environ,
        "DATABASE_URL": database_url(),
        "DEBUG": "false",
        "SECRET_KEY": os.environ.get("SECRET_KEY", "camp-test-only-secret-key"),
        **env,
    }
    return subprocess.Popen(
        [sys.executable, str(MANAGE), "worker", "--interval", "0.2", *args],
        env=environ,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )


def wait_for(condition, *, timeout: float = 60, what: str = "the condition") -> None:
    """Poll `condition` until true; fail naming `what` after `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def finish(worker: subprocess.Popen, *, timeout: float = 120) -> str:
    """Wait for a worker to exit by itself; return its output. Killed if it outlives `timeout`."""
    try:
        output, _ = worker.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        worker.kill()
        output, _ = worker.communicate()
        raise AssertionError(f"the worker did not stop within {timeout} s:\n{output}") from None
    assert worker.returncode == 0, output
    return output
