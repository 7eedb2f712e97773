"""Camp under gunicorn, and nginx in front of it, as child processes on loopback ports.

Used by the scale-out tests and by bench/scaleout.py. Every process runs in a
session of its own, so stopping it also stops its workers.
"""

import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import time
from pathlib import Path

BASE_DIR = Path(__file__).resolve().parents[2]
HOST = "127.0.0.1"
NGINX = Path("/usr/sbin/nginx")
NGINX_TEMPLATE = Path(__file__).with_name("nginx.conf")
GUNICORN = BASE_DIR / ".venv" / "bin" / "gunicorn"
STARTUP_TIMEOUT = 60
# gunicorn.conf.py gives requests in flight 30 s to finish after SIGTERM.
STOP_TIMEOUT = 40


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _answers(port: int, path: str) -> bool:
    connection = http.client.HTTPConnection(HOST, port, timeout=2)
    try:
        connection.request("GET", path)
        return connection.getresponse().status == 200
    except (OSError, http.client.HTTPException):
        return False
    finally:
        connection.close()


def _stop(process: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if process.poll() is None:
        process.send_signal(sig)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=STOP_TIMEOUT)
    # Whatever is left of its session (workers of a master that died).
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=10)


def _tail(path: Path, lines: int = 30) -> str:
    if not path.exists():
        return ""
    return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])


class Process:
    """A child process in a session of its own, its output in `log`."""

    name: str
    port: int
    log: Path
    process: subprocess.Popen | None = None

    @property
    def address(self) -> str:
        return f"{HOST}:{self.port}"

    def _spawn(self, command: list[str], env: dict[str, str] | None = None) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                command,
                cwd=BASE_DIR,
                env=env,
                stdout=log,
                stderr=log,
                start_new_session=True,
            )

    def wait_until_answering(self, path: str) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _answers(self.port, path):
            if self.process.poll() is not None:
                raise RuntimeError(f"{self.name} exited at start:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"{self.name} did not answer {path}:\n{self.log_tail()}")
            time.sleep(0.1)

    def stop(self) -> None:
        if self.process is not None:
            _stop(self.process)

    def log_tail(self) -> str:
        return f"--- {self.name} ({self.log}) ---\n{_tail(self.log)}"


class AppServer(Process):
    """`gunicorn camp.wsgi -c gunicorn.conf.py` on a free loopback port."""

    def __init__(self, name: str, log_dir: Path, *, workers: int = 1, threads: int = 2) -> None:
        self.name = name
        self.port = free_port()
        self.log = log_dir / f"gunicorn-{name}.log"
        self.workers = workers
        self.threads = threads

    def start(self, env: dict[str, str]) -> None:
        self._spawn(
            [
                str(GUNICORN),
                "camp.wsgi",
                "-c",
                "gunicorn.conf.py",
                "--bind",
                self.address,
                "--workers",
                str(self.workers),
                "--threads",
                str(self.threads),
                # gunicorn's default control socket is one path per user: two
                # servers on one machine would take it from each other.
                "--control-socket",
                str(self.log.with_suffix(".ctl")),
            ],
            env,
        )

    def wait_until_ready(self) -> None:
        self.wait_until_answering("/healthz")


def render_nginx_conf(*, prefix: Path, listen: str, servers: list[str]) -> str:
    """Return nginx.conf with its placeholders filled in."""
    lines = "\n".join(
        f"        server {address} max_fails=1 fail_timeout=5s;" for address in servers
    )
    text = (
        NGINX_TEMPLATE.read_text()
        .replace("@PREFIX@", str(prefix))
        .replace("@LISTEN@", listen)
        .replace("@SERVERS@", lines)
    )
    if left := re.search(r"@[A-Z_]+@", text):
        raise ValueError(f"{NGINX_TEMPLATE} has a placeholder nobody fills in: {left[0]}")
    return text


class Nginx(Process):
    """nginx in the foreground with the rendered template, everything it writes in `root`."""

    name = "nginx"

    def __init__(self, root: Path, servers: list[str]) -> None:
        self.root = root
        self.port = free_port()
        self.log = root / "error.log"
        self.servers = servers

    def start(self) -> None:
        if not NGINX.exists():
            raise FileNotFoundError(
                f"nginx is missing at {NGINX}: install Debian's package with "
                "`apt-get install nginx-light` (.ci/run does this)."
            )
        self.root.mkdir(parents=True, exist_ok=True)
        conf = self.root / "nginx.conf"
        conf.write_text(
            render_nginx_conf(prefix=self.root, listen=self.address, servers=self.servers)
        )
        directives = "daemon off;"
        if os.geteuid() == 0:
            # Workers would run as `nobody`, who cannot enter a private temp directory.
            directives += " user root;"
        self._spawn(
            [
                str(NGINX),
                *("-p", str(self.root)),
                *("-c", str(conf)),
                *("-e", str(self.log)),
                *("-g", directives),
            ]
        )

    def wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while True:
            with contextlib.suppress(OSError), socket.create_connection((HOST, self.port), 1):
                return
            if self.process.poll() is not None:
                raise RuntimeError(f"nginx exited at start:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not listen on {self.address}:\n{self.log_tail()}")
            time.sleep(0.05)

    def stop(self) -> None:
        # SIGQUIT: finish the requests in flight, then exit.
        if self.process is not None:
            _stop(self.process, signal.SIGQUIT)

    def log_tail(self) -> str:
        return f"--- nginx ({self.log}) ---\n{_tail(self.log)}"
