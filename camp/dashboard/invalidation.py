"""Keep cached summaries true: every write to a user or a post invalidates them.

It also starts a new generation of the records (camp.records.cache), which
every cached list page's key holds.

Receivers rather than service calls because writes arrive from everywhere —
dashboard, admin, `manage.py shell`, management commands — and a stale
cache after any of them is a bug. Each key is deleted at once and again
after the transaction commits, so a read racing the write cannot re-cache
the old row for long.
"""

from django.db import transaction
from django.db.models.signals import post_delete, post_save, pre_save
from django.dispatch import receiver

from camp.records.cache import invalidate_pattern, records_generation_bump
from camp.records.signals import bulk_written
from posts.models import Post
from users.models import User
from users.selectors import USER_SUMMARY_VERSION, user_summary_invalidate

from .selectors import dashboard_stats_invalidate


def _invalidate(*user_ids: int) -> None:
    def run():
        user_summary_invalidate(*user_ids)
        dashboard_stats_invalidate()
        records_generation_bump()

    run()
    transaction.on_commit(run)


#: Past this many users, one pattern delete beats naming every key.
PATTERN_THRESHOLD = 1000


def invalidate_after_bulk(user_ids: set[int]) -> None:
    """Forget the summaries of `user_ids` and the dashboard counts, once, after a bulk write.

    Bulk writes skip the per-row signals below (that is what makes them
    fast), so their services send `bulk_written` when they are done.
    """

    def run():
        if len(user_ids) > PATTERN_THRESHOLD:
            invalidate_pattern("user:*", version=USER_SUMMARY_VERSION)
        else:
            user_summary_invalidate(*user_ids)
        dashboard_stats_invalidate()
        records_generation_bump()

    run()
    transaction.on_commit(run)


@receiver(bulk_written, dispatch_uid="camp.invalidate.bulk_written")
def bulk_done(sender, user_ids: set[int], **kwargs) -> None:
    invalidate_after_bulk(user_ids)


@receiver(post_save, sender=User, dispatch_uid="camp.invalidate.user_saved")
@receiver(post_delete, sender=User, dispatch_uid="camp.invalidate.user_deleted")
def user_changed(sender, instance: User, **kwargs) -> None:
    update_fields = kwargs.get("update_fields")
    if update_fields and set(update_fields) <= {"last_login"}:
        return
    _invalidate(instance.pk)


@receiver(pre_save, sender=Post, dispatch_uid="camp.invalidate.post_saving")
def post_saving(sender, instance: Post, **kwargs) -> None:
    """Remember the previous author, whose post count changes if the author does."""
    if instance.pk and not instance._state.adding:
        instance._previous_author_id = (
            Post.objects.filter(pk=instance.pk).values_list("author_id", flat=True).first()
        )


@receiver(post_save, sender=Post, dispatch_uid="camp.invalidate.post_saved")
@receiver(post_delete, sender=Post, dispatch_uid="camp.invalidate.post_deleted")
def post_changed(sender, instance: Post, **kwargs) -> None:
    previous = getattr(instance, "_previous_author_id", None)
    _invalidate(*{instance.author_id, previous} - {None})
