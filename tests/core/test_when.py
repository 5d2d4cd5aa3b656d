"""`when`: the default format written directly is what Django's date filter writes for it."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.template.defaultfilters import date as date_filter
from django.utils import timezone

from core.templatetags.when import (
    DEFAULT_FORMAT,
    _labelled,
    _local_text,
    when,
    when_text,
    zone_label,
)

MOMENTS = [
    datetime(2026, 1, 5, 3, 4, 5, tzinfo=UTC),
    datetime(2026, 7, 31, 23, 59, 59, 999999, tzinfo=UTC),
    datetime(2027, 12, 31, 15, 0, tzinfo=UTC) + timedelta(microseconds=1),
]


@pytest.mark.parametrize(
    "zone", ["UTC", "Asia/Tokyo", "America/New_York", "Europe/London", "Asia/Dubai", "Asia/Kolkata"]
)
def test_the_default_format_is_djangos(zone: str) -> None:
    with timezone.override(zone):
        for moment in MOMENTS:
            local = timezone.localtime(moment)
            expected = str(date_filter(local, _labelled(DEFAULT_FORMAT, zone_label(local))))
            assert _local_text(moment, DEFAULT_FORMAT) == expected
            assert when_text(moment) == expected
            assert f">{expected}</time>" in when(moment)


def test_other_formats_still_go_through_djangos_filter() -> None:
    with timezone.override("Asia/Dubai"):
        assert when_text(MOMENTS[0], "j M Y, H:i e") == "5 Jan 2026, 07:04 UTC+04:00"
    with timezone.override("Asia/Tokyo"):
        assert when_text(MOMENTS[0], r"\T Y T") == "T 2026 JST"


def test_the_element_and_an_escaped_format() -> None:
    with timezone.override("Asia/Tokyo"):
        html = when(MOMENTS[0])
        assert html == (
            '<time datetime="2026-01-05T03:04:05+00:00" title="2026-01-05 03:04:05 UTC">'
            "2026-01-05 12:04 JST</time>"
        )
        # A format's literal text is escaped.
        assert ">&lt;b&gt; 2026</time>" in when(MOMENTS[0], r"<\b> Y")
