"""A filtered list as a file: CSV streamed in bounded memory, or a capped XLSX workbook."""

import csv
import io
from collections.abc import Iterable, Iterator, Sequence
from datetime import datetime

from django.db import connections, transaction
from django.db.models import QuerySet
from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone

from .columns import Column

#: Rows fetched per round trip from PostgreSQL's server-side cursor.
CHUNK_SIZE = 2000
#: Bytes gathered before a piece of the CSV is handed to the server.
FLUSH_SIZE = 64 * 1024
#: An XLSX workbook is built in memory: past this many rows, export CSV instead.
XLSX_LIMIT = 100_000

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"

#: Spreadsheets run a cell starting with one of these as a formula.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def export_fields(columns: Sequence[Column]) -> list[str]:
    """The id, then the field of each shown column: what the export writes."""
    return ["id", *(c.field for c in columns)]


def export_header(columns: Sequence[Column]) -> list[str]:
    """Column keys, not labels: the file imports back whatever the language."""
    return ["id", *(c.key for c in columns)]


def export_rows(queryset: QuerySet, columns: Sequence[Column]) -> Iterator[tuple]:
    """Yield the rows of `queryset` as tuples, fetched CHUNK_SIZE at a time, never all at once.

    Inside a transaction: outside one, Django declares PostgreSQL's cursor
    WITH HOLD, and PostgreSQL then computes and stores the whole result
    before the first row leaves (5.5 s of silence for a million posts).
    """
    rows = queryset.values_list(*export_fields(columns))
    with transaction.atomic(using=rows.db):
        connection = connections[rows.db]
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                # Every row is wanted: plan for the last one, not the first
                # (a hash join and a sort instead of an index walk: a million
                # posts read in 13 s instead of 24 s).
                cursor.execute("SET LOCAL cursor_tuple_fraction = 1.0")
        yield from rows.iterator(chunk_size=CHUNK_SIZE)


def cell(value, zone=None) -> str | int | float:
    """Return `value` as written to a CSV cell (datetimes in `zone`, else the current zone)."""
    if value is None:
        return ""
    if isinstance(value, str):
        # A leading apostrophe makes Excel show the text instead of running it;
        # the importer takes it off again.
        return f"'{value}" if value.startswith(FORMULA_START) else value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime):
        return value.astimezone(zone or timezone.get_current_timezone()).isoformat()
    return value


def csv_chunks(header: Sequence[str], rows: Iterable[Sequence]) -> Iterator[bytes]:
    """Yield the CSV in pieces of about FLUSH_SIZE bytes, starting with a UTF-8 BOM.

    The BOM is how Excel knows the file is UTF-8 (and shows Japanese).
    """
    zone = timezone.get_current_timezone()
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write("\ufeff")
    writer.writerow(header)
    for row in rows:
        writer.writerow([cell(value, zone) for value in row])
        if buffer.tell() >= FLUSH_SIZE:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()


def csv_response(
    *, header: Sequence[str], rows: Iterable[Sequence], filename: str
) -> StreamingHttpResponse:
    return StreamingHttpResponse(
        csv_chunks(header, rows),
        content_type=CSV_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.csv"'},
    )


def xlsx_response(
    *, header: Sequence[str], rows: Iterable[Sequence], filename: str
) -> HttpResponse:
    """Build an XLSX workbook with openpyxl's write-only mode (rows are not kept as objects)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(filename)
    sheet.append(header)
    zone = timezone.get_current_timezone()
    for row in rows:
        cells = []
        for value in row:
            if isinstance(value, datetime):
                # Excel has no time zones: write local wall-clock time.
                value = timezone.localtime(value, zone).replace(tzinfo=None)
            elif isinstance(value, str):
                value = ILLEGAL_CHARACTERS_RE.sub("", value)
                if value.startswith("="):
                    # Text, never a formula.
                    text = WriteOnlyCell(sheet, value=value)
                    text.data_type = "s"
                    value = text
            cells.append(value)
        sheet.append(cells)
    output = io.BytesIO()
    workbook.save(output)
    return HttpResponse(
        output.getvalue(),
        content_type=XLSX_TYPE,
        headers={"Content-Disposition": f'attachment; filename="{filename}.xlsx"'},
    )


def export_filename(list_name: str) -> str:
    return f"{list_name}-{timezone.localtime():%Y%m%d-%H%M}"
