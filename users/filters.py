from django.utils.translation import gettext_lazy as _

from camp.lists.columns import Column, Columns
from camp.lists.filters import (
    BooleanChoicesFilter,
    DateRangeFilter,
    SearchFilterSet,
    TieBreakingOrderingFilter,
)

from .models import User


class UserFilterSet(SearchFilterSet):
    is_active = BooleanChoicesFilter(label=_("Active"))
    is_staff = BooleanChoicesFilter(label=_("Staff"))
    joined = DateRangeFilter(field_name="date_joined", label=_("Joined"))
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


#: The user list's columns, in table order; `field` is what the export writes.
#: Never the password: only what the list can show.
USER_COLUMNS = Columns(
    Column("username", _("Username"), "username", fixed=True),
    Column("email", _("Email"), "email"),
    Column("name", _("Name"), "name"),
    Column("active", _("Active"), "is_active"),
    Column("staff", _("Staff"), "is_staff"),
    Column("joined", _("Joined"), "date_joined"),
    Column("last_login", _("Last login"), "last_login", default=False),
    Column("posts", _("Posts"), "post_count"),
)
