"""The kinds of job Camp runs, registered by the apps that own the work."""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise


@dataclass(frozen=True)
class BatchResult:
    #: Rows this batch handled (changed, imported, written).
    rows: int
    #: Where the next batch starts, or None when there is no next batch.
    cursor: Any
    #: The work so far was lost (a file on a dead worker's disk): `rows` is the new total.
    reset: bool = False


@dataclass(frozen=True)
class JobKind:
    key: str
    #: What the job list calls jobs of this kind, e.g. "Bulk action on posts".
    label: str | Promise
    #: The permissions the owner needs, checked when queued and again when run.
    permissions: Callable[[dict], tuple[str, ...]]
    #: Do one batch from `cursor` (None at the start) inside the caller's transaction.
    batch: Callable[..., BatchResult]
    #: The sentence the job page shows once done, from the job.
    outcome: Callable[[Any], str] = lambda job: ""
    #: Where the job's result is shown beyond its own page (e.g. an import's preview), or "".
    result_url: Callable[[Any], str] = lambda job: ""
    #: Drop what a run kept in the worker's memory or disk, however it ended.
    cleanup: Callable[[Any], None] = lambda job: None


_kinds: dict[str, JobKind] = {}


def register(kind: JobKind) -> JobKind:
    """Make `kind` known to the workers; called from an app's AppConfig.ready()."""
    _kinds[kind.key] = kind
    return kind


def job_kind(key: str) -> JobKind:
    return _kinds[key]
