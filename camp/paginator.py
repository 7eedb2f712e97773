"""A paginator for big tables, shared by the dashboard lists and the admin.

`COUNT(*)` over a million rows costs more than the page it paginates. An
unfiltered list on PostgreSQL uses the planner's row estimate instead; any
other list counts, but stops counting at `cap` rows.
"""

from functools import cached_property

from django.core.paginator import EmptyPage, Paginator
from django.db import connections
from django.db.models import QuerySet


class EstimatedCountPaginator(Paginator):
    #: Lists up to this many rows are always counted exactly.
    cap = 10_000

    is_estimate = False
    is_capped = False

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        estimate = self._planner_estimate(queryset)
        if estimate is not None and estimate > self.cap:
            self.is_estimate = True
            return estimate
        counted = queryset[: self.cap + 1].count()
        if counted > self.cap:
            self.is_capped = True
            return self.cap
        return counted

    def validate_number(self, number):
        try:
            return super().validate_number(number)
        except EmptyPage:
            # Past a capped or estimated count, the rows themselves decide.
            if not (self.is_estimate or self.is_capped) or int(number) < 1:
                raise
            return int(number)

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not (self.is_estimate or self.is_capped) and top + self.orphans >= self.count:
            top = self.count
        return self._get_page(self.object_list[bottom:top], number, self)

    @staticmethod
    def _planner_estimate(queryset: QuerySet) -> int | None:
        """Return PostgreSQL's row estimate for an unfiltered queryset, else None."""
        query = queryset.query
        connection = connections[queryset.db]
        if connection.vendor != "postgresql" or query.where or query.distinct:
            return None
        if query.low_mark or query.high_mark or query.combinator:
            return None
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        if row is None or row[0] < 0:
            return None
        return int(row[0])
