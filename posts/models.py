from django.conf import settings
from django.db import models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from camp.records.history import CampHistoricalRecords


class PostQuerySet(models.QuerySet):
    def search(self, query: str) -> "PostQuerySet":
        """Posts whose title or content contains `query`, ignoring case."""
        # PostgreSQL text cannot hold NUL, and no stored value contains one.
        query = query.replace("\x00", "").strip()
        if not query:
            return self
        return self.filter(models.Q(title__icontains=query) | models.Q(content__icontains=query))


class Post(models.Model):
    """A piece of writing by one user, moving from draft to published to archived."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        PUBLISHED = "published", _("Published")
        ARCHIVED = "archived", _("Archived")

    title = models.CharField(_("title"), max_length=200)
    content = models.TextField(_("content"), blank=True)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="posts",
        verbose_name=_("author"),
        # Served by the (author, -created_at, -id) index below.
        db_index=False,
    )
    status = models.CharField(_("status"), max_length=10, choices=Status, default=Status.DRAFT)
    created_at = models.DateTimeField(_("created"), default=timezone.now, editable=False)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)
    # Optimistic locking (camp.records.locking): bumped by every edit.
    version = models.PositiveIntegerField(_("version"), default=1)

    objects = PostQuerySet.as_manager()
    history = CampHistoricalRecords()

    class Meta:
        verbose_name = _("post")
        verbose_name_plural = _("posts")
        # The id breaks ties between equal timestamps so pages never overlap.
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["-created_at", "-id"], name="posts_post_created_idx"),
            models.Index(
                fields=["author", "-created_at", "-id"], name="posts_post_author_created_idx"
            ),
            models.Index(
                fields=["status", "-created_at", "-id"], name="posts_post_status_created_idx"
            ),
            models.Index(fields=["title", "id"], name="posts_post_title_idx"),
            models.Index(fields=["-updated_at", "-id"], name="posts_post_updated_idx"),
        ]

    def __str__(self) -> str:
        return self.title

    def get_absolute_url(self) -> str:
        return reverse("posts:detail", kwargs={"pk": self.pk})
