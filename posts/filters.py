import django_filters
from django.utils.translation import gettext_lazy as _

from camp.filters import DateRangeInput, SearchFilterSet, TieBreakingOrderingFilter

from .models import Post


class PostFilterSet(SearchFilterSet):
    status = django_filters.MultipleChoiceFilter(choices=Post.Status.choices, label=_("Status"))
    author = django_filters.CharFilter(
        field_name="author__username", lookup_expr="iexact", label=_("Author")
    )
    created = django_filters.DateFromToRangeFilter(
        field_name="created_at",
        label=_("Created"),
        widget=DateRangeInput(),
    )
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
