"""Writes for the pieces that span both lists: saved views and pending imports."""

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from camp.jobs.models import Job
from camp.jobs.services import job_enqueue
from camp.models import PendingImport, SavedView

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
    return view


def saved_view_delete(*, view: SavedView) -> None:
    view.delete()


@transaction.atomic
def pending_import_create(*, owner, list_name: str, filename: str, text: str) -> PendingImport:
    """Keep an uploaded CSV until it is confirmed, replacing the owner's previous upload.

    An upload a confirmed import's job is still to read is kept: the job
    deletes it when done.
    """
    in_use = (
        Job.objects.exclude(state__in=Job.FINISHED)
        .filter(params__pending__isnull=False)
        .values_list("params__pending", flat=True)
    )
    stale = PendingImport.objects.exclude(pk__in=list(in_use))
    stale.filter(owner=owner, list_name=list_name).delete()
    stale.filter(created_at__lt=timezone.now() - PENDING_IMPORT_TTL).delete()
    return PendingImport.objects.create(
        owner=owner, list_name=list_name, filename=filename[:255], text=text
    )


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
    return job_enqueue(kind=kind, owner=owner, label=label, params=params)
