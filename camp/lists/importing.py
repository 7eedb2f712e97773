"""Import records from CSV: every row validated by a ModelForm, all or nothing.

A run happens inside one transaction. A dry run (the preview), or any run
with a row error, rolls it back, so what the preview announces is exactly
what confirming does, duplicates within the file included.
"""

import csv
import io
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from django import forms
from django.conf import settings
from django.db import DatabaseError, models, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

#: The largest CSV accepted, in bytes (settings.IMPORT_MAX_BYTES).
MAX_IMPORT_BYTES = settings.IMPORT_MAX_BYTES
#: The most data rows one file may hold (settings.IMPORT_MAX_ROWS): each row is
#: validated and saved twice (preview, then import), a few milliseconds each.
MAX_IMPORT_ROWS = settings.IMPORT_MAX_ROWS

#: Encodings read_upload() tries, in order, with the name the page shows.
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


def read_upload(upload) -> str:
    """Return the text of an uploaded CSV: UTF-8 (with or without BOM) or Shift_JIS."""
    return decode_upload(upload)[0]


def decode_upload(upload) -> tuple[str, str]:
    """Return the text of an uploaded CSV and the name of the encoding it was read in.

    Excel saves "CSV UTF-8" with a BOM and plain "CSV" in the system's code
    page, which on Japanese Windows is Shift_JIS (cp932). A file in another
    code page (Latin-1 from a western Windows) is refused rather than shown as
    mojibake.
    """
    data = upload.read(MAX_IMPORT_BYTES + 1)
    if len(data) > MAX_IMPORT_BYTES:
        raise ImportFileError(too_large_message())
    for encoding, name in ENCODINGS:
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if "\x00" in text:
            break
        if encoding == "cp932" and _LATIN_AS_CP932.search(text):
            break
        return text, name
    raise ImportFileError(
        _(
            "The file is not a CSV in UTF-8 or Shift_JIS (a file from a western Windows,"
            " in Latin-1, is neither): save it as “CSV UTF-8” and upload it again."
        )
    )


@dataclass
class RowOutcome:
    line: int
    action: str
    label: str = ""
    changes: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    #: The row's cells by column, kept for a row with errors (for the errors file).
    values: dict[str, str] = field(default_factory=dict)


@dataclass
class ImportResult:
    rows: list[RowOutcome] = field(default_factory=list)
    file_errors: list[str] = field(default_factory=list)
    ignored_columns: list[str] = field(default_factory=list)
    header: list[str] = field(default_factory=list)
    committed: bool = False
    #: Rows were left for a later run (run() was given a `limit`).
    more: bool = False

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


def csv_records(text: str) -> tuple[list[str], Iterator[tuple[int, dict[str, str]]]]:
    """Return the header (lower-cased) and the rows as (line number, {column: value}).

    The line number is where the row starts in the file, the header being
    line 1, so a cell spanning lines does not shift the ones after it.
    """
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except (StopIteration, csv.Error):
        header = []

    def rows():
        start = reader.line_num + 1
        for values in reader:
            if any(value.strip() for value in values):
                cells = [_unescape(value) for value in values]
                yield start, dict(zip(header, cells, strict=False))
            start = reader.line_num + 1

    return header, rows()


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

    def run(
        self, text: str, *, commit: bool, start: int = 0, limit: int | None = None
    ) -> ImportResult:
        """Validate and save every row; keep the changes only if `commit` and every row passed.

        `start` and `limit` take a slice of the rows (a job's batch): the rows
        before `start` are skipped, and after `limit` rows the run stops with
        `more` set if any are left.
        """
        result = ImportResult()
        # A dry run takes no row locks, so overlapping previews do not wait on each other.
        self.locking = commit
        header, rows = csv_records(text)
        result.header = header
        missing = [name for name in self.required if name not in header]
        twice = sorted({name for name in header if name and header.count(name) > 1})
        if not header:
            result.file_errors.append(_("The file is empty."))
        elif twice:
            # Which of the two would win is a guess: refuse rather than keep the last.
            result.file_errors.append(
                _("The file has the column %(columns)s more than once.")
                % {"columns": ", ".join(twice)}
            )
        elif missing:
            result.file_errors.append(
                _("The file has no column %(columns)s.") % {"columns": ", ".join(missing)}
            )
        if result.file_errors:
            return result
        known = {*self.columns, *self.match_columns}
        result.ignored_columns = [n for n in header if n and n not in known]
        with transaction.atomic():
            try:
                for index, (line, row) in enumerate(rows):
                    if index >= MAX_IMPORT_ROWS:
                        result.file_errors.append(
                            _("The file has more than %(rows)d rows.") % {"rows": MAX_IMPORT_ROWS}
                        )
                        break
                    if index < start:
                        continue
                    if limit is not None and len(result.rows) >= limit:
                        result.more = True
                        break
                    outcome = self._row(line, row)
                    if outcome.action == ERROR:
                        outcome.values = row
                    result.rows.append(outcome)
            except csv.Error as error:
                result.file_errors.append(
                    _("The file is not valid CSV after line %(line)d: %(error)s")
                    % {"line": result.rows[-1].line if result.rows else 1, "error": error}
                )
            if not result.rows and not result.file_errors and not start:
                result.file_errors.append(_("The file has no rows."))
            result.committed = commit and result.ok
            if not result.committed:
                transaction.set_rollback(True)
        return result

    def _row(self, line: int, row: dict[str, str]) -> RowOutcome:
        outcome = RowOutcome(line=line, action=ERROR, label=self.label(row))
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
