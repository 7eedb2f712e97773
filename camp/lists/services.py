"""Writes for the pieces that span both lists: saved views and pending imports."""

from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from camp.jobs.models import Job
from camp.jobs.services import job_cancel, job_enqueue
from camp.models import PendingImport, PendingImportPiece, SavedView
from camp.records.cache import records_generation_bump

from .importing import Importer, upload_pieces

#: An upload not confirmed within this time is deleted by the next upload.
PENDING_IMPORT_TTL = timedelta(days=1)


@transaction.atomic
def saved_view_save(*, view: SavedView) -> SavedView:
    """Save `view`; if it is now its owner's default for the list, it is the only one."""
    if view.is_default:
        SavedView.objects.filter(
            owner_id=view.owner_id, list_name=view.list_name, is_default=True
        ).exclude(pk=view.pk).update(is_default=False)
    view.save()
    # The list pages show the saved views.
    transaction.on_commit(records_generation_bump)
    return view


def saved_view_delete(*, view: SavedView) -> None:
    view.delete()
    records_generation_bump()


@transaction.atomic
def pending_import_create(*, owner, list_name: str, upload, importer: Importer) -> PendingImport:
    """Read an uploaded CSV into the database, in pieces, replacing the owner's previous upload.

    Raise ImportFileError, with nothing kept, for a file that cannot be
    imported as a whole (its encoding, its header, its size, its shape). An
    upload a job is still to read is kept: the import job deletes it when done.
    """
    encoding, header, pieces = upload_pieces(importer, upload, rows=settings.JOBS_BATCH_SIZE)
    in_use = (
        Job.objects.exclude(state__in=Job.FINISHED)
        .filter(params__pending__isnull=False)
        .values_list("params__pending", flat=True)
    )
    stale = PendingImport.objects.exclude(pk__in=list(in_use))
    stale.filter(owner=owner, list_name=list_name).delete()
    stale.filter(created_at__lt=timezone.now() - PENDING_IMPORT_TTL).delete()
    pending = PendingImport.objects.create(
        owner=owner,
        list_name=list_name,
        filename=upload.name[:255],
        encoding=encoding,
        header=header,
    )
    for seq, piece in enumerate(pieces):
        PendingImportPiece.objects.create(
            pending=pending,
            seq=seq,
            first_line=piece.first_line,
            text=piece.text,
            repeats=piece.repeats,
        )
        pending.rows += piece.rows
    pending.save(update_fields=["rows"])
    return pending


@transaction.atomic
def pending_import_preview(*, pending: PendingImport, kind: str, owner, label: str, params: dict):
    """Queue the job that previews `pending`, cancelling the owner's previews still to finish."""
    unfinished = Job.objects.exclude(state__in=Job.FINISHED).filter(kind=kind, owner=owner)
    for job in unfinished:
        job_cancel(job=job)
    return job_enqueue(kind=kind, owner=owner, label=label, params=params, total=pending.rows)


def pending_import_delete(*, pending: PendingImport) -> None:
    pending.delete()


@transaction.atomic
def pending_import_enqueue(*, pending: PendingImport, kind: str, owner, label: str, params: dict):
    """Queue the job that imports `pending`, or return the one already queued for it.

    The upload's row is locked first, so a confirm sent twice (a double
    click) queues one job, not two writing the same rows.
    """
    PendingImport.objects.select_for_update().filter(pk=pending.pk).first()
    queued = (
        Job.objects.exclude(state__in=Job.FINISHED)
        .filter(kind=kind, params__pending=pending.pk)
        .first()
    )
    if queued is not None:
        return queued
    return job_enqueue(kind=kind, owner=owner, label=label, params=params, total=pending.rows)
