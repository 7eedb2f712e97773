import django_filters
from django.utils.translation import gettext_lazy as _

from camp.filters import DateRangeInput, SearchFilterSet, TieBreakingOrderingFilter

from .models import User


class UserFilterSet(SearchFilterSet):
    is_active = django_filters.BooleanFilter(label=_("Active"))
    is_staff = django_filters.BooleanFilter(label=_("Staff"))
    joined = django_filters.DateFromToRangeFilter(
        field_name="date_joined",
        label=_("Joined"),
        widget=DateRangeInput(),
    )
    sort = TieBreakingOrderingFilter(
        fields=(
            ("username", "username"),
            ("email", "email"),
            ("name", "name"),
            ("is_active", "active"),
            ("is_staff", "staff"),
            ("date_joined", "joined"),
            ("post_count", "posts"),
        ),
        label=_("Sort"),
    )

    class Meta:
        model = User
        fields = ()
