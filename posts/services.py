from django.contrib.auth import get_user_model
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, gettext_noop, ngettext_lazy

from camp.lists.bulk import BulkAction
from camp.lists.importing import KEEP, Importer, ImportResult, RowError
from camp.records.locking import VersionConflict
from camp.records.signals import bulk_written

from .forms import PostImportForm
from .models import Post
from .selectors import still_deleted

#: Rows per round trip in bulk actions: big enough to be fast, small enough for memory.
BATCH_SIZE = 1000


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


#: The statuses a post page offers as one-click buttons.
QUICK_STATUSES = (Post.Status.PUBLISHED, Post.Status.ARCHIVED, Post.Status.DRAFT)


@transaction.atomic
def post_quick_set_status(*, post_id: int, status: str, expected_version: int | None) -> Post:
    """Move one post to `status` from its page, refusing a page older than the post.

    Raises VersionConflict if the post changed since the page showing
    `expected_version` was loaded, and Post.DoesNotExist if it is gone. The
    save records the change in the post's history.
    """
    post = Post.objects.select_for_update().get(pk=post_id)
    if expected_version is not None and post.version != expected_version:
        raise VersionConflict(post)
    if post.status != status:
        post.status = status
        post.version += 1
        post.save(update_fields=["status", "updated_at", "version"])
    return post


def _batches(posts: QuerySet[Post]):
    """Yield `posts` locked, in id order, BATCH_SIZE at a time (seeking, never OFFSET)."""
    rows = posts.select_related(None).order_by("pk").select_for_update(of=("self",))
    last = 0
    while batch := list(rows.filter(pk__gt=last)[:BATCH_SIZE]):
        yield batch
        last = batch[-1].pk


def post_batch_set_status(*, batch: list[Post], status: str, user=None) -> None:
    """Move one locked batch of posts to `status`: one UPDATE, one INSERT of history rows.

    Versions are bumped, so an edit form opened before this is refused
    instead of reverting it; the caches are invalidated once it commits.
    On PostgreSQL both are one statement, the history rows copied from the
    updated ones by the server: building them in Python took as long as the
    UPDATE itself (300 ms a thousand on a loaded 2-core machine).
    """
    now = timezone.now()
    reason = gettext_noop("Bulk status change")
    if connection.vendor == "postgresql":
        _set_status_with_history_sql(
            ids=[p.pk for p in batch], status=status, user=user, now=now, reason=reason
        )
        bulk_written.send(sender=Post, user_ids={p.author_id for p in batch})
        return
    Post.objects.filter(pk__in=[p.pk for p in batch]).update(
        status=status, updated_at=now, version=F("version") + 1
    )
    for post in batch:
        post.status, post.updated_at, post.version = status, now, post.version + 1
    Post.history.bulk_history_create(
        batch,
        update=True,
        default_user=user,
        default_change_reason=reason,
        default_date=now,
    )
    bulk_written.send(sender=Post, user_ids={p.author_id for p in batch})


def _set_status_with_history_sql(*, ids: list[int], status: str, user, now, reason: str) -> None:
    """UPDATE the posts and INSERT their history rows from what the UPDATE returns."""
    historical = Post.history.model
    quote = connection.ops.quote_name
    columns = ", ".join(quote(f.column) for f in historical.tracked_fields)
    # Table and column names come from the models, quoted; values are parameters.
    sql = f"""
        WITH changed AS (
            UPDATE {quote(Post._meta.db_table)}
            SET status = %s, updated_at = %s, version = version + 1
            WHERE id = ANY(%s)
            RETURNING {columns}
        )
        INSERT INTO {quote(historical._meta.db_table)}
            ({columns}, history_date, history_change_reason, history_type, history_user_id)
        SELECT {columns}, %s, %s, '~', %s FROM changed
    """  # noqa: S608
    with connection.cursor() as cursor:
        cursor.execute(sql, [status, now, ids, now, reason, user.pk if user else None])


@transaction.atomic
def post_bulk_set_status(*, posts: QuerySet[Post], status: str, user=None) -> int:
    """Move `posts` to `status` in batches, no save or signal per post; return how many."""
    changed = 0
    for batch in _batches(posts.exclude(status=status)):
        post_batch_set_status(batch=batch, status=status, user=user)
        changed += len(batch)
    return changed


def post_batch_delete(*, batch: list[Post], user=None) -> None:
    """Delete one locked batch of posts, each recorded in the history as deleted.

    Django's delete() would load every post and send two signals for each;
    here a batch costs one INSERT of history rows and one DELETE.
    """
    now = timezone.now()
    historical = Post.history.model
    historical.objects.bulk_create(
        [
            historical(
                history_date=now,
                history_user=user,
                history_type="-",
                history_change_reason=gettext_noop("Bulk delete"),
                **{f.attname: getattr(post, f.attname) for f in historical.tracked_fields},
            )
            for post in batch
        ]
    )
    rows = Post.objects.filter(pk__in=[p.pk for p in batch])
    if Post._meta.related_objects:
        rows.delete()  # Something points at posts now: let Django cascade.
    else:
        # Nothing references a post, so no cascade is skipped; the
        # history and the caches are taken care of here.
        rows._raw_delete(rows.db)
    bulk_written.send(sender=Post, user_ids={p.author_id for p in batch})


@transaction.atomic
def post_bulk_delete(*, posts: QuerySet[Post], user=None) -> int:
    """Delete `posts` in batches, each recorded in the history; return how many."""
    deleted = 0
    for batch in _batches(posts):
        post_batch_delete(batch=batch, user=user)
        deleted += len(batch)
    return deleted


class RestoreError(Exception):
    pass


@transaction.atomic
def post_restore(*, history_id: int, user=None) -> Post:
    """Bring a deleted post back, with its original id, from its deletion record.

    The save records it in the history ("Restored", by `user` or the request's
    member) and, through the model's signals, keeps the author's post count
    and the cached summaries right.
    """
    record = Post.history.filter(history_id=history_id, history_type="-").first()
    if record is None:
        raise RestoreError(_("There is no deleted post with that history id."))
    if Post.objects.filter(pk=record.id).exists():
        raise RestoreError(_("That post exists again already."))
    if not get_user_model().objects.filter(pk=record.author_id).exists():
        raise RestoreError(_("The author of that post no longer exists."))
    post = record.instance
    post._change_reason = gettext_noop("Restored")
    if user is not None:
        post._history_user = user
    post.save(force_insert=True)
    return post


def _author_exists() -> Exists:
    return Exists(get_user_model().objects.filter(pk=OuterRef("author_id")))


def post_restorable(records: QuerySet) -> QuerySet:
    """The deletion records among `records` that a restore would bring back."""
    return still_deleted(records).filter(_author_exists())


def post_unrestorable(records: QuerySet) -> QuerySet:
    """The still-deleted posts among `records` that cannot come back: their author is gone."""
    return still_deleted(records).exclude(_author_exists())


def post_batch_restore(*, batch: list, user=None) -> int:
    """Restore each deletion record of `batch` that still can be; return how many were.

    One by one through post_restore, each in its own savepoint, so that a post
    restored meanwhile by someone else, or whose author went meanwhile, is
    left out and the others still come back.
    """
    restored = 0
    for record in batch:
        try:
            post_restore(history_id=record.history_id, user=user)
        except RestoreError:
            continue
        restored += 1
    return restored


#: Past this many posts a bulk restore becomes a background job: each post is
#: saved on its own (seven queries, with its savepoint, checks and history row),
#: and 200 took 1.4 s on a loaded 2-core machine.
RESTORE_IN_REQUEST_LIMIT = 200


@transaction.atomic
def post_bulk_restore(*, records: QuerySet, user=None) -> int:
    """Restore the posts of the deletion records `records`, locked; return how many came back."""
    rows = records.select_related(None).order_by("pk").select_for_update(of=("self",))
    return post_batch_restore(batch=list(rows), user=user)


class PostImporter(Importer):
    """Posts from CSV, matched by id, else by title and author: re-importing never duplicates."""

    model = Post
    columns = {"title": "title", "content": "content", "status": "status", "author": "author"}
    required = ("title", "author")
    match_columns = ("id",)

    def match(self, row: dict[str, str]) -> Post | None:
        posts = self.for_update(Post.objects.select_related("author"), of=("self",))
        raw_id = row.get("id", "").strip()
        if raw_id:
            if not raw_id.isdigit() or len(raw_id) > 18:
                raise RowError(_("The id “%(id)s” is not a whole number.") % {"id": raw_id})
            post = posts.filter(pk=int(raw_id)).first()
            if post is not None:
                return post
            self.notes.append(_("No post has the id %(id)s.") % {"id": raw_id})
        title, author = row.get("title", "").strip(), row.get("author", "").strip()
        same = list(posts.filter(title=title, author__username=author).order_by("pk")[:2])
        if len(same) > 1:
            raise RowError(
                _("Several posts have this title and author: add the id of the one to change.")
            )
        return same[0] if same else None

    def keys(self, row: dict[str, str]) -> list[tuple[str, object]]:
        raw_id = row.get("id", "").strip()
        if raw_id:
            return [(gettext_noop("id"), raw_id.lstrip("0"))]
        title, author = row.get("title", "").strip(), row.get("author", "").strip()
        return [(gettext_noop("title and author"), (title, author))]

    def form(self, data: dict, instance: Post | None) -> PostImportForm:
        return PostImportForm(data, instance=instance)

    def instance_data(self, instance: Post) -> dict:
        return {
            "title": instance.title,
            "content": instance.content,
            "status": instance.status,
            "author": instance.author.username,
        }

    def cell_data(self, column: str, value: str) -> object:
        if column == "status":
            status = value.strip().lower()
            if status and status not in Post.Status.values:
                raise RowError(
                    _("Status: “%(value)s” is not one of %(statuses)s.")
                    % {"value": value.strip(), "statuses": ", ".join(Post.Status.values)}
                )
            return status or KEEP
        return super().cell_data(column, value)

    def new_data(self) -> dict:
        return {"status": Post.Status.DRAFT}

    def label(self, row: dict[str, str]) -> str:
        return row.get("title", "").strip()


def post_import(*, text: str, commit: bool) -> ImportResult:
    """Import posts from CSV `text`; with `commit` False (or any bad row), write nothing."""
    return PostImporter().run(text, commit=commit)


#: The post list's bulk actions, by the value the action menu sends.
POST_BULK_ACTIONS = {
    action.key: action
    for action in (
        BulkAction(
            key="publish",
            label=gettext_lazy("Publish"),
            permission="posts.change_post",
            pending=lambda posts, user: posts.exclude(status=Post.Status.PUBLISHED),
            run=lambda posts, user: post_bulk_set_status(
                posts=posts, status=Post.Status.PUBLISHED, user=user
            ),
            run_batch=lambda batch, user: post_batch_set_status(
                batch=batch, status=Post.Status.PUBLISHED, user=user
            ),
            question=ngettext_lazy("Publish %(count)d post?", "Publish %(count)d posts?", "count"),
            done=ngettext_lazy(
                "%(count)d post was published.", "%(count)d posts were published.", "count"
            ),
        ),
        BulkAction(
            key="archive",
            label=gettext_lazy("Archive"),
            permission="posts.change_post",
            pending=lambda posts, user: posts.exclude(status=Post.Status.ARCHIVED),
            run=lambda posts, user: post_bulk_set_status(
                posts=posts, status=Post.Status.ARCHIVED, user=user
            ),
            run_batch=lambda batch, user: post_batch_set_status(
                batch=batch, status=Post.Status.ARCHIVED, user=user
            ),
            question=ngettext_lazy("Archive %(count)d post?", "Archive %(count)d posts?", "count"),
            done=ngettext_lazy(
                "%(count)d post was archived.", "%(count)d posts were archived.", "count"
            ),
        ),
        BulkAction(
            key="delete",
            label=gettext_lazy("Delete"),
            permission="posts.delete_post",
            pending=lambda posts, user: posts,
            run=lambda posts, user: post_bulk_delete(posts=posts, user=user),
            run_batch=lambda batch, user: post_batch_delete(batch=batch, user=user),
            question=ngettext_lazy(
                "Delete %(count)d post? This cannot be undone here; deleted posts can be "
                "restored from Recently deleted.",
                "Delete %(count)d posts? This cannot be undone here; deleted posts can be "
                "restored from Recently deleted.",
                "count",
            ),
            done=ngettext_lazy(
                "%(count)d post was deleted.", "%(count)d posts were deleted.", "count"
            ),
            danger=True,
        ),
    )
}


#: The bulk actions of Recently deleted, by the value the action menu sends.
DELETED_POST_BULK_ACTIONS = {
    "restore": BulkAction(
        key="restore",
        label=gettext_lazy("Restore"),
        # Restoring brings a post back: adding, as the single restore.
        permission="posts.add_post",
        pending=lambda records, user: post_restorable(records),
        refused=lambda records, user: post_unrestorable(records).count(),
        refused_note=ngettext_lazy(
            "%(count)d post cannot be restored and is left out: its author no longer exists.",
            "%(count)d posts cannot be restored and are left out: their authors no longer exist.",
            "count",
        ),
        skipped_note=ngettext_lazy(
            "%(count)d ticked post is no longer deleted and is left out.",
            "%(count)d ticked posts are no longer deleted and are left out.",
            "count",
        ),
        run=lambda records, user: post_bulk_restore(records=records, user=user),
        run_batch=lambda batch, user: post_batch_restore(batch=batch, user=user),
        question=ngettext_lazy(
            "Restore %(count)d post? It comes back with its id, as it was when deleted.",
            "Restore %(count)d posts? They come back with their ids, as they were when deleted.",
            "count",
        ),
        done=ngettext_lazy(
            "%(count)d post was restored.", "%(count)d posts were restored.", "count"
        ),
        in_request_limit=RESTORE_IN_REQUEST_LIMIT,
    )
}
