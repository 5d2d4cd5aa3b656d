"""`{{ moment|when }}`: a time in the viewer's time zone, with UTC on hover.

Views run under the viewer's zone (`accounts.middleware.ViewerTimeZoneMiddleware`), so Django's
date formatting already converts; this wraps the result in a `<time>` element whose
`datetime` is the exact instant and whose title gives it in UTC, for people comparing notes
across zones (and with AWS, which speaks UTC). `{{ moment|when_text }}` is the same time as
plain text, for emails.

The zone is labelled by `zone_label`, not by the zone database's abbreviation: a zone at UTC's
offset (London or Dublin in winter, Reykjavik, "Etc/GMT") would say "GMT" where the rest of the
product says "UTC" for the same time. A format's `T` or `e` is that label.
"""

from __future__ import annotations

import functools
from datetime import UTC, datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

register = template.Library()

DEFAULT_FORMAT = "Y-m-d H:i T"
# Django's format characters naming the zone.
ZONE_CHARACTERS = "Te"


def zone_label(moment: datetime) -> str:
    """How an aware local time's zone is written: "UTC" at UTC's offset whatever the zone
    calls itself, its abbreviation elsewhere ("JST", "EST", "BST"), and the offset from UTC for a
    zone without one ("UTC+04:00" where the database says "+04")."""
    offset = moment.utcoffset()
    if not offset:
        return "UTC"
    name = moment.tzname() or ""
    if name and name[0] not in "+-":
        return name
    minutes = int(offset.total_seconds()) // 60
    sign = "+" if minutes >= 0 else "-"
    return f"UTC{sign}{abs(minutes) // 60:02d}:{abs(minutes) % 60:02d}"


@functools.lru_cache(maxsize=256)
def _labelled(fmt: str, label: str) -> str:
    """`fmt` with each unescaped zone character replaced by `label`, escaped as literal text."""
    literal = "".join(f"\\{char}" for char in label)
    out: list[str] = []
    escaped = False
    for char in fmt:
        if escaped:
            out.append(char)
            escaped = False
        elif char == "\\":
            out.append(char)
            escaped = True
        elif char in ZONE_CHARACTERS:
            out.append(literal)
        else:
            out.append(char)
    return "".join(out)


def _local_text(moment: datetime, fmt: str) -> str:
    # The template engine converts only for filters that ask; these convert themselves.
    local = timezone.localtime(moment)
    label = zone_label(local)
    if fmt == DEFAULT_FORMAT:
        # What Django's date filter writes for it, without its format parser: a list page shows
        # sixty of these, and the parser was a tenth of the page's time.
        return f"{local:%Y-%m-%d %H:%M} {label}"
    return str(date_filter(local, _labelled(fmt, label)))


@register.filter
def when(moment: datetime | None, fmt: str = DEFAULT_FORMAT) -> SafeString | str:
    if not moment:
        return ""
    utc = moment.astimezone(UTC)
    # Only the local text needs escaping (a format's literal text); the instants are digits and
    # punctuation. format_html escaped all three, 60 times a list page.
    local = escape(_local_text(moment, fmt))
    return mark_safe(  # noqa: S308
        f'<time datetime="{utc.isoformat()}" title="{utc:%Y-%m-%d %H:%M:%S} UTC">{local}</time>'
    )


@register.filter
def when_text(moment: datetime | None, fmt: str = DEFAULT_FORMAT) -> str:
    """The time in the current zone as plain text (emails), its zone labelled as `when` does."""
    if not moment:
        return ""
    return _local_text(moment, fmt)
