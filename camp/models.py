"""Records that belong to no one app: saved list views, imports awaiting confirmation, and
indexes a demo data load has yet to build again."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class ListName(models.TextChoices):
    USERS = "users", _("Users")
    POSTS = "posts", _("Posts")


class SavedViewQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SavedViewQuerySet":
        """Views `user` may open: their own, and everybody's shared ones."""
        return self.filter(Q(owner=user) | Q(shared=True))


class SavedView(models.Model):
    """A list's filters, search, sort and columns under a name, to come back to."""

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="saved_views",
        verbose_name=_("owner"),
    )
    list_name = models.CharField(_("list"), max_length=20, choices=ListName)
    name = models.CharField(_("name"), max_length=100)
    #: The list's query string without page or cursor, e.g. `status=draft&sort=title`.
    query = models.TextField(_("query"), blank=True)
    shared = models.BooleanField(
        _("shared"), default=False, help_text=_("Visible to all staff; only you can change it.")
    )
    is_default = models.BooleanField(
        _("default"), default=False, help_text=_("Open the list with this view.")
    )
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    objects = SavedViewQuerySet.as_manager()

    class Meta:
        verbose_name = _("saved view")
        verbose_name_plural = _("saved views")
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["owner", "list_name", "name"],
                name="camp_savedview_unique_name",
                violation_error_message=_("You already have a view with that name."),
            ),
            models.UniqueConstraint(
                fields=["owner", "list_name"],
                condition=Q(is_default=True),
                name="camp_savedview_one_default",
            ),
        ]
        indexes = [
            models.Index(fields=["list_name", "shared"], name="camp_savedview_shared_idx"),
        ]

    def __str__(self) -> str:
        return self.name


class PendingImport(models.Model):
    """An uploaded CSV kept from its upload, through its preview, to its import.

    In the database rather than on one server's disk or in the session (which
    every later request would load): any worker can preview or import it, and
    it is deleted once imported or replaced. The rows wait in pieces of
    JOBS_BATCH_SIZE (PendingImportPiece), so a job reads one batch at a time.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pending_imports",
        verbose_name=_("owner"),
    )
    list_name = models.CharField(_("list"), max_length=20, choices=ListName)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    #: The name of the encoding the file was read in, as the page shows it.
    encoding = models.CharField(_("encoding"), max_length=20, blank=True)
    #: The column names of the file's first row, lower-cased.
    header = models.JSONField(_("header"), default=list)
    rows = models.PositiveIntegerField(_("rows"), default=0)
    #: Its preview found no errors, so it may be imported.
    checked = models.BooleanField(_("checked"), default=False)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")

    def __str__(self) -> str:
        return self.filename


class PendingImportPiece(models.Model):
    """A batch of an uploaded CSV's rows, as the file has them (camp.lists.importing.Piece)."""

    pending = models.ForeignKey(PendingImport, on_delete=models.CASCADE, related_name="pieces")
    seq = models.PositiveIntegerField()
    first_line = models.PositiveIntegerField()
    text = models.TextField()
    #: [line, earlier line, what] for each row naming the record an earlier row names.
    repeats = models.JSONField(default=list)
    #: The preview's errors for these rows, as [line, [reason, ...]].
    errors = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["pending", "seq"], name="camp_pendingimportpiece_seq")
        ]

    def __str__(self) -> str:
        return f"{self.pending_id}/{self.seq}"


class PendingIndex(models.Model):
    """An index `seed_demo` dropped for a big load and has not built again yet.

    Written in the transaction that drops the index and deleted in the one
    that builds it, so an interrupted run leaves a record the next run acts on.
    """

    name = models.CharField(max_length=63, primary_key=True)
    definition = models.TextField()

    def __str__(self) -> str:
        return self.name
