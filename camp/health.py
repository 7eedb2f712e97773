"""Readiness checks: does each backing service answer right now?"""

import logging

from django.core.cache import cache
from django.db import connection

logger = logging.getLogger(__name__)


def database_ok() -> bool:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            return cursor.fetchone() == (1,)
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
