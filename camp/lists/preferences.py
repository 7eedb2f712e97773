"""How a member likes to see each list: rows per page, density, the filter panel open or not.

Remembered in the session, per list, so a choice made once holds on every
page of that list until changed; a value in the URL wins (and is remembered),
and a bad one is ignored.
"""

from dataclasses import dataclass

#: The rows-per-page choices offered; anything else in `?per_page=` is ignored.
PER_PAGE_CHOICES = (25, 50, 100, 200)
DEFAULT_PER_PAGE = 25
#: Compact: one line per row; comfortable: roomier rows whose titles wrap.
DENSITIES = ("compact", "comfortable")
DEFAULT_DENSITY = "compact"
#: Set by camp.js when the filter panel is opened or closed, read here so the
#: page comes back the way it was left, with no flash.
FILTERS_COOKIE = "camp-filters-%s"


@dataclass(frozen=True)
class ListPreferences:
    per_page: int
    density: str
    filters_open: bool


def _per_page(value) -> int | None:
    try:
        number = int(value)
    except (TypeError, ValueError):
        return None
    return number if number in PER_PAGE_CHOICES else None


def _density(value) -> str | None:
    return value if value in DENSITIES else None


def list_preferences(request, list_name: str) -> ListPreferences:
    """Return the member's preferences for `list_name`, remembering any given in the URL."""
    key = f"camp.lists.{list_name}"
    stored = request.session.get(key) or {}
    if not isinstance(stored, dict):
        stored = {}
    asked = {
        "per_page": _per_page(request.GET.get("per_page")),
        "density": _density(request.GET.get("density")),
    }
    changed = {name: value for name, value in asked.items() if value and stored.get(name) != value}
    if changed:
        stored = {**stored, **changed}
        request.session[key] = stored
    return ListPreferences(
        per_page=_per_page(stored.get("per_page")) or DEFAULT_PER_PAGE,
        density=_density(stored.get("density")) or DEFAULT_DENSITY,
        filters_open=request.COOKIES.get(FILTERS_COOKIE % list_name) == "open",
    )
