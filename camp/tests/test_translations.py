"""The Japanese catalogue holds every message the code and templates mark, each translated.

The extraction is `makemessages` itself, run on a copy of the sources into a
temporary directory: the catalogue in the repository is only read.
"""

import io
import shutil
from pathlib import Path

import polib
import pytest
from django.conf import settings
from django.core.management import call_command

CATALOGUE = Path(settings.BASE_DIR) / "locale" / "ja" / "LC_MESSAGES" / "django.po"
COMPILED = CATALOGUE.with_suffix(".mo")

# What makemessages would skip or could not read anyway, the catalogue itself,
# and what the git-ignored build and test output holds.
NOT_SOURCES = shutil.ignore_patterns(
    ".*",
    "node_modules",
    "locale",
    "staticfiles",
    "artifacts",
    "results",
    "__pycache__",
    "*.pyc",
    "*.png",
    "db.sqlite3",
)


def key(entry: polib.POEntry | polib.MOEntry) -> tuple[str, str, str]:
    return (entry.msgctxt or "", entry.msgid, entry.msgid_plural or "")


def live(entries) -> list[polib.POEntry]:
    return [entry for entry in entries if not entry.obsolete and entry.msgid]


@pytest.fixture(scope="module")
def extracted(tmp_path_factory) -> set[tuple[str, str, str]]:
    """The messages makemessages finds in a fresh copy of the sources."""
    root = tmp_path_factory.mktemp("messages") / "src"
    shutil.copytree(settings.BASE_DIR, root, ignore=NOT_SOURCES)
    locale = root / "locale"
    with pytest.MonkeyPatch.context() as patch:
        patch.chdir(root)
        patch.setattr(settings, "LOCALE_PATHS", [str(locale)])
        call_command("makemessages", locale=["ja"], stdout=io.StringIO(), verbosity=0)
    fresh = polib.pofile(str(locale / "ja" / "LC_MESSAGES" / "django.po"))
    return {key(entry) for entry in live(fresh)}


@pytest.fixture(scope="module")
def catalogue() -> polib.POFile:
    return polib.pofile(str(CATALOGUE))


def test_every_marked_message_is_in_the_catalogue(extracted, catalogue):
    missing = extracted - {key(entry) for entry in live(catalogue)}

    assert not missing, (
        f"{len(missing)} message(s) missing from {CATALOGUE.name}: run "
        "`manage.py makemessages -l ja`, translate, then compilemessages. "
        f"Missing: {sorted(missing)[:10]}"
    )


def test_extraction_finds_the_messages_of_every_app(extracted):
    # A copy that lost a directory would make the test above pass for nothing.
    msgids = {msgid for _ctx, msgid, _plural in extracted}

    assert {"This record was deleted while you were editing it.", "Imported from CSV"} <= msgids
    assert "Export selected as CSV" in msgids
    assert "Publish selected posts" in msgids and "recent posts" in msgids


def test_every_message_is_translated_and_none_is_fuzzy(catalogue):
    entries = live(catalogue)
    untranslated = [entry.msgid for entry in entries if not entry.translated()]
    fuzzy = [entry.msgid for entry in entries if "fuzzy" in entry.flags]

    assert entries
    assert not untranslated, f"untranslated: {untranslated[:10]}"
    assert not fuzzy, f"fuzzy: {fuzzy[:10]}"


def test_the_compiled_catalogue_matches_the_source(catalogue):
    compiled = {
        key(entry): (entry.msgstr, entry.msgstr_plural) for entry in polib.mofile(COMPILED)
    }
    source = {
        key(entry): (entry.msgstr, entry.msgstr_plural)
        for entry in live(catalogue)
        if entry.translated()
    }

    stale = {k for k in source if compiled.get(k) != source[k]}
    assert not stale, f"run `manage.py compilemessages`: {sorted(stale)[:10]}"
