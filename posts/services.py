from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import QuerySet
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from .models import Post


@transaction.atomic
def post_set_status(*, posts: QuerySet[Post], status: str) -> int:
    """Move `posts` to `status`, one save per post so each change is in the history."""
    changed = 0
    for post in posts.select_for_update().exclude(status=status):
        post.status = status
        # Rows are locked, so bumping the version here is safe: an edit form
        # opened before this change will be refused instead of reverting it.
        post.version += 1
        post.save(update_fields=["status", "updated_at", "version"])
        changed += 1
    return changed


class RestoreError(Exception):
    pass


@transaction.atomic
def post_restore(*, history_id: int) -> Post:
    """Bring a deleted post back, with its original id, from its deletion record."""
    record = Post.history.filter(history_id=history_id, history_type="-").first()
    if record is None:
        raise RestoreError(_("There is no deleted post with that history id."))
    if Post.objects.filter(pk=record.id).exists():
        raise RestoreError(_("That post exists again already."))
    if not get_user_model().objects.filter(pk=record.author_id).exists():
        raise RestoreError(_("The author of that post no longer exists."))
    post = record.instance
    post._change_reason = gettext_noop("Restored")
    post.save(force_insert=True)
    return post
