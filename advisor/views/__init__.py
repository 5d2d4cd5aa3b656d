"""Trusted Advisor for customers: the dashboard, one page per check, the AWS connection.

Function views, each parse -> access -> service -> render. htmx requests get the page's partial
(`page.html#region`); every page works without JavaScript (a reload shows what the htmx poll
would). Permission flags for the templates are decided here, never in templates.

Refresh progress on the check page: the Refresh button answers with the `refresh` region; while
the run is enqueued or processing that region polls `check_progress` every 2 s. The first answer
that is terminal has no poll trigger (so polling stops) and carries the `advisor-refreshed`
client event, on which the `check-result` region reloads itself. The dashboard works the same
way, except that only the small `checks-progress` element polls (the dashboard URL with
`?part=progress`), so focus and reading position in the list survive; the list reloads once,
on the event.

Screen readers hear progress from one persistent live region per page (`refresh-announcer`,
`checks-notice`), outside the swapped regions; responses update it out of band, and the check
page's poll does so only when the status differs from the one the page last showed (`shown`).
"""

from advisor.views.checks import (
    check_detail,
    check_download,
    check_exclude,
    check_include,
    check_progress,
    check_refresh,
)
from advisor.views.common import CATEGORY_LABELS, CSV_COLUMNS, PAGE_SIZE, REFRESHED_EVENT
from advisor.views.connection import connection, connection_delete, connection_test
from advisor.views.dashboard import dashboard, dashboard_refresh
from advisor.views.preferences import preferences

__all__ = [
    "CATEGORY_LABELS",
    "CSV_COLUMNS",
    "PAGE_SIZE",
    "REFRESHED_EVENT",
    "check_detail",
    "check_download",
    "check_exclude",
    "check_include",
    "check_progress",
    "check_refresh",
    "connection",
    "connection_delete",
    "connection_test",
    "dashboard",
    "dashboard_refresh",
    "preferences",
]
