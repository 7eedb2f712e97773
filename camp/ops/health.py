"""Readiness checks: does each backing service answer right now?"""

import logging

import psycopg
from django.core.cache import cache
from django.db import connection

logger = logging.getLogger("camp.health")


#: Seconds each check may take: a load balancer's probe must not hang.
TIMEOUT = 0.8


def database_ok() -> bool:
    """Connect afresh with a short timeout: the request's pooled connection could
    wait for the pool's own, much longer, timeout while PostgreSQL is down."""
    try:
        if connection.vendor != "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT 1")
                return cursor.fetchone() == (1,)
        db = connection.settings_dict
        with psycopg.connect(
            dbname=db["NAME"],
            user=db["USER"] or None,
            password=db["PASSWORD"] or None,
            host=db["HOST"] or None,
            port=db["PORT"] or None,
            # libpq waits at least 2 s for a host that does not answer; a refused
            # connection (the usual outage) fails at once.
            connect_timeout=1,
            options=f"-c statement_timeout={int(TIMEOUT * 1000)}",
        ) as probe:
            return probe.execute("SELECT 1").fetchone() == (1,)
    except Exception:
        logger.warning("readiness: database check failed", exc_info=True)
        return False


def cache_ok() -> bool:
    try:
        cache.set("readyz", "1", timeout=5)
        return cache.get("readyz") == "1"
    except Exception:
        logger.warning("readiness: cache check failed", exc_info=True)
        return False


def check_services() -> dict[str, bool]:
    return {"database": database_ok(), "cache": cache_ok()}
