import django_filters
from django.contrib.auth import get_user_model
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from camp.lists.filters import DateRangeFilter

from .models import AuditEvent


class AuditEventFilterSet(django_filters.FilterSet):
    """Filters of the audit page: member, event and date range; bad values are ignored."""

    member = django_filters.CharFilter(
        method="filter_member",
        label=_("Member"),
        help_text=_("A username: what they did, and what was done to their account."),
        max_length=150,
    )
    event = django_filters.ChoiceFilter(
        choices=AuditEvent.Event.choices, label=_("Event"), empty_label=_("Any event")
    )
    when = DateRangeFilter(field_name="created_at", label=_("Date"))

    class Meta:
        model = AuditEvent
        fields = ()

    def filter_member(self, queryset, name, value):
        value = value.replace("\x00", "").strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(actor_username=value)
            | Q(target_type=get_user_model()._meta.label_lower, target_repr=value)
        )
