"""Who else has an edit page open: kept in the cache, so it is shared by every server.

Presence is a courtesy, not a lock (camp.records.locking guards the data): entries
live for PRESENCE_TTL seconds and are refreshed whenever the edit page is
opened again. With the cache down there is simply no notice.
"""

from dataclasses import dataclass
from datetime import datetime

from django.core.cache import cache
from django.utils import timezone

PRESENCE_TTL = 300


@dataclass(frozen=True)
class Editor:
    user_id: int
    username: str
    since: datetime


def _key(record: str) -> str:
    return f"presence:{record}"


def _current(record: str) -> dict[str, dict]:
    entries = cache.get(_key(record)) or {}
    now = timezone.now().timestamp()
    return {uid: e for uid, e in entries.items() if now - e["seen"] < PRESENCE_TTL}


def presence_enter(*, record: str, user_id: int, username: str) -> list[Editor]:
    """Note that `user_id` has `record` open; return the others who have it open."""
    entries = _current(record)
    now = timezone.now().timestamp()
    mine = entries.get(str(user_id), {"since": now})
    entries[str(user_id)] = {"username": username, "since": mine["since"], "seen": now}
    cache.set(_key(record), entries, timeout=PRESENCE_TTL)
    return [
        Editor(
            user_id=int(uid),
            username=e["username"],
            since=datetime.fromtimestamp(e["since"], tz=timezone.get_current_timezone()),
        )
        for uid, e in sorted(entries.items(), key=lambda item: item[1]["since"])
        if uid != str(user_id)
    ]


def presence_leave(*, record: str, user_id: int) -> None:
    entries = _current(record)
    if entries.pop(str(user_id), None) is not None:
        cache.set(_key(record), entries, timeout=PRESENCE_TTL)
