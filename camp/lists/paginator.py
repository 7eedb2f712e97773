"""A paginator for big tables, shared by the dashboard lists and the admin.

`COUNT(*)` over a million rows costs more than the page it paginates. On
PostgreSQL a list asks the planner first (the table's row estimate when
unfiltered, `EXPLAIN` when filtered): when it expects more than `cap` rows the
list shows that estimate ("about 209,000"), since counting even `cap` matches
of a common search word means testing tens of thousands of rows. Otherwise, and
elsewhere, the list counts, but stops at `cap` rows ("more than 10,000"). A
page that comes back short tells the exact total, which then replaces the
estimate.

On PostgreSQL a filtered list's count reads the keys of its first `cap + 1`
rows in the list's order rather than counting them, and a page among them is
then fetched by key: the matches of a rare search word are read once (a bitmap
scan of the search index and a sort of their keys), not once for the count
and again for the page.
"""

import json
from datetime import UTC, datetime, timedelta
from functools import cached_property

from django.core.paginator import EmptyPage, Page, PageNotAnInteger, Paginator
from django.db import connections
from django.db.models import BooleanField, Q, QuerySet
from django.db.models.expressions import RawSQL
from django.utils.translation import gettext_lazy as _

#: The largest OFFSET PostgreSQL takes (a bigint): a page starting past it
#: cannot exist, and asking for it would fail in the database.
MAX_OFFSET = 2**63 - 1


class EstimatedCountPaginator(Paginator):
    #: Lists up to this many rows are always counted exactly.
    cap = 10_000

    is_estimate = False
    is_capped = False
    #: The primary keys of the list's first `cap + 1` rows in its order, when
    #: `count` read them (see `_first_keys`); None when it counted.
    keys: list | None = None

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        estimate = self._planner_estimate(queryset)
        if estimate is not None and estimate > self.cap:
            self.is_estimate = True
            return estimate
        if estimate is not None and queryset.query.where and queryset.ordered:
            self.keys = self._first_keys(queryset)
            counted = len(self.keys)
        else:
            # No ORDER BY: any cap + 1 rows will do, so the planner may use a
            # search index instead of walking the list's order.
            counted = queryset.order_by()[: self.cap + 1].count()
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
            number = int(number)
            if (number - 1) * self.per_page > MAX_OFFSET:
                raise EmptyPage(self.error_messages["no_results"]) from None
            return number

    def page(self, number):
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        top = bottom + self.per_page
        if not (self.is_estimate or self.is_capped) and top + self.orphans >= self.count:
            top = self.count
        return self._settle(self._get_page(self._rows(bottom, top), number, self))

    def _first_keys(self, queryset: QuerySet) -> list:
        """The primary keys of the first `cap + 1` rows of `queryset`, in its order.

        The planner sees the same filter and order as the page query, so it
        takes the same path (the search indexes and a sort when it expects
        few rows) but sorts keys alone and joins nothing.
        """
        return list(queryset.values_list("pk", flat=True)[: self.cap + 1])

    def _rows(self, bottom: int, top: int):
        """The rows `bottom` to `top` of the list: by key when `count` read them, else sliced."""
        queryset = self.object_list
        if self.keys is None or top > len(self.keys):
            return queryset[bottom:top]
        keys = self.keys[bottom:top]
        # The list's own filter stays: a row changed since its key was read
        # drops out, as it would from the sliced query.
        return queryset.filter(pk__in=keys) if keys else queryset.none()

    def _settle(self, page):
        """Replace an estimated or capped count by the exact one a short page reveals."""
        if self.is_estimate or self.is_capped:
            rows = page.object_list = list(page.object_list)
            # An empty page past the first says only that the end came earlier.
            if len(rows) < self.per_page and (rows or page.number == 1):
                self.__dict__["count"] = (page.number - 1) * self.per_page + len(rows)
                self.__dict__.pop("num_pages", None)
                self.is_estimate = self.is_capped = False
        return page

    @staticmethod
    def _planner_estimate(queryset: QuerySet) -> int | None:
        """Return PostgreSQL's row estimate for `queryset`, or None elsewhere."""
        query = queryset.query
        connection = connections[queryset.db]
        if connection.vendor != "postgresql" or query.distinct or query.combinator:
            return None
        if query.low_mark or query.high_mark:
            return None
        if query.where:
            try:
                plan = json.loads(queryset.order_by().explain(format="json"))
            except ValueError:  # nothing to explain: a filter no row can match
                return None
            return int(plan[0]["Plan"]["Plan Rows"])
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE oid = %s::regclass",
                [queryset.model._meta.db_table],
            )
            row = cursor.fetchone()
        if row is None or row[0] < 0:
            return None
        return int(row[0])


EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def encode_cursor(moment: datetime, pk: int) -> str:
    """Encode a row's (timestamp, id) sort key as `microseconds_id`."""
    return f"{(moment - EPOCH) // timedelta(microseconds=1)}_{pk}"


def decode_cursor(value: str | None) -> tuple[datetime, int] | None:
    """Decode a cursor made by `encode_cursor`, or return None if it is not one."""
    if not value:
        return None
    micros, _, pk = value.partition("_")
    try:
        return EPOCH + timedelta(microseconds=int(micros)), int(pk)
    except (ValueError, OverflowError):
        return None


class SeekPage(Page):
    """A page that knows its neighbours by sort key when it was reached by seeking."""

    seek_has_next: bool | None = None
    seek_has_previous: bool | None = None
    next_cursor: str = ""
    previous_cursor: str = ""

    def has_next(self) -> bool:
        if self.seek_has_next is not None:
            return self.seek_has_next
        return super().has_next()

    def has_previous(self) -> bool:
        if self.seek_has_previous is not None:
            return self.seek_has_previous
        return super().has_previous()

    def next_page_number(self) -> int:
        return self.number + 1 if self.seek_has_next else super().next_page_number()

    def previous_page_number(self) -> int:
        return self.number - 1 if self.seek_has_previous else super().previous_page_number()


class SeekPaginator(EstimatedCountPaginator):
    """Seek (keyset) pagination for the default newest-first ordering.

    `?page=N` alone skips rows with OFFSET, which grows with N. The Next and
    Previous links also carry the sort key of the edge row (`after`/`before`),
    so following them costs the same on page 10,000 as on page 1, and the URL
    still names the page, so it can be shared.
    """

    def __init__(
        self, object_list, per_page, *, key: tuple[str, str], after=None, before=None, **kwargs
    ):
        super().__init__(object_list, per_page, **kwargs)
        self.key = key
        self.after = decode_cursor(after)
        self.before = None if self.after else decode_cursor(before)

    def _get_page(self, *args, **kwargs) -> SeekPage:
        return SeekPage(*args, **kwargs)

    def seekable(self) -> bool:
        ordering = self.object_list.query.order_by or self.object_list.model._meta.ordering
        return tuple(ordering) == tuple(f"-{field}" for field in self.key)

    #: Offset pages from this many rows on start at the key of their first
    #: row, found in the sort index alone (see `_offset_page`).
    deep_offset = 1_000

    def page(self, number):
        if not (self.after or self.before) or not self.seekable():
            return self._with_cursors(self._offset_page(number))
        number = self._positive(number)
        field, tie = self.key
        moment, pk = self.after or self.before
        if self.after:
            rows = self.object_list.filter(
                Q(**{f"{field}__lt": moment}) | Q(**{field: moment, f"{tie}__lt": pk}),
                **{f"{field}__lte": moment},
            )
        else:
            rows = self.object_list.filter(
                Q(**{f"{field}__gt": moment}) | Q(**{field: moment, f"{tie}__gt": pk}),
                **{f"{field}__gte": moment},
            ).order_by(field, tie)
        rows = list(rows[: self.per_page + 1])
        more = len(rows) > self.per_page
        rows = rows[: self.per_page]
        if self.before:
            rows.reverse()
        page = self._get_page(rows, number, self)
        page.seek_has_next = more if self.after else True
        page.seek_has_previous = number > 1 if self.after else more
        return self._with_cursors(page)

    def _offset_page(self, number):
        """The page `number` by position, cheaply even when it is deep.

        `OFFSET 249975` on the list's query reads and joins every skipped row
        (a typed `?page=10000` took over a second). Instead one query starts
        the page at the key of its first row, which a subquery finds by
        skipping entries of the sort index only (an index-only scan):

            WHERE (created_at, id) <= (SELECT created_at, id ... OFFSET n LIMIT 1)
        """
        number = self.validate_number(number)
        bottom = (number - 1) * self.per_page
        if bottom < self.deep_offset or not self.seekable():
            return super().page(number)
        top = bottom + self.per_page
        if not (self.is_estimate or self.is_capped) and top + self.orphans >= self.count:
            top = self.count
        if self.keys is not None and top <= len(self.keys):
            return self._settle(self._get_page(self._rows(bottom, top), number, self))
        field, tie = self.key
        queryset = self.object_list
        meta = queryset.model._meta
        start = queryset.order_by(f"-{field}", f"-{tie}").values_list(field, tie)
        sql, params = start[bottom : bottom + 1].query.sql_with_params()
        table = connections[queryset.db].ops.quote_name(meta.db_table)
        columns = ", ".join(
            f"{table}.{connections[queryset.db].ops.quote_name(meta.get_field(name).column)}"
            for name in (field, tie)
        )
        # Names from the model's meta and the ORM's own SQL; values stay parameters.
        condition = RawSQL(f"({columns}) <= ({sql})", params, output_field=BooleanField())  # noqa: S611
        rows = queryset.filter(condition)[: top - bottom]
        return self._settle(self._get_page(rows, number, self))

    def _positive(self, number) -> int:
        try:
            number = int(number)
        except (TypeError, ValueError):
            raise PageNotAnInteger(_("That page number is not an integer")) from None
        if number < 1:
            raise EmptyPage(_("That page number is less than 1"))
        return number

    def _with_cursors(self, page):
        rows = list(page.object_list)
        page.object_list = rows
        if rows and self.seekable():
            field, tie = self.key
            page.next_cursor = encode_cursor(getattr(rows[-1], field), getattr(rows[-1], tie))
            page.previous_cursor = encode_cursor(getattr(rows[0], field), getattr(rows[0], tie))
        return page
