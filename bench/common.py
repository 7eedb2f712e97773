"""Helpers shared by the bench scripts, so each script holds only what it measures.

Everything here talks to 127.0.0.1 only, and every process it starts is
stopped again (gunicorn by its process group, even on errors and Ctrl-C).
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from http.cookies import SimpleCookie
from pathlib import Path

BENCH_DIR = Path(__file__).resolve().parent
ROOT = BENCH_DIR.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
GUNICORN = VENV_BIN / "gunicorn"
MANAGE = ROOT / "manage.py"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
WRK = "/usr/bin/wrk"
RESULTS = BENCH_DIR / "results"

HOST = "127.0.0.1"
PG_SERVER = os.environ.get("BENCH_PG_SERVER", "postgres://postgres:postgres@127.0.0.1:5432")
BENCH_DB = os.environ.get("BENCH_DB", "camp_bench")
BENCH_REDIS = "redis://127.0.0.1:6379/7"
BENCH_CACHE_PREFIX = "camp-bench"
# The same account bench/connections.py uses, so the two scripts agree on it.
BENCH_USER = "bench"
BENCH_PASSWORD = "camp-bench-password-1"

STARTUP_TIMEOUT = 60  # seconds for gunicorn to answer /healthz
STOP_TIMEOUT = 35  # seconds for gunicorn to exit after SIGTERM (graceful_timeout is 30)
MAX_WRK_SECONDS = 120

# Variables the bench sets itself; anything inherited under these names is
# dropped so a developer's shell cannot skew a run.
CONTROLLED = (
    "DATABASE_URL",
    "DATABASE_POOL",
    "DATABASE_POOL_MAX_SIZE",
    "DATABASE_CONN_MAX_AGE",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "CACHE_TTL",
    "DASHBOARD_STATS_TTL",
    "PROMETHEUS_MULTIPROC_DIR",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
    "ENV_FILE",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "GUNICORN_BIND",
    "GUNICORN_THREADS",
    "GUNICORN_MAX_REQUESTS",
    "GUNICORN_MAX_REQUESTS_JITTER",
    "WEB_CONCURRENCY",
    "BENCH_STATIC_ROOT",
    "TIME_ZONE",
    "LANGUAGE_CODE",
)


def bench_env(*, database: str = BENCH_DB, **extra: str) -> dict[str, str]:
    """The environment of every bench process: production settings, bench services."""
    env = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "bench_settings",
            "PYTHONPATH": os.pathsep.join([str(BENCH_DIR), str(ROOT)]),
            # A developer's .env must not leak into the numbers.
            "ENV_FILE": os.devnull,
            "DEBUG": "false",
            "SECRET_KEY": "camp-bench-only-secret-key",
            # The bench logs in with a password alone.
            "CAMP_REQUIRE_MFA": "false",
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": f"{PG_SERVER}/{database}",
            "REDIS_URL": BENCH_REDIS,
            "CACHE_KEY_PREFIX": BENCH_CACHE_PREFIX,
            # Every page rendered afresh, so each row measures its page's work;
            # the list page cache is measured on its own row (bench_urls.py).
            "LIST_PAGE_CACHE_SECONDS": "0",
            "PYTHONUNBUFFERED": "1",
        }
    )
    env.update(extra)
    return env


def run(cmd: list[str], env: dict[str, str], *, timeout: float = 600, echo: bool = False) -> str:
    """Run `cmd` from the project root; exit with its output if it fails."""
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        sys.exit(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"
        )
    if echo and proc.stdout.strip():
        print(proc.stdout.rstrip())
    return proc.stdout


def manage(*args: str, env: dict[str, str], timeout: float = 600, echo: bool = False) -> str:
    return run([str(PYTHON), str(MANAGE), *args], env, timeout=timeout, echo=echo)


def require_tools(*tools: Path | str) -> None:
    for tool in (PYTHON, *tools):
        if not Path(tool).exists():
            hint = " (Debian: apt-get install wrk)" if Path(tool).name == "wrk" else ""
            sys.exit(f"missing {tool}{hint}")


def load_average() -> float:
    return os.getloadavg()[0]


def _cpu_times() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(x) for x in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]  # idle + iowait
    return sum(fields) - idle, sum(fields)


def cpu_busy(seconds: float = 0.5) -> float | None:
    """Percent of all CPUs busy over `seconds` (Linux), measured while the bench is idle.

    On a shared machine this is other people's work: the load average here
    also counts tasks in uninterruptible sleep and says little.
    """
    try:
        busy0, total0 = _cpu_times()
        time.sleep(seconds)
        busy1, total1 = _cpu_times()
    except OSError:
        return None
    return round(100 * (busy1 - busy0) / max(total1 - total0, 1), 1)


def _proc_ticks(pid: int, *, children: bool = False) -> int | None:
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = stat.rsplit(")", 1)[1].split()
    # utime, stime (and cutime, cstime: children it has reaped, e.g. restarted workers)
    return sum(int(x) for x in fields[11 : 15 if children else 13])


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU seconds of every process in group `pgid` so far, the children they
    reaped included (gunicorn's restarted workers land in the arbiter's)."""
    ticks = sum(_proc_ticks(pid, children=True) or 0 for pid in _group_pids(pgid))
    return ticks / os.sysconf("SC_CLK_TCK")


def proc_cpu_seconds(pid: int) -> float | None:
    """User + system CPU seconds of process `pid` so far (Linux), or None if it is gone."""
    ticks = _proc_ticks(pid)
    return None if ticks is None else ticks / os.sysconf("SC_CLK_TCK")


def _group_pids(pgid: int) -> list[int]:
    pids = []
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                stat = Path(f"/proc/{entry}/stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[2]) == pgid:
                pids.append(int(entry))
    return pids


class CpuMeter:
    """Split the machine's CPU time during a run into the server's, wrk's and everyone else's.

    The server: gunicorn's process group (reaped workers included) and the
    PostgreSQL processes working for `database`, polled every 0.1 s so the
    short-lived parallel query workers are caught too (a worker that ends
    between two polls loses at most its last 0.1 s). wrk: the children this
    process reaped meanwhile. Everyone else's is the rest of /proc/stat's busy
    time: on a shared machine it says how far to trust the run, while the
    server's CPU per request hardly depends on it.
    """

    interval = 0.1

    def __init__(self, pgid: int | list[int], database: str) -> None:
        # Several groups when the server is several (servers behind nginx, nginx itself).
        self.pgids = [pgid] if isinstance(pgid, int) else list(pgid)
        self.database = database
        self.server_s = 0.0
        self.client_s = 0.0
        self.server_pct: float | None = None
        self.others_pct: float | None = None
        self._first: dict[int, int] = {}
        self._last: dict[int, int] = {}
        self._done = threading.Event()

    def _gunicorn(self) -> int:
        pids = [pid for pgid in self.pgids for pid in _group_pids(pgid)]
        return sum(_proc_ticks(pid, children=True) or 0 for pid in pids)

    def _poll(self, conn) -> None:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()",
            [self.database],
        ).fetchall()
        for (pid,) in rows:
            if (ticks := _proc_ticks(pid)) is not None:
                # A process first seen during the run started during it (or just
                # before): count all its CPU, unless it was there at the start.
                self._first.setdefault(pid, 0)
                self._last[pid] = ticks

    def _watch(self) -> None:
        with pg_connect() as conn:
            while not self._done.wait(self.interval):
                self._poll(conn)
            self._poll(conn)

    def __enter__(self) -> CpuMeter:
        with pg_connect() as conn:
            self._poll(conn)
        self._first = dict(self._last)
        self.start = (*_cpu_times(), self._gunicorn(), _children_ticks())
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        busy1, total1 = _cpu_times()
        gunicorn1, client1 = self._gunicorn(), _children_ticks()
        self._done.set()
        self._thread.join(timeout=5)
        busy0, total0, gunicorn0, client0 = self.start
        postgres = sum(self._last[pid] - self._first[pid] for pid in self._last)
        server, client = gunicorn1 - gunicorn0 + postgres, client1 - client0
        total = max(total1 - total0, 1)
        hz = os.sysconf("SC_CLK_TCK")
        self.server_s, self.client_s = server / hz, client / hz
        self.server_pct = round(100 * server / total, 1)
        self.others_pct = round(max(0.0, 100 * (busy1 - busy0 - server - client) / total), 1)


def _children_ticks() -> int:
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return round((usage.ru_utime + usage.ru_stime) * os.sysconf("SC_CLK_TCK"))


def wait_for_quiet(threshold: float, timeout: float) -> float | None:
    """Wait until under `threshold` percent of the CPUs are busy (others' work), at most
    `timeout` seconds; return the last reading."""
    time.sleep(0.3)  # let the previous run's last requests finish
    deadline = time.monotonic() + timeout
    busy = cpu_busy(1.0)
    while busy is not None and busy > threshold and time.monotonic() < deadline:
        busy = cpu_busy(1.0)
    return busy


def exit_on_sigterm() -> None:
    """Turn SIGTERM and SIGHUP into SystemExit, so `finally` blocks stop gunicorn on
    `timeout`, kill or a closed terminal."""
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, lambda signum, frame: sys.exit(128 + signum))


def add_load_options(
    parser: argparse.ArgumentParser,
    *,
    duration: int,
    warmup: int,
    connections: int,
    wrk_threads: int | None = None,
) -> None:
    """The options of the scripts that drive wrk: how long, how hard, warmed up how long."""
    parser.add_argument(
        "--duration", type=int, default=duration, help="wrk seconds per run [%(default)s]"
    )
    parser.add_argument(
        "--warmup", type=int, default=warmup, help="unmeasured wrk seconds first [%(default)s]"
    )
    parser.add_argument(
        "--connections", type=int, default=connections, help="wrk connections [%(default)s]"
    )
    if wrk_threads is not None:
        parser.add_argument(
            "--wrk-threads", type=int, default=wrk_threads, help="wrk threads [%(default)s]"
        )


def add_quiet_options(
    parser: argparse.ArgumentParser,
    *,
    below: float,
    wait: float,
    others: float,
    retries: int,
) -> None:
    """The options of the scripts that wait for a quiet machine and repeat a disturbed run."""
    parser.add_argument(
        "--quiet-below",
        type=float,
        default=below,
        help="before each run, wait until others use less than this %% of the CPUs [%(default)s]",
    )
    parser.add_argument(
        "--quiet-wait",
        type=float,
        default=wait,
        help="seconds to wait for that at most [%(default)s]",
    )
    parser.add_argument(
        "--max-others",
        type=float,
        default=others,
        help="run again if others used more than this %% of the CPUs meanwhile [%(default)s]",
    )
    parser.add_argument(
        "--retries", type=int, default=retries, help="repeats at most [%(default)s]"
    )


# -------------------------------------------------------------------- postgres


def pg_connect(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/{dbname}", autocommit=True, connect_timeout=5)


def ensure_database(name: str) -> bool:
    """Create database `name` if it is missing; return whether it was created."""
    with pg_connect() as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
        return True


# ---------------------------------------------------------------------- django


def setup_django(env: dict[str, str]) -> None:
    """Configure Django in this process with `env` (from bench_env)."""
    for path in (str(ROOT), str(BENCH_DIR)):
        if path not in sys.path:
            sys.path.insert(0, path)
    os.environ.update(env)
    import django

    django.setup()


def ensure_bench_user() -> None:
    """Create (or repair) the staff superuser the benchmarks log in as."""
    from users.models import User

    user = User.objects.filter(username=BENCH_USER).first()
    if user is None:
        User.objects.create_superuser(
            username=BENCH_USER, email="bench@example.com", password=BENCH_PASSWORD
        )
        return
    if not (user.is_staff and user.is_superuser and user.is_active) or not user.check_password(
        BENCH_PASSWORD
    ):
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(BENCH_PASSWORD)
        user.save()


# ------------------------------------------------------------------------ http


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


@dataclass
class Response:
    status: int
    headers: http.client.HTTPMessage
    cookies: dict[str, str]
    body: bytes


def request(
    port: int,
    method: str,
    path: str,
    headers: dict[str, str] | None = None,
    body: str | None = None,
    conn: http.client.HTTPConnection | None = None,
) -> Response:
    """One HTTP request to the local server; pass `conn` to keep the connection alive."""
    own = conn is None
    conn = conn or http.client.HTTPConnection(HOST, port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        cookies = SimpleCookie()
        for value in resp.headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        data = resp.read()
        return Response(resp.status, resp.headers, {k: m.value for k, m in cookies.items()}, data)
    finally:
        if own:
            conn.close()


def login(port: int) -> str:
    """Log in like a browser (CSRF cookie and token, real POST); return a Cookie header."""
    page = request(port, "GET", "/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', page.body)
    if page.status != 200 or "csrftoken" not in page.cookies or not match:
        raise RuntimeError(f"login page: HTTP {page.status}, no CSRF token/cookie")
    csrf_cookie = page.cookies["csrftoken"]
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": match.group(1).decode(),
            "login": BENCH_USER,
            "password": BENCH_PASSWORD,
        }
    )
    sent = request(
        port,
        "POST",
        "/accounts/login/",
        headers={
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={csrf_cookie}",
            "Referer": f"http://{HOST}:{port}/accounts/login/",
            "Origin": f"http://{HOST}:{port}",
        },
        body=form,
    )
    if sent.status != 302 or "sessionid" not in sent.cookies:
        raise RuntimeError(f"login POST: HTTP {sent.status}, no session cookie (wrong password?)")
    csrf = sent.cookies.get("csrftoken", csrf_cookie)
    return f"sessionid={sent.cookies['sessionid']}; csrftoken={csrf}"


def check_ok(port: int, path: str, cookie: str) -> None:
    got = request(port, "GET", path, headers={"Cookie": cookie})
    if got.status != 200:
        raise RuntimeError(f"GET {path} with the session cookie: HTTP {got.status}, expected 200")


# -------------------------------------------------------------------- gunicorn


@contextlib.contextmanager
def gunicorn(
    env: dict[str, str], port: int, log_path: Path, *options: str
) -> Iterator[subprocess.Popen]:
    """Run Camp under gunicorn.conf.py on 127.0.0.1:`port` until the block ends.

    `options` are gunicorn command-line options, which win over gunicorn.conf.py.
    """
    env = {**env, "GUNICORN_BIND": f"{HOST}:{port}"}
    cmd = [
        str(GUNICORN),
        "--config",
        str(GUNICORN_CONF),
        "--pythonpath",
        str(BENCH_DIR),
        *options,
        "camp.wsgi",
    ]
    with open(log_path, "ab") as log:
        # Its own session (process group), so the workers can be killed with it.
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        _wait_until_up(proc, port)
        yield proc
    except BaseException:
        with contextlib.suppress(OSError):
            tail = log_path.read_text(errors="replace").splitlines()[-20:]
            print("gunicorn log (last lines):\n  " + "\n  ".join(tail), file=sys.stderr)
        raise
    finally:
        stop(proc)


def _wait_until_up(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited early with code {proc.returncode}")
        with contextlib.suppress(OSError):
            if request(port, "GET", "/healthz").status == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT}s")


def stop(proc: subprocess.Popen) -> None:
    """SIGTERM gunicorn, then SIGKILL its process group if it lingers."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=STOP_TIMEOUT)
        except subprocess.TimeoutExpired:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
            proc.wait(timeout=5)
    # Workers orphaned by a crashed arbiter still sit in its process group.
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(proc.pid, signal.SIGKILL)


# ------------------------------------------------------------------------- wrk

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def to_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(number) * UNITS_MS[unit]


@dataclass
class WrkResult:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    errors: int
    raw: str


def wrk(
    port: int,
    path: str,
    cookie: str,
    *,
    duration: int = 8,
    connections: int = 8,
    threads: int = 2,
    limit: int = MAX_WRK_SECONDS,
) -> WrkResult:
    """Run `wrk --latency` against one path with the session cookie, for `limit` s at most."""
    duration = max(1, min(duration, limit))
    cmd = [
        WRK,
        f"-t{min(threads, connections)}",
        f"-c{connections}",
        f"-d{duration}s",
        "--timeout",
        "10s",
        "--latency",
        "-H",
        f"Cookie: {cookie}",
        f"http://{HOST}:{port}{path}",
    ]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=duration + 30, check=False)
    out = proc.stdout
    if proc.returncode != 0 or "Requests/sec" not in out:
        raise RuntimeError(f"wrk failed ({proc.returncode}):\n{out}{proc.stderr}")
    errors = 0
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        errors += int(m.group(1))
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        errors += sum(int(g) for g in m.groups())
    return WrkResult(
        rps=float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        p50_ms=to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        p99_ms=to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        requests=int(re.search(r"(\d+) requests in", out).group(1)),
        errors=errors,
        raw=out,
    )


# ----------------------------------------------------------------------- table


def table(headers: list[str], rows: list[list[str]], *, left: int = 1) -> str:
    """Render rows as a plain-text table; the first `left` columns are left-aligned."""
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(headers)]

    def line(cells: list[str]) -> str:
        return "  ".join(
            c.ljust(w) if i < left else c.rjust(w)
            for i, (c, w) in enumerate(zip(cells, widths, strict=True))
        ).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in rows)])
