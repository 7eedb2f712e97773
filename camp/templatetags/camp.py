import re

from django import template
from django.http import QueryDict
from django.utils.html import escape, format_html, format_html_join
from django.utils.safestring import mark_safe
from django.utils.translation import gettext as _

register = template.Library()


@register.simple_tag(takes_context=True)
def query_replace(context, **kwargs) -> str:
    """Return the current query string with `kwargs` replaced (None removes a key).

    Changing the sort or a filter goes back to page 1 (and drops the page's
    seek cursors).
    """
    query: QueryDict = context["request"].GET.copy()
    if "page" not in kwargs:
        for key in ("page", "after", "before"):
            query.pop(key, None)
    for key, value in kwargs.items():
        if value is None or value == "":
            query.pop(key, None)
        else:
            query[key] = value
    encoded = query.urlencode()
    return f"?{encoded}" if encoded else "?"


@register.simple_tag(takes_context=True)
def sort_header(context, field: str, label: str) -> str:
    """Render a column header link that sorts by `field`, toggling the direction."""
    current = context["request"].GET.get("sort", "")
    if current == field:
        next_sort, state, aria = f"-{field}", "asc", "ascending"
    elif current == f"-{field}":
        next_sort, state, aria = field, "desc", "descending"
    else:
        next_sort, state, aria = field, "", "none"
    href = query_replace(context, sort=next_sort)
    return format_html(
        '<th scope="col" aria-sort="{}"><a href="{}" class="sort {}" title="{}">{}</a></th>',
        aria,
        href,
        state,
        _("Sort by %(column)s") % {"column": label},
        label,
    )


@register.simple_tag(takes_context=True)
def hidden_params(context, *, keep: str = "", drop: str = "") -> str:
    """Render the list's current parameters as hidden inputs, for a form that changes others.

    `keep` names the only parameters to carry; `drop` names ones to leave
    out. The page and its cursors are never carried: a new list starts at 1.
    """
    params: QueryDict = context["request"].GET
    kept, dropped = set(keep.split()), {*drop.split(), "page", "after", "before", "view"}
    inputs = [
        (key, value)
        for key, values in params.lists()
        if key not in dropped and (not kept or key in kept)
        for value in values
        if value.strip()
    ]
    return format_html_join("", '<input type="hidden" name="{}" value="{}">', inputs)


@register.filter
def highlight(text, query) -> str:
    """Mark each word of `query` found in `text` with <mark>, everything escaped.

    The text is cut at the matches and each piece escaped on its own, so
    neither the text nor the query can inject markup; case is ignored.
    """
    text = "" if text is None else str(text)
    words = sorted({w for w in str(query or "").split() if w}, key=len, reverse=True)
    if not words or not text:
        return escape(text)
    pattern = re.compile("|".join(re.escape(w) for w in words), re.IGNORECASE)
    pieces, last = [], 0
    for match in pattern.finditer(text):
        pieces.append(escape(text[last : match.start()]))
        pieces.append(format_html("<mark>{}</mark>", match.group()))
        last = match.end()
    pieces.append(escape(text[last:]))
    return mark_safe("".join(pieces))  # noqa: S308  (every piece escaped above)
