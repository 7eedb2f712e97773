"""gunicorn settings for Camp in production: `gunicorn camp.wsgi -c gunicorn.conf.py`.

Every value that differs between machines comes from the environment.
https://docs.gunicorn.org/en/stable/settings.html
"""

import os
import shutil
import tempfile


def _int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    return int(value) if value else default


def _cpus() -> int:
    # The CPUs this process may run on (a container's limit), not the host's.
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


# Socket
# https://docs.gunicorn.org/en/stable/settings.html#bind

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")


# Workers
# https://docs.gunicorn.org/en/stable/design.html#how-many-workers
# A Camp page is mostly Python (template rendering: ~20 ms of CPU for the post
# list against ~3 ms of SQL), so processes, not threads, are what scale it.
# Measured with `bench/run.py --sweep` on 2 cores (bench/README.md): sync
# workers, one per CPU, served the most pages; more processes only competed
# for the cores. gthread workers keep a keep-alive connection on the worker
# that accepted it, so with a few busy connections (nginx's upstream keepalive,
# wrk) one worker did all the work while the others idled (CPU per worker
# 7.3 s / 0.1 s / 0.0 s over 8 s with 3 x 4) and throughput fell by a factor of
# three. Sync workers serve one request per connection, so every request goes
# to a free worker; they need a buffering proxy in front for slow clients,
# which is how Camp is deployed (README: nginx). GUNICORN_THREADS > 1 switches
# to gthread for a server exposed directly. Each worker's connection pool
# holds up to one PostgreSQL connection per thread: workers x threads x servers
# must stay under max_connections, hence the cap; run more servers beyond it.

workers = _int("WEB_CONCURRENCY", min(max(_cpus(), 2), 8))
threads = _int("GUNICORN_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"


# Timeouts
# https://docs.gunicorn.org/en/stable/settings.html#timeout

timeout = 30
graceful_timeout = 30
keepalive = 5  # gthread only: a sync worker closes the connection after each response

# Restart each worker after this many requests (spread by the jitter so they
# do not all restart at once): bounds the damage of a slow memory leak.
max_requests = _int("GUNICORN_MAX_REQUESTS", 10_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1_000)

# Keep the workers' heartbeat files in memory: on a slow or full disk (a
# container's overlay /tmp) a busy worker would otherwise look dead to the
# arbiter. gunicorn creates them with mkstemp, so a shared directory is safe.
SHM = "/dev/shm"  # noqa: S108
if os.path.isdir(SHM):
    worker_tmp_dir = SHM


# Logging
# https://docs.gunicorn.org/en/stable/settings.html#accesslog

accesslog = "-"
errorlog = "-"


# Metrics
# https://prometheus.github.io/client_python/multiprocess/
# Each worker counts in its own process, and /metrics is answered by whichever
# worker takes the request: without a shared directory it would report that
# worker's share only. prometheus_client keeps every worker's figures in
# PROMETHEUS_MULTIPROC_DIR and /metrics adds them up. The variable must be set
# before a worker imports prometheus_client, so in the arbiter as it starts;
# a directory given is emptied then (old figures would be counted again), and
# a worker's live gauges are dropped when it exits.

# The arbiter's environment remembers a directory gunicorn made itself, across
# configuration reloads (SIGHUP runs this file again).
_MADE_HERE = "CAMP_METRICS_DIR_MADE_BY_GUNICORN"


def on_starting(server):
    directory = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if directory:
        shutil.rmtree(directory, ignore_errors=True)
        os.makedirs(directory, exist_ok=True)
    else:
        os.environ["PROMETHEUS_MULTIPROC_DIR"] = tempfile.mkdtemp(prefix="camp-metrics-")
        os.environ[_MADE_HERE] = "1"


def child_exit(server, worker):
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(worker.pid)


def on_exit(server):
    # A directory gunicorn made for itself goes with it; one named in the
    # environment is left for whoever named it.
    if os.environ.get(_MADE_HERE):
        shutil.rmtree(os.environ["PROMETHEUS_MULTIPROC_DIR"], ignore_errors=True)
