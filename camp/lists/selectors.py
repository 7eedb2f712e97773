"""Reads for every list page: the saved views a user may open, uploads awaiting confirmation."""

from camp.jobs.models import Job
from camp.models import PendingImport, SavedView


def saved_views(*, user, list_name: str) -> list[SavedView]:
    """The saved views of a list that `user` may open: their own and the shared ones."""
    views = SavedView.objects.visible_to(user).filter(list_name=list_name)
    return list(views.select_related("owner").order_by("name", "id"))


def saved_view_visible(*, user, list_name: str, pk) -> SavedView | None:
    """The saved view `pk` of a list if `user` may open it, else None (for any bad `pk`)."""
    if not str(pk).isdigit() or len(str(pk)) > 18:
        return None
    return SavedView.objects.visible_to(user).filter(list_name=list_name, pk=int(pk)).first()


def saved_view_owned(*, user, list_name: str, pk) -> SavedView | None:
    """The saved view `pk` of a list if `user` owns it (and so may change it), else None."""
    view = saved_view_visible(user=user, list_name=list_name, pk=pk)
    return view if view is not None and view.owner_id == user.pk else None


def pending_import(*, user, list_name: str, pk) -> PendingImport | None:
    """The upload `pk` awaiting confirmation, if `user` uploaded it for this list."""
    if not str(pk).isdigit() or len(str(pk)) > 18:
        return None
    return PendingImport.objects.filter(owner=user, list_name=list_name, pk=int(pk)).first()


def import_preview_job(*, user, kind: str, pk) -> Job | None:
    """The preview job `pk` of `kind`, if `user` queued it."""
    if not str(pk).isdigit() or len(str(pk)) > 18:
        return None
    return Job.objects.filter(owner=user, kind=kind, pk=int(pk)).first()
