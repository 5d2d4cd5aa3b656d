"""`{{ moment|when }}`: a time in the viewer's time zone, with UTC on hover.

Views run under the viewer's zone (`accounts.middleware.ViewerTimeZoneMiddleware`), so Django's
date formatting already converts; this wraps the result in a `<time>` element whose
`datetime` is the exact instant and whose title gives it in UTC, for people comparing notes
across zones (and with AWS, which speaks UTC).
"""

from __future__ import annotations

from datetime import UTC, datetime

from django import template
from django.template.defaultfilters import date as date_filter
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()

DEFAULT_FORMAT = "Y-m-d H:i T"


@register.filter
def when(moment: datetime | None, fmt: str = DEFAULT_FORMAT) -> SafeString | str:
    if not moment:
        return ""
    utc = moment.astimezone(UTC)
    return format_html(
        '<time datetime="{}" title="{}">{}</time>',
        utc.isoformat(),
        utc.strftime("%Y-%m-%d %H:%M:%S UTC"),
        # The template engine converts only for filters that ask; this one converts itself.
        date_filter(timezone.localtime(moment), fmt),
    )
