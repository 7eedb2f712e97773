"""Compare Camp's PostgreSQL connection-reuse modes under gunicorn + wrk.

    .venv/bin/python bench/connections.py [--duration 10] [--connections 16]

Three modes, measured one after the other in one run:

  A  no reuse     DATABASE_CONN_MAX_AGE=0, DATABASE_POOL=false  (the baseline)
  B  persistent   DATABASE_POOL=false, CONN_MAX_AGE from settings (600)
  C  pool         DATABASE_POOL=true: psycopg_pool, one pool per worker process

All three keep CONN_HEALTH_CHECKS=True, as camp/settings.py does.

For each mode the script starts gunicorn (gthread) on a free loopback port
against its own bench database (`camp_bench_connections`, created, migrated and
seeded once and reused afterwards; bench/run.py's `camp_bench` with a million
posts is left alone), logs in through /accounts/login/ with a real POST, drives
wrk against /posts/ with the session cookie, samples pg_stat_activity while
wrk runs, and stops gunicorn. A single-threaded in-process microbenchmark then
times N request cycles of `SELECT 1` through Django's request signals (the
same connection handling as a real request, without HTTP or templates).

Nothing leaves 127.0.0.1. gunicorn is always stopped, even on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import http.client
import json
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = VENV_BIN / "python"
GUNICORN = VENV_BIN / "gunicorn"
MANAGE = ROOT / "manage.py"
WRK = "/usr/bin/wrk"

HOST = "127.0.0.1"
PG_SERVER = "postgres://postgres:postgres@127.0.0.1:5432"
# Not bench/run.py's camp_bench: that one holds a million posts, changes under
# that script's runs, and its clients would count in pg_stat_activity here.
BENCH_DB = "camp_bench_connections"
GUNICORN_CONF = ROOT / "gunicorn.conf.py"
BENCH_USER = "bench"
BENCH_PASSWORD = "camp-bench-password-1"
BENCH_REDIS = "redis://127.0.0.1:6379/8"

MAX_DURATION = 300  # seconds, per wrk run
STARTUP_TIMEOUT = 30  # seconds for gunicorn to answer /healthz
STOP_TIMEOUT = 15  # seconds for gunicorn to exit after SIGTERM


@dataclass
class Mode:
    key: str
    name: str
    env: dict[str, str]


MODES = [
    Mode("A", "no reuse", {"DATABASE_POOL": "false", "DATABASE_CONN_MAX_AGE": "0"}),
    Mode("B", "persistent", {"DATABASE_POOL": "false"}),
    Mode("C", "psycopg pool", {"DATABASE_POOL": "true"}),
]

# Variables the bench sets itself; anything inherited under these names is dropped
# so a developer's shell cannot skew a mode.
CONTROLLED = (
    "DATABASE_URL",
    "DATABASE_POOL",
    "DATABASE_POOL_MAX_SIZE",
    "DATABASE_CONN_MAX_AGE",
    "REDIS_URL",
    "CACHE_KEY_PREFIX",
    "DEBUG",
    "SECRET_KEY",
    "ALLOWED_HOSTS",
    "DJANGO_SETTINGS_MODULE",
)


@dataclass
class Result:
    mode: Mode
    rps: float = 0.0
    p50_ms: float = 0.0
    p99_ms: float = 0.0
    requests: int = 0
    errors: int = 0
    pg_peak: int = 0
    pg_held: int = 0
    pg_after_stop: int = 0
    micro_us: float | None = None
    load: float = 0.0
    app_cpu_ms: float = 0.0
    rounds: list[float] = field(default_factory=list)


# --------------------------------------------------------------------------- env


def base_env(args: argparse.Namespace) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in CONTROLLED}
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "camp.settings",
            "DEBUG": "false",
            "SECRET_KEY": "bench",
            "ALLOWED_HOSTS": HOST,
            "DATABASE_URL": f"{PG_SERVER}/{BENCH_DB}",
            # Empty means the per-process memory cache (settings treat "" as unset).
            "REDIS_URL": BENCH_REDIS if args.redis else "",
            "CACHE_KEY_PREFIX": "camp-bench",
            "LOG_LEVEL": "WARNING",
            "PYTHONUNBUFFERED": "1",
        }
    )
    if args.pool_max_size:
        env["DATABASE_POOL_MAX_SIZE"] = str(args.pool_max_size)
    return env


def mode_env(args: argparse.Namespace, mode: Mode) -> dict[str, str]:
    env = base_env(args)
    env.update(mode.env)
    return env


def run(cmd: list[str], env: dict[str, str], timeout: float = 300) -> str:
    proc = subprocess.run(
        cmd, cwd=ROOT, env=env, capture_output=True, text=True, timeout=timeout, check=False
    )
    if proc.returncode != 0:
        sys.exit(
            f"command failed ({proc.returncode}): {' '.join(cmd)}\n{proc.stdout}{proc.stderr}"
        )
    return proc.stdout


# -------------------------------------------------------------------- postgres


def pg_connect(dbname: str = "postgres"):
    import psycopg

    return psycopg.connect(f"{PG_SERVER}/{dbname}", autocommit=True, connect_timeout=5)


def ensure_database() -> None:
    with pg_connect() as conn:
        exists = conn.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [BENCH_DB]
        ).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{BENCH_DB}"')
            print(f"created database {BENCH_DB}")


def pg_backends(conn) -> int:
    # Asked from the `postgres` database, so this connection is not counted.
    row = conn.execute(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = %s", [BENCH_DB]
    ).fetchone()
    return int(row[0])


class BackendSampler(threading.Thread):
    """Polls pg_stat_activity while wrk runs and remembers the peak."""

    def __init__(self, interval: float = 0.25):
        super().__init__(daemon=True)
        self.interval = interval
        self.peak = 0
        self._stop_event = threading.Event()

    def run(self) -> None:
        with pg_connect() as conn:
            while not self._stop_event.is_set():
                self.peak = max(self.peak, pg_backends(conn))
                self._stop_event.wait(self.interval)

    def stop(self) -> int:
        self._stop_event.set()
        self.join(timeout=5)
        return self.peak


# ----------------------------------------------------------------------- setup


def prepare(args: argparse.Namespace) -> None:
    env = base_env(args)
    print(f"preparing {BENCH_DB}: migrate, seed {args.posts} posts, collectstatic ...")
    ensure_database()
    run([str(PYTHON), str(MANAGE), "migrate", "--noinput", "-v", "0"], env)
    print(run([str(PYTHON), __file__, "--_seed", str(args.posts)], env).strip())
    run([str(PYTHON), str(MANAGE), "collectstatic", "--noinput", "-v", "0"], env)


def seed(posts: int) -> None:
    """Runs in a subprocess with the bench environment (see prepare)."""
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from posts.models import Post
    from users.models import User

    user = User.objects.filter(username=BENCH_USER).first()
    if user is None:
        user = User.objects.create_superuser(
            username=BENCH_USER, email="bench@example.com", password=BENCH_PASSWORD
        )
    else:
        user.is_staff = user.is_superuser = user.is_active = True
        user.set_password(BENCH_PASSWORD)
        user.save()
    authors = [user]
    for i in range(1, 5):
        author, _ = User.objects.get_or_create(
            username=f"bench-author-{i}", defaults={"email": f"bench-author-{i}@example.com"}
        )
        authors.append(author)
    missing = posts - Post.objects.count()
    if missing > 0:
        statuses = [s.value for s in Post.Status]
        Post.objects.bulk_create(
            Post(
                title=f"Bench post {i}",
                content=f"Body of bench post {i}. " * 20,
                author=authors[i % len(authors)],
                status=statuses[i % len(statuses)],
            )
            for i in range(missing)
        )
    print(f"bench data: user {BENCH_USER!r}, {Post.objects.count()} posts")


# ------------------------------------------------------------------------ http


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def request(port: int, method: str, path: str, headers=None, body=None):
    conn = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        cookies = SimpleCookie()
        for value in resp.headers.get_all("Set-Cookie") or []:
            cookies.load(value)
        return resp.status, resp.headers, {k: m.value for k, m in cookies.items()}, resp.read()
    finally:
        conn.close()


def wait_until_up(proc: subprocess.Popen, port: int) -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"gunicorn exited early with code {proc.returncode}")
        with contextlib.suppress(OSError):
            if request(port, "GET", "/healthz")[0] == 200:
                return
        time.sleep(0.2)
    raise RuntimeError(f"gunicorn did not answer /healthz within {STARTUP_TIMEOUT}s")


def login(port: int, path: str) -> str:
    """Log in like a browser; return the Cookie header for wrk."""
    status, _, cookies, body = request(port, "GET", "/accounts/login/")
    match = re.search(rb'name="csrfmiddlewaretoken" value="([^"]+)"', body)
    if status != 200 or "csrftoken" not in cookies or not match:
        raise RuntimeError(f"login page: HTTP {status}, no CSRF token/cookie")
    csrf_cookie = cookies["csrftoken"]
    form = urllib.parse.urlencode(
        {
            "csrfmiddlewaretoken": match.group(1).decode(),
            "username": BENCH_USER,
            "password": BENCH_PASSWORD,
            "next": path,
        }
    )
    status, _, cookies, _ = request(
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
    if status != 302 or "sessionid" not in cookies:
        raise RuntimeError(f"login POST: HTTP {status}, no session cookie (wrong password?)")
    cookie = f"sessionid={cookies['sessionid']}; csrftoken={cookies.get('csrftoken', csrf_cookie)}"
    status, _, _, body = request(port, "GET", path, headers={"Cookie": cookie})
    if status != 200:
        raise RuntimeError(f"GET {path} with the session cookie: HTTP {status}, expected 200")
    return cookie


# ------------------------------------------------------------------------- wrk

UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0, "h": 3_600_000.0}


def to_ms(text: str) -> float:
    number, unit = re.fullmatch(r"([\d.]+)(us|ms|s|m|h)", text).groups()
    return float(number) * UNITS_MS[unit]


def wrk(port: int, path: str, cookie: str, duration: int, connections: int, threads: int) -> dict:
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
    stats = {
        "rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
        "requests": int(re.search(r"(\d+) requests in", out).group(1)),
        "p50_ms": to_ms(re.search(r"^\s+50%\s+(\S+)", out, re.M).group(1)),
        "p99_ms": to_ms(re.search(r"^\s+99%\s+(\S+)", out, re.M).group(1)),
        "errors": 0,
        "raw": out,
    }
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        stats["errors"] += int(m.group(1))
    if m := re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out
    ):
        stats["errors"] += sum(int(g) for g in m.groups())
    return stats


# -------------------------------------------------------------------- gunicorn


@contextlib.contextmanager
def gunicorn(args: argparse.Namespace, env: dict[str, str], port: int, log_path: Path):
    cmd = [
        str(GUNICORN),
        "camp.wsgi",
        "-b",
        f"{HOST}:{port}",
        "--workers",
        str(args.workers),
        "--threads",
        str(args.threads),
        "--worker-class",
        "gthread",
        "--graceful-timeout",
        "10",
        "--error-logfile",
        str(log_path),
        "--access-logfile",
        str(log_path),
    ]
    if GUNICORN_CONF.exists():
        # Camp's production settings (timeouts, keep-alive, max_requests, ...);
        # the command line above overrides bind, workers, threads and logs.
        cmd[2:2] = ["-c", str(GUNICORN_CONF)]
    with open(log_path, "ab") as log:
        # Own session (process group) so the workers can be killed with it.
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True
        )
    try:
        wait_until_up(proc, port)
        yield proc
    except BaseException:
        with contextlib.suppress(OSError):
            tail = log_path.read_text(errors="replace").splitlines()[-20:]
            print("gunicorn log (last lines):\n  " + "\n  ".join(tail), file=sys.stderr)
        raise
    finally:
        stop(proc)


def stop(proc: subprocess.Popen) -> None:
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


def group_cpu_seconds(pgid: int) -> float:
    """User + system CPU of every process in gunicorn's process group (Linux /proc)."""
    ticks = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        if int(fields[2]) == pgid:  # pgrp
            # utime, stime, cutime, cstime (reaped workers land in the arbiter's c*)
            ticks += sum(int(x) for x in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


# ------------------------------------------------------------------ microbench


def micro(iterations: int) -> None:
    """Runs in a subprocess with one mode's environment; prints µs per cycle.

    Each cycle is what Django's WSGI handler does around a view that runs one
    query: request_started (close_old_connections: health-check flag, max age),
    SELECT 1, request_finished (close, or return to the pool).
    """
    sys.path.insert(0, str(ROOT))
    import django

    django.setup()
    from django.core.handlers.wsgi import WSGIHandler
    from django.core.signals import request_finished, request_started
    from django.db import connection

    def cycle() -> None:
        request_started.send(sender=WSGIHandler, environ={})
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
        request_finished.send(sender=WSGIHandler)

    for _ in range(min(50, iterations)):
        cycle()
    start = time.perf_counter()
    for _ in range(iterations):
        cycle()
    elapsed = time.perf_counter() - start
    connection.close()
    if connection.pool:
        connection.close_pool()
    print(json.dumps({"us_per_request": elapsed / iterations * 1e6}))


def run_micro(args: argparse.Namespace, mode: Mode) -> float:
    out = run(
        [str(PYTHON), __file__, "--_micro", str(args.micro)],
        mode_env(args, mode),
        timeout=120,
    )
    return json.loads(out.strip().splitlines()[-1])["us_per_request"]


# ------------------------------------------------------------------------ main


def bench_mode(args: argparse.Namespace, mode: Mode, log_dir: Path, micro_too: bool) -> Result:
    result = Result(mode)
    port = free_port()
    log_path = log_dir / f"gunicorn-{mode.key}.log"
    print(f"[{mode.key}] {mode.name}: gunicorn on {HOST}:{port} ...", flush=True)
    with gunicorn(args, mode_env(args, mode), port, log_path) as proc:
        cookie = login(port, args.path)
        if args.warmup:
            wrk(port, args.path, cookie, args.warmup, args.connections, args.wrk_threads)
        result.load = os.getloadavg()[0]
        sampler = BackendSampler()
        sampler.start()
        cpu_before = group_cpu_seconds(proc.pid)
        try:
            stats = wrk(port, args.path, cookie, args.duration, args.connections, args.wrk_threads)
        finally:
            result.pg_peak = sampler.stop()
        cpu = group_cpu_seconds(proc.pid) - cpu_before
        result.app_cpu_ms = cpu * 1000 / max(stats["requests"], 1)
        with pg_connect() as conn:
            result.pg_held = pg_backends(conn)
        if args.verbose:
            print(stats["raw"])
    # Backends exit asynchronously after their client goes away.
    with pg_connect() as conn:
        for _ in range(20):
            result.pg_after_stop = pg_backends(conn)
            if result.pg_after_stop == 0:
                break
            time.sleep(0.1)
    result.rps, result.requests = stats["rps"], stats["requests"]
    result.p50_ms, result.p99_ms, result.errors = stats["p50_ms"], stats["p99_ms"], stats["errors"]
    print(
        f"[{mode.key}] {result.rps:.1f} req/s, p50 {result.p50_ms:.1f} ms, "
        f"p99 {result.p99_ms:.1f} ms, gunicorn CPU {result.app_cpu_ms:.1f} ms/req, "
        f"load avg {result.load:.1f}; "
        f"{BENCH_DB} backends in pg_stat_activity: "
        f"{result.pg_held} held at end, peak {result.pg_peak}, "
        f"{result.pg_after_stop} after gunicorn stopped",
        flush=True,
    )
    if micro_too and args.micro:
        result.micro_us = run_micro(args, mode)
        print(f"[{mode.key}] SELECT 1 microbench: {result.micro_us:.0f} µs/request", flush=True)
    return result


def summarize(mode: Mode, runs: list[Result]) -> Result:
    """One row per mode: medians over the rounds, worst case for errors/connections."""
    micro = [r.micro_us for r in runs if r.micro_us is not None]
    return Result(
        mode,
        rps=statistics.median(r.rps for r in runs),
        p50_ms=statistics.median(r.p50_ms for r in runs),
        p99_ms=statistics.median(r.p99_ms for r in runs),
        app_cpu_ms=statistics.median(r.app_cpu_ms for r in runs),
        requests=sum(r.requests for r in runs),
        errors=sum(r.errors for r in runs),
        pg_peak=max(r.pg_peak for r in runs),
        pg_held=max(r.pg_held for r in runs),
        pg_after_stop=max(r.pg_after_stop for r in runs),
        micro_us=statistics.median(micro) if micro else None,
        load=statistics.median(r.load for r in runs),
        rounds=[r.rps for r in runs],
    )


def print_table(args: argparse.Namespace, results: list[Result]) -> None:
    baseline = next((r.rps for r in results if r.mode.key == "A"), None) or results[0].rps
    pool_size = args.pool_max_size or "settings default"
    print()
    print(
        f"GET {args.path} | gunicorn gthread {args.workers} workers x {args.threads} threads | "
        f"wrk {args.connections} connections, {args.duration}s x {args.rounds} round(s) | "
        f"pool max_size {pool_size} | cache {'redis' if args.redis else 'locmem'} | "
        f"{os.cpu_count()} CPUs"
    )
    header = (
        f"{'mode':<17} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8} {'vs A':>6} "
        f"{'errors':>6} {'pg conns end/peak':>17} {'CPU ms/req':>10} {'load':>5}"
    )
    if args.micro:
        header += f" {'SELECT 1 µs/req':>16}"
    if args.rounds > 1:
        header += "  req/s per round"
    print(header)
    print("-" * len(header))
    for r in results:
        line = (
            f"{r.mode.key + ' ' + r.mode.name:<17} {r.rps:>8.1f} {r.p50_ms:>8.1f} "
            f"{r.p99_ms:>8.1f} {r.rps / baseline:>5.2f}x {r.errors:>6} "
            f"{f'{r.pg_held}/{r.pg_peak}':>17} {r.app_cpu_ms:>10.1f} {r.load:>5.1f}"
        )
        if args.micro:
            line += f" {r.micro_us:>16.0f}" if r.micro_us is not None else f" {'-':>16}"
        if args.rounds > 1:
            line += "  " + " / ".join(f"{x:.1f}" for x in r.rounds)
        print(line)
    notes = [
        "req/s, p50, p99: wrk --latency"
        + (", median over rounds" if args.rounds > 1 else "")
        + "; vs A: req/s relative to mode A.",
        "pg conns: SELECT count(*) FROM pg_stat_activity WHERE datname='camp_bench_connections', "
        "right after wrk (end) and the most seen while it ran (peak).",
        "CPU ms/req: user+system CPU of the gunicorn processes during the measured run "
        "per request (PostgreSQL's side not included).",
        "load: 1-minute load average when the measured wrk run started (other work on "
        "the machine skews every number).",
    ]
    if args.micro:
        notes.append(
            f"SELECT 1 µs/req: one thread, {args.micro} request cycles "
            "(request_started, SELECT 1, request_finished) in-process, no HTTP."
        )
    for note in notes:
        print(note)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--duration", type=int, default=10, help="seconds per wrk run [10]")
    parser.add_argument("--connections", type=int, default=16, help="wrk connections [16]")
    parser.add_argument("--wrk-threads", type=int, default=1, help="wrk threads [1]")
    parser.add_argument("--warmup", type=int, default=2, help="unmeasured wrk seconds [2]")
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers [2]")
    parser.add_argument("--threads", type=int, default=4, help="threads per worker [4]")
    parser.add_argument("--pool-max-size", type=int, default=0, help="DATABASE_POOL_MAX_SIZE")
    parser.add_argument("--modes", default="ABC", help="which modes to run [ABC]")
    parser.add_argument(
        "--rounds", type=int, default=1, help="repeat all modes, order reversed each round [1]"
    )
    parser.add_argument("--path", default="/posts/", help="page to load [/posts/]")
    parser.add_argument("--posts", type=int, default=300, help="posts to seed [300]")
    parser.add_argument(
        "--micro", type=int, default=1000, help="SELECT 1 cycles per mode, 0 to skip [1000]"
    )
    parser.add_argument("--redis", action="store_true", help=f"cache in {BENCH_REDIS}")
    parser.add_argument("--json", type=Path, help="also write the results here")
    parser.add_argument("-v", "--verbose", action="store_true", help="print wrk's output")
    parser.add_argument("--_seed", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--_micro", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    args.duration = max(1, min(args.duration, MAX_DURATION))
    args.warmup = max(0, min(args.warmup, 30))
    args.connections = max(1, min(args.connections, 1000))
    args.rounds = max(1, min(args.rounds, 10))
    args.micro = max(0, min(args.micro, 100_000))
    if not args.path.startswith("/"):
        parser.error("--path must start with /")
    unknown = set(args.modes.upper()) - {m.key for m in MODES}
    if unknown:
        parser.error(f"unknown modes: {''.join(sorted(unknown))}")
    return args


def _exit_on_signal(signum, _frame) -> None:
    raise SystemExit(128 + signum)


def main(argv: list[str] | None = None) -> None:
    args = parse_args(argv)
    if args._seed is not None:
        seed(args._seed)
        return
    if args._micro is not None:
        micro(args._micro)
        return
    # SIGTERM/SIGHUP unwind like Ctrl-C, so the finally blocks stop gunicorn.
    for signum in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(signum, _exit_on_signal)
    for tool in (PYTHON, GUNICORN, Path(WRK)):
        if not tool.exists():
            sys.exit(f"missing {tool}")
    prepare(args)
    modes = [m for m in MODES if m.key in args.modes.upper()]
    runs: dict[str, list[Result]] = {m.key: [] for m in modes}
    with tempfile.TemporaryDirectory(prefix="camp-bench-") as log_dir:
        for round_no in range(args.rounds):
            # Alternate the order so a slow drift in machine load favours no mode.
            order = modes if round_no % 2 == 0 else modes[::-1]
            if args.rounds > 1:
                print(f"round {round_no + 1}/{args.rounds}: {''.join(m.key for m in order)}")
            for mode in order:
                runs[mode.key].append(bench_mode(args, mode, Path(log_dir), round_no == 0))
    results = [summarize(m, runs[m.key]) for m in modes]
    print_table(args, results)
    if args.json:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        payload = {
            "args": {k: str(v) for k, v in vars(args).items() if not k.startswith("_")},
            "results": [
                {
                    "mode": r.mode.key,
                    "name": r.mode.name,
                    **{k: v for k, v in vars(r).items() if k != "mode"},
                }
                for r in results
            ],
        }
        args.json.write_text(json.dumps(payload, indent=2))


if __name__ == "__main__":
    main()
