"""The preview and the import of an uploaded CSV, each a background job working in batches.

The upload waits in the database (camp.models.PendingImport), its rows in
pieces of JOBS_BATCH_SIZE, where every worker can read them; it is deleted
when imported. The preview job runs each piece as a dry run, rolled back, and
keeps the counts, the first rows with errors and the first changes for the
import page, and every row with errors for a CSV to download. Only an upload
whose preview found no errors can be imported: the import job writes one
piece a batch, committed with its history rows and the job's cursor, so a
worker killed half-way is followed by one that goes on from the last committed
batch. A row that fails now though its preview passed (the data changed
meanwhile) stops the import before that batch.
"""

import csv
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from simple_history.models import HistoricalRecords

from camp.audit.services import audit_import
from camp.jobs.registry import BatchResult, JobKind, register
from camp.jobs.services import job_file_save
from camp.models import PendingImport, PendingImportPiece

from .exporting import CSV_TYPE, cell
from .importing import ERROR, Importer, ImportResult, RowOutcome, piece_rows

#: Rows with errors, and rows to create or change, a preview keeps to show.
SHOWN_ERRORS = 50
SHOWN_CHANGES = 500

COUNTS = ("created", "updated", "unchanged")


class ImportGone(Exception):
    """The upload the job was to import is no longer stored."""


def import_params(*, pending: PendingImport, client: dict) -> dict:
    """What a job needs: the upload, and for the audit trail its list, name and client."""
    return {
        "pending": pending.pk,
        "list": pending.list_name,
        "file": pending.filename,
        "client": client,
    }


def preview_kind(kind: str) -> str:
    """The key of the preview job kind registered beside import job kind `kind`."""
    return f"{kind}_preview"


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


@dataclass
class ImportPreview:
    """What a finished preview job found, for the import page."""

    created: int
    updated: int
    unchanged: int
    error_count: int
    #: The first rows with errors and the first rows to create or change.
    errors: list[RowOutcome]
    changes: list[RowOutcome]
    more_changes: int
    #: Columns of the file no column of the list matches.
    ignored_columns: list[str]

    @classmethod
    def from_job(cls, job) -> "ImportPreview":
        params = job.params
        changes = params.get("changes", [])
        shown = len(changes)
        errors = [RowOutcome(action=ERROR, **row) for row in params.get("error_rows", [])]
        for row in errors:
            # The cells in the file's order, to show beside the reasons.
            row.cells = [row.values.get(name, "") for name in params.get("header", [])]
        return cls(
            **{name: params.get(name, 0) for name in COUNTS},
            error_count=params.get("errors", 0),
            errors=errors,
            changes=[RowOutcome(**row) for row in changes],
            more_changes=params.get("created", 0) + params.get("updated", 0) - shown,
            ignored_columns=params.get("ignored_columns", []),
        )

    @property
    def ok(self) -> bool:
        return not self.error_count


def _pending(job) -> PendingImport:
    pending = PendingImport.objects.filter(pk=job.params["pending"]).first()
    if pending is None:
        raise ImportGone(job.params["pending"])
    return pending


def _piece(pending: PendingImport, seq: int) -> PendingImportPiece | None:
    return PendingImportPiece.objects.filter(pending=pending, seq=seq).first()


def _rows(piece: PendingImportPiece | None) -> list[list]:
    if piece is None:
        return []
    return piece_rows(text=piece.text, first_line=piece.first_line, repeats=piece.repeats)


def _more(pending: PendingImport, seq: int) -> bool:
    return PendingImportPiece.objects.filter(pending=pending, seq__gt=seq).exists()


def _shown_error(row) -> dict:
    return {"line": row.line, "label": row.label, "errors": row.errors, "values": row.values}


def _errors_file(job, *, header: list[str], rows: Iterator[tuple[int, list[str], list]]) -> None:
    """Store rows with errors as the job's CSV file: line, their cells, then a reason column.

    `rows` gives (line, cells, reasons), cells in the order of `header`.
    """
    columns = [index for index, name in enumerate(header) if name]
    with tempfile.NamedTemporaryFile("w", suffix=".csv", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["line", *(header[index] for index in columns), "reason"])
        for line, cells, reasons in rows:
            values = [cell(cells[index]) if index < len(cells) else "" for index in columns]
            writer.writerow([line, *values, " ".join(reasons)])
        out.flush()
        stem = job.params["file"].rsplit(".", 1)[0] or "import"
        job_file_save(job=job, name=f"{stem}-errors.csv", content_type=CSV_TYPE, path=out.name)


def _stored_errors(pending: PendingImport) -> Iterator[tuple[int, list[str], list]]:
    """Every row the preview found errors in, with its cells, piece by piece."""
    pieces = PendingImportPiece.objects.filter(pending=pending).exclude(errors=[])
    for piece in pieces.order_by("seq").iterator(chunk_size=1):
        reasons = {line: errors for line, errors in piece.errors}
        for line, cells, _repeat in _rows(piece):
            if line in reasons:
                yield line, cells, reasons[line]


def _tally(cursor: dict, result: ImportResult) -> dict:
    return {
        **cursor,
        "piece": cursor["piece"] + 1,
        **{name: cursor[name] + getattr(result, name) for name in COUNTS},
    }


def preview_outcome(job) -> str:
    params = job.params
    return _(
        "Preview: %(created)d to create, %(updated)d to change, %(unchanged)d unchanged,"
        " %(errors)d with errors."
    ) % {name: params.get(name, 0) for name in (*COUNTS, "errors")}


def import_outcome(job) -> str:
    params = job.params
    if params.get("refused"):
        done = sum(params.get(name, 0) for name in COUNTS)
        if done:
            return _(
                "Stopped at line %(line)d: %(errors)d rows now fail though their preview passed;"
                " the %(done)d rows before them were imported."
            ) % {"line": params["error_rows"][0]["line"], "errors": params["errors"], "done": done}
        return _("Nothing was imported: %(errors)d rows with errors.") % {
            "errors": params.get("errors", 0)
        }
    return _("Imported: %(created)d created, %(updated)d changed, %(unchanged)d unchanged.") % {
        name: params.get(name, 0) for name in COUNTS
    }


def import_job_kind(
    *,
    key: str,
    label,
    preview_label,
    import_url: str,
    permissions: tuple[str, ...],
    importer: Callable[..., Importer],
) -> JobKind:
    """Register the job kinds that preview and import a list's uploads; `importer(owner=...)`.

    `import_url` names the list's import page, where a preview is shown.
    """

    def preview(*, job, owner, cursor) -> BatchResult:
        pending = _pending(job)
        cursor = cursor or {
            "piece": 0,
            "errors": 0,
            "error_rows": [],
            "changes": [],
            **dict.fromkeys(COUNTS, 0),
        }
        piece = _piece(pending, cursor["piece"])
        rows = _rows(piece)
        result = importer(owner=owner).run_rows(rows, header=pending.header, commit=False)
        if result.errors:
            piece.errors = [[row.line, row.errors] for row in result.errors]
            piece.save(update_fields=["errors"])
        cursor = _tally(cursor, result)
        cursor["errors"] += len(result.errors)
        cursor["error_rows"] += [_shown_error(row) for row in result.errors][
            : SHOWN_ERRORS - len(cursor["error_rows"])
        ]
        cursor["changes"] += [
            {
                "line": row.line,
                "label": row.label,
                "action": row.action,
                "changes": row.changes,
                "notes": row.notes,
            }
            for row in result.changes
        ][: SHOWN_CHANGES - len(cursor["changes"])]
        if piece and _more(pending, piece.seq):
            return BatchResult(rows=len(rows), cursor=cursor)
        job.params = {
            **job.params,
            **{k: v for k, v in cursor.items() if k != "piece"},
            "header": pending.header,
            "encoding": pending.encoding,
            "ignored_columns": importer(owner=owner).ignored_columns(pending.header),
        }
        if cursor["errors"]:
            # The rows with errors go to the job's file; the upload cannot be imported.
            _errors_file(job, header=pending.header, rows=_stored_errors(pending))
            pending.delete()
        else:
            PendingImport.objects.filter(pk=pending.pk).update(checked=True)
        return BatchResult(rows=len(rows), cursor=None)

    def run(*, job, owner, cursor) -> BatchResult:
        with _acting_as(owner, job.params.get("client")):
            return _run(job=job, owner=owner, cursor=cursor)

    def _run(*, job, owner, cursor) -> BatchResult:
        pending = _pending(job)
        cursor = cursor or {"piece": 0, **dict.fromkeys(COUNTS, 0)}
        piece = _piece(pending, cursor["piece"])
        rows = _rows(piece)
        result = importer(owner=owner).run_rows(rows, header=pending.header, commit=True)
        if not result.committed:
            # A row that passed its preview fails now: the data changed meanwhile.
            errors = result.errors
            job.params = {
                **job.params,
                **{name: cursor[name] for name in COUNTS},
                "refused": True,
                "errors": len(errors),
                "error_rows": [_shown_error(row) for row in errors[:SHOWN_ERRORS]],
            }
            _errors_file(
                job,
                header=pending.header,
                rows=(
                    (row.line, [row.values.get(n, "") for n in pending.header], row.errors)
                    for row in errors
                ),
            )
            return BatchResult(rows=0, cursor=None)
        cursor = _tally(cursor, result)
        if piece and _more(pending, piece.seq):
            return BatchResult(rows=len(rows), cursor=cursor)
        counts = {name: cursor[name] for name in COUNTS}
        job.params = {**job.params, **counts}
        pending.delete()
        audit_import(
            actor=owner,
            list_name=job.params["list"],
            filename=job.params["file"],
            counts=counts,
            client=job.params.get("client"),
        )
        return BatchResult(rows=len(rows), cursor=None)

    def preview_url(job) -> str:
        return f"{reverse(import_url)}?preview={job.pk}"

    register(
        JobKind(
            key=preview_kind(key),
            label=preview_label,
            permissions=lambda params: permissions,
            batch=preview,
            outcome=preview_outcome,
            result_url=preview_url,
        )
    )
    return register(
        JobKind(
            key=key,
            label=label,
            permissions=lambda params: permissions,
            batch=run,
            outcome=import_outcome,
        )
    )


IMPORT_LABEL = gettext_lazy("Import of %(file)s")
PREVIEW_LABEL = gettext_lazy("Preview of the import of %(file)s")
