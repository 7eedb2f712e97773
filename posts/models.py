from django.conf import settings
from django.db import connections, models
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from camp.records.history import CampHistoricalRecords

#: A space, and what it becomes in posts_postsearch_phrase_trgm (posts/migrations/0009).
PHRASE_SPACE = "' '"
PHRASE_LETTER = "'ᚠ'"


class PhraseMatch(models.Expression):
    """The post's title and content, each space mapped to a letter, contain `pattern`.

    Exactly the expression of the posts_postsearch_phrase_trgm index, so
    PostgreSQL can use it; written per query so the table's alias is the
    query's own.
    """

    output_field = models.BooleanField()

    def __init__(self, pattern: str) -> None:
        super().__init__()
        self.pattern = pattern

    def as_sql(self, compiler, connection):
        table = compiler.quote_name_unless_alias(compiler.query.get_initial_alias())
        text = f"upper({table}.title::text || ' ' || {table}.content::text)"
        return (
            f"replace({text}, {PHRASE_SPACE}, {PHRASE_LETTER}) LIKE '%%' || "
            f"replace(upper(%s), {PHRASE_SPACE}, {PHRASE_LETTER}) || '%%'",
            [self.pattern],
        )


class Holds(models.Func):
    """`field` holds `text`, ignoring case: what icontains tests, without LIKE.

    No trigram index serves it, so the planner checks it row by row on what
    another condition found, rather than reading an index for it as well.
    """

    output_field = models.BooleanField()
    template = "strpos(upper(%(expressions)s), upper(%(text)s)) > 0"

    def __init__(self, field: str, text: str) -> None:
        super().__init__(field, text=models.Value(text))

    def as_sql(self, compiler, connection, **extra_context):
        text_sql, text_params = compiler.compile(self.extra["text"])
        sql, params = super().as_sql(compiler, connection, text=text_sql, **extra_context)
        return sql, (*params, *text_params)


class PostQuerySet(models.QuerySet):
    def search(self, query: str) -> "PostQuerySet":
        """Posts whose title or content contains `query`, ignoring case.

        The text is looked up in PostSearch, the posts' searchable copy, which
        holds the search indexes.
        """
        # PostgreSQL text cannot hold NUL, and no stored value contains one.
        query = query.replace("\x00", "").strip()
        if not query:
            return self
        connection = connections[self.db]
        if connection.vendor == "postgresql" and len(query.split()) > 1:
            # A phrase: the trigram indexes cannot see word order, the phrase
            # index can. Its condition only narrows the candidates (whatever
            # holds the phrase in the title or the content holds it in their
            # joined, translated text); the title and content, checked on
            # each candidate, decide. (The word indexes would only add every
            # post holding the words anywhere.)
            texts = PostSearch.objects.filter(
                PhraseMatch(connection.ops.prep_for_like_query(query)),
                Holds("title", query) | Holds("content", query),
            )
        else:
            texts = PostSearch.objects.filter(
                models.Q(title__icontains=query) | models.Q(content__icontains=query)
            )
        return self.filter(pk__in=texts.values("post"))


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


class PostSearch(models.Model):
    """The title and content of a post, copied by database triggers, with the search indexes.

    The trigram indexes of a post's text are the costly ones to write, and
    PostgreSQL writes every index of a row again whenever anything indexed in
    it changes: kept on posts_post they made a status change four times
    dearer. Here they are written only when the title or the content changes
    (posts/migrations/0009: triggers on posts_post insert, update and delete
    the copy, whatever writes the posts).
    """

    post = models.OneToOneField(
        Post,
        primary_key=True,
        # The delete trigger removes the copy; Django has nothing to do.
        on_delete=models.DO_NOTHING,
        db_constraint=False,
        related_name="+",
    )
    title = models.CharField(max_length=200)
    content = models.TextField(blank=True)

    class Meta:
        # Never shown or edited: no permissions to grant.
        default_permissions = ()

    def __str__(self) -> str:
        return self.title
