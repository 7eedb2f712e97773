from functools import reduce
from operator import or_

from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from camp.lists.columns import Column, Columns
from camp.lists.filters import (
    DateRangeFilter,
    MultipleChoiceFilter,
    MultipleTextFilter,
    MultipleTextInput,
    SearchFilterSet,
    TieBreakingOrderingFilter,
)
from posts.forms import author_widget
from users.models import User

from .models import Post


class AuthorFilter(MultipleTextFilter):
    """Posts by any of the given usernames, ignoring case.

    The usernames are turned into ids first (by the UPPER(username) index):
    `author_id = 42` lets PostgreSQL read one author's newest posts straight
    from the (author, created) index, where a join would fetch and sort every
    post of a prolific author (35 ms for 21,000 posts, against under 1 ms).
    """

    def filter(self, qs, value):
        if not value:
            return qs
        usernames = reduce(or_, (Q(username__iexact=v) for v in value))
        ids = list(User.objects.filter(usernames).order_by().values_list("pk", flat=True))
        return qs.filter(author_id__in=ids) if ids else qs.none()


class PostFilterSet(SearchFilterSet):
    status = MultipleChoiceFilter(choices=Post.Status.choices, label=_("Status"))
    author = AuthorFilter(
        field_name="author__username",
        label=_("Author"),
        widget=author_widget(MultipleTextInput),
        help_text=_("Usernames, separated by commas."),
    )
    created = DateRangeFilter(field_name="created_at", label=_("Created"))
    sort = TieBreakingOrderingFilter(
        fields=(
            ("title", "title"),
            ("author__username", "author"),
            ("status", "status"),
            ("created_at", "created"),
            ("updated_at", "updated"),
        ),
        label=_("Sort"),
    )

    class Meta:
        model = Post
        fields = ()


#: The post list's columns, in table order; `field` is what the export writes.
POST_COLUMNS = Columns(
    Column("title", _("Title"), "title", fixed=True),
    Column("author", _("Author"), "author__username"),
    Column("status", _("Status"), "status"),
    Column("content", _("Content"), "content", default=False),
    Column("created", _("Created"), "created_at"),
    Column("updated", _("Updated"), "updated_at"),
)
