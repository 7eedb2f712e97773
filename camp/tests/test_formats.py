"""One format for times and numbers per language."""

from datetime import datetime

import pytest
from django.contrib.humanize.templatetags.humanize import intcomma
from django.utils import translation
from django.utils.formats import date_format

EARLY = datetime(2026, 12, 6, 5, 8)
LATE = datetime(2026, 12, 6, 13, 37)
MIDNIGHT = datetime(2026, 12, 6, 0, 0)


@pytest.mark.parametrize("fmt", ["SHORT_DATETIME_FORMAT", "DATETIME_FORMAT"])
def test_english_times_share_one_12_hour_style(fmt):
    with translation.override("en"):
        shown = [date_format(moment, fmt) for moment in (EARLY, LATE, MIDNIGHT)]

    assert shown[0].endswith("5:08 AM")
    assert shown[1].endswith("1:37 PM")
    assert shown[2].endswith("12:00 AM")
    assert not any("midnight" in s or "p.m." in s for s in shown)


@pytest.mark.parametrize("fmt", ["SHORT_DATETIME_FORMAT", "DATETIME_FORMAT"])
def test_japanese_times_are_24_hour_with_two_digit_hours(fmt):
    with translation.override("ja"):
        shown = [date_format(moment, fmt) for moment in (EARLY, LATE)]

    assert shown[0].endswith("05:08")
    assert shown[1].endswith("13:37")


def test_japanese_short_date_is_year_first():
    with translation.override("ja"):
        assert date_format(LATE, "SHORT_DATETIME_FORMAT") == "2026/12/06 13:37"


@pytest.mark.parametrize("language", ["en", "ja"])
def test_thousands_are_grouped_in_both_languages(language):
    with translation.override(language):
        assert intcomma(5924) == "5,924"
