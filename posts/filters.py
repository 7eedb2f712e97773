from django.utils.translation import gettext_lazy as _

from camp.columns import Column, Columns
from camp.filters import (
    DateRangeFilter,
    MultipleChoiceFilter,
    MultipleTextFilter,
    MultipleTextInput,
    SearchFilterSet,
    TieBreakingOrderingFilter,
)
from posts.forms import author_widget

from .models import Post


class PostFilterSet(SearchFilterSet):
    status = MultipleChoiceFilter(choices=Post.Status.choices, label=_("Status"))
    author = MultipleTextFilter(
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
