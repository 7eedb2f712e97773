"""Say in words which database and cache the settings point Camp at."""

from pathlib import Path
from urllib.parse import urlsplit


def describe_database(database: dict) -> str:
    """Name the database of a DATABASES entry, without its password."""
    if "sqlite" in database["ENGINE"]:
        path = Path(database["NAME"])
        if path.is_relative_to(Path.cwd()):
            path = path.relative_to(Path.cwd())
        return f"SQLite ({path})"
    if "postgresql" in database["ENGINE"]:
        host = database.get("HOST") or "localhost"
        port = database.get("PORT") or 5432
        return f"PostgreSQL ({database['NAME']} on {host}:{port})"
    return f"{database['ENGINE']} database {database['NAME']}"


def describe_cache(cache: dict) -> str:
    """Name the cache of a CACHES entry, without the password a Redis URL may carry."""
    if cache["BACKEND"].endswith("LocMemCache"):
        return "a per-process memory cache"
    if cache["BACKEND"].endswith("RedisCache"):
        url = urlsplit(cache["LOCATION"])
        if not url.hostname:  # unix:///run/redis.sock
            return f"Redis ({url.path})"
        return f"Redis ({url.hostname}:{url.port or 6379}{url.path})"
    return cache["BACKEND"]


def describe_services(databases: dict, caches: dict) -> str:
    """One line saying which database and cache Camp uses, and who runs background jobs."""
    line = (
        f"Camp uses {describe_database(databases['default'])} "
        f"and {describe_cache(caches['default'])}, "
        "with background jobs run by a worker started beside the server"
    )
    if "sqlite" in databases["default"]["ENGINE"]:
        line += "; DATABASE_URL and REDIS_URL in .env switch to PostgreSQL and Redis"
    return line + "."
