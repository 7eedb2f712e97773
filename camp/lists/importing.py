"""Import records from CSV: every row validated by a ModelForm, all or nothing.

An upload is read once, in the request: its encoding found, its header and
shape checked, and its rows stored in pieces of JOBS_BATCH_SIZE
(stored_upload()). A preview job then runs every piece as a dry run, rolled
back, and an import job runs them again, each committed. A row repeating an
earlier row's record (same id, same title and author, same username...) is an
error of its own, so no piece depends on another: what the preview announces
is what importing does.
"""

import codecs
import contextlib
import csv
import io
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

#: The largest CSV accepted, in bytes (settings.IMPORT_MAX_BYTES).
MAX_IMPORT_BYTES = settings.IMPORT_MAX_BYTES
#: The most data rows one file may hold (settings.IMPORT_MAX_ROWS).
MAX_IMPORT_ROWS = settings.IMPORT_MAX_ROWS

#: Encodings upload_encoding() tries, in order, with the name the page shows.
ENCODINGS = (("utf-8-sig", "UTF-8"), ("cp932", "Shift_JIS"))

# Latin-1 (or Windows-1252) text often decodes as cp932 without an error, as
# mojibake: an accented letter turns into a half-width katakana (0xA1-0xDF) or,
# with the letter after it, into a kanji. Either one glued to Latin letters is
# that, not Japanese.
_LATIN_AS_CP932 = re.compile(
    r"[A-Za-z][\uff61-\uff9f]|[\uff61-\uff9f][A-Za-z]|[A-Za-z][^\x00-\x7f][A-Za-z]"
    r"|[\ue000-\uf8ff]"
)

CREATE, UPDATE, UNCHANGED, ERROR = "create", "update", "unchanged", "error"

#: What cell_data() returns for a cell that leaves its field as it is.
KEEP = object()

#: Cells our export escaped with an apostrophe: a formula start, or an apostrophe itself
#: (so a title that really starts with "'=" survives the round trip).
FORMULA_START = ("'=", "'+", "'-", "'@", "'\t", "'\r", "''")

# A cell may be as long as the file: the default cap (131,072 characters) refused
# whole files over content the form accepts.
csv.field_size_limit(MAX_IMPORT_BYTES)


class ImportFileError(Exception):
    """The file as a whole cannot be read."""


class RowError(Exception):
    """One row cannot be imported; the message says why."""


class _UndoRow(Exception):
    """Roll back the savepoint of a row a dry run has checked by saving it."""


def too_large_message() -> str:
    return _("The file is larger than %(size)d MB.") % {"size": MAX_IMPORT_BYTES // 2**20}


def not_csv_message() -> str:
    return _(
        "The file is not a CSV in UTF-8 or Shift_JIS (a file from a western Windows,"
        " in Latin-1, is neither): save it as “CSV UTF-8” and upload it again."
    )


def _reads_as(chunks: Iterable[bytes], encoding: str) -> bool:
    """Whether every byte of `chunks` decodes in `encoding` into text, not binary or mojibake."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for data in chunks:
            text = decoder.decode(data)
            if "\x00" in text or (encoding == "cp932" and _LATIN_AS_CP932.search(text)):
                return False
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


def upload_encoding(upload) -> tuple[str, str]:
    """Return the encoding an uploaded CSV is in and the name the page shows for it.

    Excel saves "CSV UTF-8" with a BOM and plain "CSV" in the system's code
    page, which on Japanese Windows is Shift_JIS (cp932). A file in another
    code page (Latin-1 from a western Windows) is refused rather than shown as
    mojibake. The upload is read a chunk at a time, never whole.
    """
    if upload.size > MAX_IMPORT_BYTES:
        raise ImportFileError(too_large_message())
    for encoding, name in ENCODINGS:
        upload.seek(0)
        if _reads_as(upload.chunks(), encoding):
            upload.seek(0)
            return encoding, name
    raise ImportFileError(not_csv_message())


def upload_lines(upload, encoding: str) -> Iterator[str]:
    """The lines of an uploaded CSV as text, line endings kept (as csv.reader wants them)."""
    upload.seek(0)
    text = io.TextIOWrapper(upload.file, encoding=encoding, newline="")
    try:
        yield from text
    finally:
        # The upload's own file outlives this reader, unless the request closed it first.
        with contextlib.suppress(ValueError):
            text.detach()


@dataclass
class RowOutcome:
    line: int
    action: str
    label: str = ""
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: What the preview should point out about a row that imports, e.g. an id not found.
    notes: list[str] = field(default_factory=list)
    #: The row's cells by column, kept for a row with errors (for the errors file).
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    rows: list[RowOutcome] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    committed: bool = False

    def count(self, action: str) -> int:
        return sum(1 for row in self.rows if row.action == action)

    @property
    def created(self) -> int:
        return self.count(CREATE)

    @property
    def updated(self) -> int:
        return self.count(UPDATE)

    @property
    def unchanged(self) -> int:
        return self.count(UNCHANGED)

    @property
    def errors(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.action == ERROR]

    @property
    def changes(self) -> list[RowOutcome]:
        return [row for row in self.rows if row.action in (CREATE, UPDATE)]

    @property
    def ok(self) -> bool:
        return not self.file_errors and not self.errors


def csv_records(lines: Iterable[str] | str) -> tuple[list[str], Iterator[tuple[int, list[str]]]]:
    """Return the header (lower-cased) and the rows as (line number, cells).

    `lines` is a CSV's text, or its lines. The line number is where the row
    starts in the file, the header being line 1, so a cell spanning lines does
    not shift the ones after it. Blank rows are skipped.
    """
    if isinstance(lines, str):
        lines = io.StringIO(lines, newline="")
    reader = csv.reader(lines)
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error):
        header = []
    return header, _records(reader, first_line=1)


def _records(reader, *, first_line: int) -> Iterator[tuple[int, list[str]]]:
    """The rows `reader` reads, as (line number, cells); its first line is line `first_line`."""
    start = reader.line_num + first_line
    for values in reader:
        if any(value.strip() for value in values):
            yield start, [_unescape(value) for value in values]
        start = reader.line_num + first_line


@dataclass
class Piece:
    """A run of an upload's rows, as the file has them, for one job batch."""

    #: The line of the file the text starts at.
    first_line: int
    text: str
    rows: int
    #: [line, earlier line, what] for each row naming the record an earlier row names.
    repeats: list[list]


def piece_rows(*, text: str, first_line: int, repeats: list[list]) -> list[list]:
    """The rows of a piece's text as [line, cells, repeat], as Importer.file_rows() gives them."""
    repeat_of = {line: [earlier, what] for line, earlier, what in repeats}
    reader = csv.reader(io.StringIO(text, newline=""))
    return [
        [line, cells, repeat_of.get(line)]
        for line, cells in _records(reader, first_line=first_line)
    ]


class _Taken:
    """The lines a csv.reader takes from `lines`, kept until collected, and how many so far."""

    def __init__(self, lines: Iterable[str]):
        self._lines = iter(lines)
        self._kept: list[str] = []
        self.count = 0

    def __iter__(self):
        return self

    def __next__(self) -> str:
        line = next(self._lines)
        self._kept.append(line)
        self.count += 1
        return line

    def collect(self) -> str:
        text, self._kept = "".join(self._kept), []
        return text


def upload_pieces(
    importer: "Importer", upload, *, rows: int
) -> tuple[str, list[str], Iterator[Piece]]:
    """Read an uploaded CSV: its encoding's name, its header, and its rows in pieces of `rows`.

    The text of each piece is the file's own lines, parsed again by the job
    that reads it: cheaper to store than the parsed cells. Raise
    ImportFileError (also while the pieces are read) for a file that cannot
    be imported as a whole.
    """
    encoding, name = upload_encoding(upload)
    lines = _Taken(upload_lines(upload, encoding))
    header, records = csv_records(lines)
    if errors := importer.header_errors(header):
        raise ImportFileError(" ".join(errors))
    lines.collect()

    def pieces() -> Iterator[Piece]:
        first_line, count, repeats = lines.count + 1, 0, []
        for line, _cells, repeat in importer.file_rows(header, records):
            count += 1
            if repeat:
                repeats.append([line, *repeat])
            if count == rows:
                yield Piece(first_line, lines.collect(), count, repeats)
                first_line, count, repeats = lines.count + 1, 0, []
        if count:
            yield Piece(first_line, lines.collect(), count, repeats)

    return name, header, pieces()


def _unescape(value: str) -> str:
    """Undo the apostrophe our export puts before text a spreadsheet would run as a formula."""
    return value[1:] if value.startswith(FORMULA_START) else value


def form_errors(form: forms.Form) -> list[str]:
    messages = []
    for name, errors in form.errors.items():
        label = form.fields[name].label if name in form.fields else None
        for error in errors:
            messages.append(f"{label}: {error}" if label else str(error))
    return messages


class Importer:
    """Subclasses say how a row maps to a record and which form validates it."""

    model: type[models.Model]
    #: CSV column → form field, for every column the importer reads.
    columns: dict[str, str]
    #: Columns a file must have.
    required: tuple[str, ...]
    #: Columns match() reads to find the record (besides `columns`), so not ignored.
    match_columns: tuple[str, ...] = ()
    #: The history's reason for a change made by an import.
    reason = gettext_noop("Imported from CSV")

    #: Whether this run locks the rows it reads (a real run) or not (a dry run).
    locking = True
    #: The notes of the row being imported: match() and cell_data() may add to them.
    notes: list[str]

    def match(self, row: dict[str, str]) -> models.Model | None:
        """Return the existing record `row` describes, or None to create one.

        Read it through for_update(), which locks it in a real run only.
        """
        raise NotImplementedError

    def for_update(self, queryset: models.QuerySet, **kwargs) -> models.QuerySet:
        """`queryset` locked for the run's transaction in a real run; as it is in a dry run."""
        return queryset.select_for_update(**kwargs) if self.locking else queryset

    def form(self, data: dict, instance: models.Model | None) -> forms.ModelForm:
        raise NotImplementedError

    def instance_data(self, instance: models.Model) -> dict:
        """The form data that would save `instance` unchanged."""
        raise NotImplementedError

    def new_data(self) -> dict:
        """The form data a new record starts from, before the row's cells."""
        return {}

    def label(self, row: dict[str, str]) -> str:
        raise NotImplementedError

    def cell_data(self, column: str, value: str) -> object:
        """Turn a cell into form data (KEEP: leave the field as it is); raise RowError if bad."""
        return value.strip() if column != "content" else value

    def keys(self, row: dict[str, str]) -> list[tuple[str, object]]:
        """What names the record `row` is about, as (what, value) pairs: no two rows may share one.

        `what` is marked with gettext_noop, for the message about a repeated row.
        """
        return []

    def header_errors(self, header: list[str]) -> list[str]:
        """Why a file with this header cannot be imported at all; empty if it can."""
        if not header:
            return [_("The file is empty.")]
        twice = sorted({name for name in header if name and header.count(name) > 1})
        if twice:
            # Which of the two would win is a guess: refuse rather than keep the last.
            return [
                _("The file has the column %(columns)s more than once.")
                % {"columns": ", ".join(twice)}
            ]
        missing = [name for name in self.required if name not in header]
        if missing:
            return [_("The file has no column %(columns)s.") % {"columns": ", ".join(missing)}]
        return []

    def ignored_columns(self, header: list[str]) -> list[str]:
        known = {*self.columns, *self.match_columns}
        return [name for name in header if name and name not in known]

    def file_rows(
        self, header: list[str], records: Iterable[tuple[int, list[str]]]
    ) -> Iterator[list]:
        """The file's rows as [line, cells, repeat]: `repeat` is None or [line, what] of an
        earlier row naming the same record. Raise ImportFileError if the file is not valid CSV,
        has too many rows or none.

        Only a hash of each key is kept, so a million rows take a few tens of MB.
        """
        seen: dict[int, tuple[int, str]] = {}
        count, line = 0, 1
        try:
            for line, cells in records:
                count += 1
                if count > MAX_IMPORT_ROWS:
                    raise ImportFileError(
                        _("The file has more than %(rows)d rows.") % {"rows": MAX_IMPORT_ROWS}
                    )
                repeat = None
                for what, value in self.keys(dict(zip(header, cells, strict=False))):
                    digest = hash((what, value))
                    if digest in seen:
                        repeat = list(seen[digest])
                        break
                    seen[digest] = (line, what)
                yield [line, cells, repeat]
        except csv.Error as error:
            raise ImportFileError(
                _("The file is not valid CSV after line %(line)d: %(error)s")
                % {"line": line, "error": error}
            ) from None
        if not count:
            raise ImportFileError(_("The file has no rows."))

    def run(self, text: str, *, commit: bool) -> ImportResult:
        """Import a whole CSV in one transaction, kept only if `commit` and every row passed."""
        header, records = csv_records(text)
        result = ImportResult(header=header, file_errors=self.header_errors(header))
        if result.file_errors:
            return result
        try:
            rows = list(self.file_rows(header, records))
        except ImportFileError as error:
            result.file_errors.append(str(error))
            return result
        return self.run_rows(rows, header=header, commit=commit)

    def run_rows(self, rows: Iterable[list], *, header: list[str], commit: bool) -> ImportResult:
        """Validate and save `rows` ([line, cells, repeat], as file_rows() gives them) in one
        transaction, kept only if `commit` and every row passed."""
        result = ImportResult(header=header, ignored_columns=self.ignored_columns(header))
        # A dry run takes no row locks, so overlapping previews do not wait on each other.
        self.locking = commit
        with transaction.atomic():
            for line, cells, repeat in rows:
                row = dict(zip(header, cells, strict=False))
                if repeat:
                    outcome = RowOutcome(line=line, action=ERROR, label=self.label(row))
                    outcome.errors.append(
                        _("This row repeats line %(line)d (the same %(what)s).")
                        % {"line": repeat[0], "what": _(repeat[1])}
                    )
                else:
                    outcome = self._row(line, row)
                if outcome.action == ERROR:
                    outcome.values = row
                result.rows.append(outcome)
            result.committed = commit and result.ok
            if not result.committed:
                transaction.set_rollback(True)
        return result

    def _row(self, line: int, row: dict[str, str]) -> RowOutcome:
        outcome = RowOutcome(line=line, action=ERROR, label=self.label(row))
        self.notes = outcome.notes
        try:
            instance = self.match(row)
            data = self.instance_data(instance) if instance else self.new_data()
            for column, name in self.columns.items():
                if column in row:
                    value = self.cell_data(column, row[column])
                    if value is not KEEP:
                        data[name] = value
        except RowError as error:
            outcome.errors.append(str(error))
            return outcome
        form = self.form({k: v for k, v in data.items() if v is not None}, instance)
        if not form.is_valid():
            outcome.errors.extend(form_errors(form))
            return outcome
        if instance is not None and not form.has_changed():
            outcome.action = UNCHANGED
            return outcome
        try:
            self.check_changes(instance, form.changed_data)
        except RowError as error:
            outcome.errors.append(str(error))
            return outcome
        outcome.action = UPDATE if instance is not None else CREATE
        outcome.changes = [str(form.fields[name].label) for name in form.changed_data]
        try:
            # A savepoint per row: a database error fails this row, not the run.
            with transaction.atomic():
                record = form.save(commit=False)
                record._change_reason = self.reason
                self.before_save(record, created=instance is None)
                record.save()
                if instance is not None and not self.locking:
                    # A dry run's change to an existing row is undone at once,
                    # so its row lock goes with it (a new row locks nothing
                    # others read, and stays to be matched by a later row).
                    raise _UndoRow
        except _UndoRow:
            pass
        except DatabaseError as error:
            outcome.action = ERROR
            outcome.errors.append(str(error).splitlines()[0])
        return outcome

    def check_changes(self, instance: models.Model | None, changed: list[str]) -> None:
        """Raise RowError if the member importing may not make this change; by default all may."""

    def before_save(self, record: models.Model, *, created: bool) -> None:
        """Adjust a record about to be saved; by default bump its version when it changes."""
        if not created and hasattr(record, "version"):
            # An edit form opened before the import is refused instead of reverting it.
            record.version += 1
