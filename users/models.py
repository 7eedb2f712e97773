from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.db.models.functions import Coalesce, Upper
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from camp.records.history import CampHistoricalRecords


class UserQuerySet(models.QuerySet):
    def search(self, query: str) -> "UserQuerySet":
        """Users whose username, email or name contains `query`, ignoring case."""
        # PostgreSQL text cannot hold NUL, and no stored value contains one.
        query = query.replace("\x00", "").strip()
        if not query:
            return self
        return self.filter(
            models.Q(username__icontains=query)
            | models.Q(email__icontains=query)
            | models.Q(name__icontains=query)
        )

    def with_post_count(self) -> "UserQuerySet":
        """Users with `post_count`: kept for callers; the count is now a column.

        The column is kept exact by database triggers on the posts table (see
        posts/migrations/0006_post_count_triggers.py), so listing and sorting
        by it reads one row per user instead of counting their posts.
        """
        return self

    def with_status_counts(self) -> "UserQuerySet":
        """Annotate `posts_<status>`, the number of the user's posts in each status.

        Each is a subquery on the (author, status) rows of one user, so the
        counts come with the user row, in the same query.
        """
        posts = self.model._meta.get_field("posts").related_model
        annotations = {}
        for status, _label in posts._meta.get_field("status").choices:
            count = (
                posts.objects.filter(author=models.OuterRef("pk"), status=status)
                .order_by()
                .values("author")
                .annotate(count=models.Count("pk"))
                .values("count")
            )
            annotations[f"posts_{status}"] = Coalesce(models.Subquery(count), 0)
        return self.annotate(**annotations)


class CampUserManager(UserManager.from_queryset(UserQuerySet)):
    """Normalize email addresses so case never creates a second account."""

    @classmethod
    def normalize_email(cls, email: str | None) -> str:
        return (email or "").strip().lower()


class User(AbstractUser):
    """A person who can be listed, managed and, if staff, log in to Camp.

    One `name` field instead of first/last name: Japanese and English names do
    not split the same way.
    """

    first_name = None
    last_name = None
    name = models.CharField(_("name"), max_length=150, blank=True)
    email = models.EmailField(
        _("email address"),
        error_messages={"unique": _("A user with that email address already exists.")},
    )

    # Optimistic locking (camp.records.locking): bumped by every edit.
    version = models.PositiveIntegerField(_("version"), default=1)
    # Maintained by the database (triggers on posts), never by Django: sorting
    # 100,000 users by a counted subquery took half a second. The default is
    # in the database too, so COPY and raw INSERTs may leave the column out.
    post_count = models.PositiveIntegerField(_("posts"), default=0, db_default=0, editable=False)

    objects = CampUserManager()
    # Secrets and login bookkeeping are never recorded, nor the post count the
    # database keeps (its changes are the posts' own history).
    history = CampHistoricalRecords(excluded_fields=["password", "last_login", "post_count"])

    REQUIRED_FIELDS = ["email"]

    class Meta:
        verbose_name = _("user")
        verbose_name_plural = _("users")
        ordering = ["-date_joined", "-id"]
        constraints = [
            # Django compiles `email__iexact` to UPPER(email), so the unique
            # index on that expression also serves case-insensitive lookups.
            models.UniqueConstraint(
                Upper("email"),
                name="users_user_email_ci_unique",
                violation_error_message=_("A user with that email address already exists."),
            ),
        ]
        indexes = [
            models.Index(fields=["-date_joined", "-id"], name="users_user_joined_idx"),
            models.Index(fields=["email", "id"], name="users_user_email_idx"),
            models.Index(fields=["name", "id"], name="users_user_name_idx"),
            # `username__iexact` (the post list's author filter, the import's
            # author column) compiles to UPPER(username).
            models.Index(Upper("username"), name="users_user_username_ci_idx"),
            # Sorting by post count, either way (the id breaks ties).
            models.Index(fields=["post_count", "id"], name="users_user_post_count_idx"),
        ]

    def __str__(self) -> str:
        return self.username

    def clean(self) -> None:
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email)

    def get_absolute_url(self) -> str:
        return reverse("users:detail", kwargs={"pk": self.pk})

    def get_full_name(self) -> str:
        return self.name.strip()

    def get_short_name(self) -> str:
        return self.name.strip() or self.username
