"""The rows of an admin changelist, worked out once per column instead of once per cell.

Django's `{% result_list %}` builds every cell through `items_for_result`:
`lookup_field` (a failed field lookup, i.e. an exception, for each computed
column), `display_for_field`, the empty value's settings, a `reverse()` of the
change page plus `add_preserved_filters` (which parses and resolves that URL
again) for the linked column, several `format_html` calls, then a template
loop over the cells. For 100 rows that was about two thirds of the time of
Camp's post changelist.

`result_list` below gives `change_list_results.html` the same context, but
what does not depend on the row (which field a column shows, its classes, its
empty value, its display function, the change URL around the primary key) is
decided once per changelist, and each row is one string joined from its cells:
the HTML Django writes, with one `<tr>` item per row. Changelists with a form
per row (`list_editable`) and changelists whose `url_for_result` is overridden
keep Django's own code.
"""

import datetime
import html
from collections.abc import Callable
from functools import lru_cache
from urllib.parse import quote as url_quote

from django.conf import settings
from django.contrib.admin.templatetags import admin_list
from django.contrib.admin.templatetags.admin_urls import add_preserved_filters
from django.contrib.admin.utils import (
    FieldIsAForeignKeyColumnName,
    _get_non_gfk_field,
    display_for_field,
    display_for_value,
    lookup_field,
    quote,
)
from django.contrib.admin.views.main import ChangeList
from django.core.exceptions import FieldDoesNotExist, ObjectDoesNotExist
from django.core.signals import setting_changed
from django.db import models
from django.dispatch import receiver
from django.urls import NoReverseMatch, get_script_prefix, get_urlconf, reverse
from django.utils import timezone
from django.utils.dateformat import DateFormat, re_escaped, re_formatchars
from django.utils.formats import get_format
from django.utils.functional import Promise
from django.utils.http import RFC3986_SUBDELIMS
from django.utils.safestring import SafeString
from django.utils.translation import get_language

#: Stands for the primary key while the change URL is reversed once. Letters,
#: digits and hyphens only: neither admin's quote() nor URL quoting alter it.
PK_MARK = "camp-pk-0mark0"
#: What `reverse()` leaves unquoted in a path (django.urls.resolvers).
URL_SAFE = RFC3986_SUBDELIMS + "/~:@"

Cell = Callable[[models.Model], str]


def change_url(view_name: str, pk) -> str:
    """`reverse(view_name, args=[quote(pk)])` for an admin change page, reversed once.

    The URL around the key depends only on the URLconf, the script prefix and
    (for translated URL patterns) the language, so it is kept per process for
    each of them; a list of 100 rows then joins strings instead of reversing
    100 times.
    """
    head, tail = _around_pk(view_name, get_script_prefix(), get_urlconf(), get_language())
    return head + url_quote(str(quote(pk)), safe=URL_SAFE) + tail


@lru_cache(maxsize=256)
def _around_pk(view_name: str, prefix: str, urlconf, language) -> tuple[str, str]:
    head, tail = reverse(view_name, args=[PK_MARK], urlconf=urlconf).split(PK_MARK)
    return head, tail


@receiver(setting_changed)
def _forget_urls(*, setting, **kwargs) -> None:
    if setting == "ROOT_URLCONF":
        _around_pk.cache_clear()


def esc(value) -> str:
    """django.utils.html.conditional_escape without its lazy-string wrappers."""
    if hasattr(value, "__html__"):
        return value.__html__()
    return html.escape(str(value))


def result_list(cl) -> dict:
    """The context of change_list_results.html, as Django's `result_list` gives it."""
    if cl.formset is not None or type(cl).url_for_result is not ChangeList.url_for_result:
        return admin_list.result_list(cl)
    headers = list(admin_list.result_headers(cl))
    render_row = row_renderer(cl)
    return {
        "cl": cl,
        "result_hidden_fields": [],
        "result_headers": headers,
        "num_sorted_fields": sum(1 for h in headers if h["sortable"] and h["sorted"]),
        "results": [admin_list.ResultList(None, [render_row(obj)]) for obj in cl.result_list],
    }


def row_renderer(cl) -> Callable[[models.Model], SafeString]:
    """A function from a result to its row's cells, the columns planned once."""
    cells: list[Cell] = []
    first = True
    for index, name in enumerate(cl.list_display):
        link = _link_in_col(first, name, cl)
        cells.append(_cell(cl, index, name, link=link, tag="th" if link and first else "td"))
        if link:
            first = False

    def render(obj) -> SafeString:
        return SafeString("".join([cell(obj) for cell in cells]))

    return render


def _link_in_col(is_first: bool, name, cl) -> bool:
    if cl.list_display_links is None:
        return False
    if is_first and not cl.list_display_links:
        return True
    return name in cl.list_display_links


def _cell(cl, index: int, name, *, link: bool, tag: str) -> Cell:
    model_admin = cl.model_admin
    empty = model_admin.get_empty_value_display()
    field_class = f"field-{admin_list._coerce_field_name(name, index)}"
    wrap = _link_wrapper(cl) if link else None

    try:
        field = _get_non_gfk_field(cl.lookup_opts, name)
    except (FieldDoesNotExist, FieldIsAForeignKeyColumnName):
        field = None

    if field is not None and not field.auto_created:
        classes = field_class
        if isinstance(field, models.DateField | models.TimeField | models.ForeignKey):
            classes += " nowrap"
        show = _field_display(field, empty, link)
        related = isinstance(field.remote_field, models.ManyToOneRel)

        def shown(obj) -> tuple[str, str]:
            try:
                value = getattr(obj, name)
            except ObjectDoesNotExist:
                return field_class, empty
            if related:
                # As Django does: the related object's str(), read again.
                value = getattr(obj, field.name)
                return classes, empty if value is None else value
            if isinstance(value, str) and value.strip() == "":
                value = ""
            return classes, show(value)

    else:
        shown_class = "action-checkbox" if name == "action_checkbox" else field_class
        getter = _getter(name, model_admin) if field is None else None

        def shown(obj) -> tuple[str, str]:
            try:
                if getter is not None:
                    attr, value = getter(obj)
                else:
                    _field, attr, value = lookup_field(name, obj, model_admin)
            except ObjectDoesNotExist:
                return field_class, empty
            empty_value = getattr(attr, "empty_value_display", empty)
            boolean = getattr(attr, "boolean", False)
            if isinstance(attr, property) and hasattr(attr, "fget"):
                boolean = getattr(attr.fget, "boolean", False)
            if isinstance(value, str) and value.strip() == "":
                value = ""
            classes = shown_class
            if isinstance(value, datetime.date | datetime.time):
                classes += " nowrap"
            if type(value) is SafeString and value and not boolean:
                return classes, value
            return classes, display_for_value(value, empty_value, boolean)

    def cell(obj) -> str:
        classes, shown_value = shown(obj)
        content = esc(shown_value) if wrap is None else wrap(obj, shown_value)
        return f'<{tag} class="{classes}">{content}</{tag}>'

    return cell


def _field_display(field, empty, link: bool) -> Callable[[object], str]:
    """display_for_field for one field, with its choices or date format read once."""
    if getattr(field, "flatchoices", None):
        try:
            # The labels translated once (str() of a lazy label is its gettext).
            choices = {
                key: str(label) if isinstance(label, Promise) else label
                for key, label in field.flatchoices
            }
        except TypeError:
            pass
        else:

            def choice(value):
                try:
                    return choices.get(value, empty)
                except TypeError:
                    return display_for_field(value, field, empty, avoid_link=link)

            return choice
    elif isinstance(field, models.DateTimeField):
        formatted = _DateTimeFormat(get_format("DATETIME_FORMAT"))
        empty_values = field.empty_values
        # timezone.template_localtime, the setting and the zone read once.
        zone = timezone.get_current_timezone() if settings.USE_TZ else None

        def moment(value):
            if value in empty_values:
                return empty
            if (
                zone is not None
                and isinstance(value, datetime.datetime)
                and value.utcoffset() is not None
                and getattr(value, "convert_to_local_time", True)
            ):
                value = value.astimezone(zone)
            return formatted(value)

        return moment
    return lambda value: display_for_field(value, field, empty, avoid_link=link)


class _DateTimeFormat:
    """django.utils.dateformat.format(value, format) for many values of one list.

    The format is split once, and the specifiers that translate (month and
    day names, a.m./p.m., "noon") are looked up once per month, weekday or
    time of day instead of once per value.
    """

    #: What each translated specifier depends on (django.utils.dateformat).
    TRANSLATED = {
        **dict.fromkeys("bEFMN", lambda d: d.month),
        **dict.fromkeys("Dl", lambda d: d.weekday()),
        **dict.fromkeys("aA", lambda d: d.hour > 11),
        "P": lambda d: (d.hour, d.minute),
    }

    def __init__(self, format_string: str) -> None:
        self.pieces = [
            (True, piece) if i % 2 else (False, re_escaped.sub(r"\1", piece))
            for i, piece in enumerate(re_formatchars.split(str(format_string)))
            if i % 2 or piece
        ]
        self.memo: dict[tuple, str] = {}

    def __call__(self, value: datetime.datetime) -> str:
        formatter = DateFormat(value)
        data = formatter.data
        out = []
        for spec, piece in self.pieces:
            if not spec:
                out.append(piece)
            elif (depends := self.TRANSLATED.get(piece)) is not None:
                key = (piece, depends(data))
                if (text := self.memo.get(key)) is None:
                    text = self.memo[key] = str(getattr(formatter, piece)())
                out.append(text)
            else:
                out.append(str(getattr(formatter, piece)()))
        return "".join(out)


def _getter(name, model_admin) -> Callable | None:
    """(attr, value) of a column computed by a callable or a model admin method.

    None for a model attribute or property: `lookup_field` reads those per row.
    """
    if callable(name):
        return lambda obj: (name, name(obj))
    if hasattr(model_admin, name) and name != "__str__":
        method = getattr(model_admin, name)
        return lambda obj: (method, method(obj))
    return None


def _link_wrapper(cl) -> Callable[[models.Model, str], str]:
    """Wrap a cell in the link to its change page, as Django does, one reverse() in all."""
    to_field = str(cl.to_field) if cl.to_field else cl.lookup_opts.pk.attname
    context = {"preserved_filters": cl.preserved_filters, "opts": cl.opts}

    def popup(obj) -> str:
        if not cl.is_popup:
            return ""
        return f' data-popup-opener="{esc(obj.serializable_value(to_field))}"'

    def slow(obj, shown_value) -> str:
        try:
            url = cl.url_for_result(obj)
        except NoReverseMatch:
            return esc(shown_value)
        url = add_preserved_filters(context, url)
        return f'<a href="{esc(url)}"{popup(obj)}>{esc(shown_value)}</a>'

    try:
        marked = add_preserved_filters(context, cl.url_for_result(_Marked()))
    except NoReverseMatch:
        return lambda obj, shown_value: esc(shown_value)
    if marked.count(PK_MARK) != 1:
        return slow
    head, tail = marked.split(PK_MARK)
    pk_attname = cl.pk_attname

    def fast(obj, shown_value) -> str:
        pk = str(quote(getattr(obj, pk_attname)))
        if not pk:
            return slow(obj, shown_value)
        url = esc(head + url_quote(pk, safe=URL_SAFE) + tail)
        return f'<a href="{url}"{popup(obj)}>{esc(shown_value)}</a>'

    return fast


class _Marked:
    """A stand-in result whose primary key is PK_MARK, whatever the attribute's name."""

    def __getattr__(self, name: str) -> str:
        return PK_MARK
