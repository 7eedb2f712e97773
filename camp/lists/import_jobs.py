"""The real run of a previewed CSV import, as a background job written in batches.

The upload waits in the database (camp.models.PendingImport), where every
worker can read it, and is deleted when the job is done. The first batch
validates the whole file without keeping anything (all or nothing: one bad row
and the job ends with nothing written); the following batches write
JOBS_BATCH_SIZE rows each, every batch committed with its history rows and the
job's cursor, so a worker killed half-way is followed by one that goes on from
the last committed batch.
"""

import csv
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.conf import settings
from django.http import HttpRequest
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from camp.audit.services import audit_import
from camp.jobs.models import Job
from camp.jobs.registry import BatchResult, JobKind, register
from camp.jobs.services import job_file_save
from camp.models import PendingImport

from .exporting import CSV_TYPE, cell
from .importing import Importer

#: Rows with errors the job keeps to show on its page.
SHOWN_ERRORS = 50

COUNTS = ("created", "updated", "unchanged")


class ImportGone(Exception):
    """The upload the job was to import is no longer stored."""


def import_params(*, pending: PendingImport, client: dict) -> dict:
    """What the job needs: the upload, and for the audit trail its list, name and client."""
    return {
        "pending": pending.pk,
        "list": pending.list_name,
        "file": pending.filename,
        "client": client,
    }


@contextmanager
def _acting_as(owner, client: dict | None) -> Iterator[None]:
    """Name the job's owner, and the client that confirmed, as the author of its writes.

    The history's "who" and the audit log's actor come from the request being
    served (django-simple-history's middleware keeps it); a worker serves
    none, so the run stands one in for the request that queued it.
    """
    request = HttpRequest()
    request.user = owner
    request.META = {
        "REMOTE_ADDR": (client or {}).get("address", ""),
        "HTTP_USER_AGENT": (client or {}).get("user_agent", ""),
    }
    previous = getattr(HistoricalRecords.context, "request", None)
    HistoricalRecords.context.request = request
    try:
        yield
    finally:
        if previous is None:
            del HistoricalRecords.context.request
        else:
            HistoricalRecords.context.request = previous


def _errors_file(job, result) -> None:
    """Store the rows with errors as the job's CSV file: their cells, then a reason column."""
    columns = [name for name in result.header if name]
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["line", *columns, "reason"])
        for row in result.errors:
            cells = [cell(row.values.get(name, "")) for name in columns]
            writer.writerow([row.line, *cells, " ".join(row.errors)])
        out.flush()
        stem = job.params["file"].rsplit(".", 1)[0] or "import"
        job_file_save(job=job, name=f"{stem}-errors.csv", content_type=CSV_TYPE, path=out.name)


def _refused(job, result) -> BatchResult:
    """End the job at its validation pass: nothing written, the reasons kept for its page."""
    if result.errors:
        _errors_file(job, result)
    job.params = {
        **job.params,
        "refused": True,
        "file_errors": result.file_errors,
        "errors": len(result.errors),
        "error_rows": [
            {"line": row.line, "label": row.label, "errors": row.errors}
            for row in result.errors[:SHOWN_ERRORS]
        ],
    }
    PendingImport.objects.filter(pk=job.params["pending"]).delete()
    return BatchResult(rows=0, cursor=None)


def import_outcome(job) -> str:
    params = job.params
    if params.get("refused"):
        return _("Nothing was imported: %(errors)d rows with errors.") % {
            "errors": params.get("errors", 0)
        } + "".join(f" {error}" for error in params.get("file_errors", []))
    return _("Imported: %(created)d created, %(updated)d changed, %(unchanged)d unchanged.") % {
        name: params.get(name, 0) for name in COUNTS
    }


def import_job_kind(
    *,
    key: str,
    label,
    permissions: tuple[str, ...],
    importer: Callable[..., Importer],
) -> JobKind:
    """Register the job kind that imports a list's previewed upload; `importer(owner=...)`."""

    def batch(*, job, owner, cursor) -> BatchResult:
        with _acting_as(owner, job.params.get("client")):
            return _batch(job=job, owner=owner, cursor=cursor)

    def _batch(*, job, owner, cursor) -> BatchResult:
        pending = PendingImport.objects.filter(pk=job.params["pending"]).first()
        if pending is None:
            raise ImportGone(job.params["pending"])
        if cursor is None:
            # The validation pass: every row, in a savepoint rolled back.
            result = importer(owner=owner).run(pending.text, commit=False)
            if not result.ok:
                return _refused(job, result)
            Job.objects.filter(pk=job.pk).update(total=len(result.rows))
            job.total = len(result.rows)
            return BatchResult(rows=0, cursor={"next": 0, **dict.fromkeys(COUNTS, 0)})
        result = importer(owner=owner).run(
            pending.text, commit=True, start=cursor["next"], limit=settings.JOBS_BATCH_SIZE
        )
        if not result.committed:
            # A row that passed the validation pass fails now: the data changed meanwhile.
            first = result.errors[0] if result.errors else None
            raise ValueError(
                f"line {first.line}: {'; '.join(first.errors)}"
                if first
                else "; ".join(result.file_errors)
            )
        cursor = {
            "next": cursor["next"] + len(result.rows),
            "created": cursor["created"] + result.created,
            "updated": cursor["updated"] + result.updated,
            "unchanged": cursor["unchanged"] + result.unchanged,
        }
        if result.more:
            return BatchResult(rows=len(result.rows), cursor=cursor)
        job.params = {**job.params, **{name: cursor[name] for name in COUNTS}}
        pending.delete()
        audit_import(
            actor=owner,
            list_name=job.params["list"],
            filename=job.params["file"],
            counts={name: cursor[name] for name in COUNTS},
            client=job.params.get("client"),
        )
        return BatchResult(rows=len(result.rows), cursor=None)

    return register(
        JobKind(
            key=key,
            label=label,
            permissions=lambda params: permissions,
            batch=batch,
            outcome=import_outcome,
        )
    )


IMPORT_LABEL = gettext_lazy("Import of %(file)s")
