"""The pieces of camp.lists.admin_rows that stand in for Django's per-cell work."""

from datetime import datetime, timedelta

import pytest
from django.contrib.admin.utils import quote
from django.urls import get_script_prefix, reverse, set_script_prefix
from django.utils import dateformat, translation
from django.utils.formats import get_format

from camp.lists.admin_rows import _DateTimeFormat, change_url

PKS = [7, "plain", "a/b_c:d", "日本 語", "x%y?z#&'\"<>", "-_~.!*"]


@pytest.mark.parametrize("pk", PKS)
def test_change_url_is_the_reversed_url(pk):
    expected = reverse("admin:posts_post_change", args=[quote(pk)])

    assert change_url("admin:posts_post_change", pk) == expected


def test_change_url_follows_the_script_prefix():
    saved = get_script_prefix()
    try:
        set_script_prefix("/camp/")
        under_prefix = change_url("admin:posts_post_change", 5)
    finally:
        set_script_prefix(saved)

    assert under_prefix == "/camp/admin/posts/post/5/change/"
    assert change_url("admin:posts_post_change", 5) == "/admin/posts/post/5/change/"


# Every month, weekday, a.m. and p.m., midnight and noon: the specifiers that translate.
MOMENTS = [
    datetime(2025, month, 1 + month, hour, minute)
    for month in range(1, 13)
    for hour, minute in ((0, 0), (0, 30), (9, 5), (12, 0), (12, 45), (23, 59))
] + [datetime(2024, 2, 29) + timedelta(days=day, minutes=37 * day) for day in range(14)]


@pytest.mark.parametrize("language", ["en", "ja"])
@pytest.mark.parametrize(
    "format_name", ["DATETIME_FORMAT", "SHORT_DATETIME_FORMAT", r"D l \a\t a A P, F E b M N jS"]
)
def test_date_format_is_djangos(language, format_name):
    with translation.override(language):
        format_string = get_format(format_name)
        formatted = _DateTimeFormat(format_string)

        shown = [formatted(moment) for moment in MOMENTS]

        assert shown == [dateformat.format(moment, format_string) for moment in MOMENTS]
