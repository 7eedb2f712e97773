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
    """An uploaded CSV kept between its preview and its confirmation.

    In the database rather than on one server's disk or in the session (which
    every later request would load): any server can confirm it, and it is
    deleted once confirmed or replaced.
    """

    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="pending_imports",
        verbose_name=_("owner"),
    )
    list_name = models.CharField(_("list"), max_length=20, choices=ListName)
    filename = models.CharField(_("file name"), max_length=255, blank=True)
    text = models.TextField(_("text"))
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)

    class Meta:
        verbose_name = _("pending import")
        verbose_name_plural = _("pending imports")

    def __str__(self) -> str:
        return self.filename


class PendingIndex(models.Model):
    """An index `seed_demo` dropped for a big load and has not built again yet.

    Written in the transaction that drops the index and deleted in the one
    that builds it, so an interrupted run leaves a record the next run acts on.
    """

    name = models.CharField(max_length=63, primary_key=True)
    definition = models.TextField()

    def __str__(self) -> str:
        return self.name
