"""gunicorn settings for Camp in production: `gunicorn camp.wsgi -c gunicorn.conf.py`.

Every value that differs between machines comes from the environment.
https://docs.gunicorn.org/en/stable/settings.html
"""

import os


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
# https://docs.gunicorn.org/en/stable/settings.html#worker-processes
# A Camp request spends its time in Python (rendering) and waiting on
# PostgreSQL and Redis. Measured with bench/run.py on a 2-core machine (see
# bench/README.md): processes beyond cpu + 1 add nothing but memory and
# database connections, and 4 threads per process cover the waits. Each
# process's connection pool holds up to GUNICORN_THREADS connections, so
# workers x threads is the connection count per server: keep it under
# PostgreSQL's max_connections.

workers = _int("WEB_CONCURRENCY", min(_cpus() + 1, 8))
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread" if threads > 1 else "sync"


# Timeouts
# https://docs.gunicorn.org/en/stable/settings.html#timeout

timeout = 30
graceful_timeout = 30
keepalive = 5

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
