"""Trusted Advisor writes, by sub-domain; import them from here.

- `availability`: which checks a plan includes, and the API's opaque resource ids.
- `refresh`: the refresh status machine, the worker's run, results and their item events.
- `exclusions`: excluding and including resources.
- `jobs`: the weekly refresh, the sweep of stuck runs, the history purge.
- `reports`: the weekly email, its recipients and their own preference.
"""

from advisor.services.availability import (
    MSG_PREMIUM_REQUIRED,
    MSG_UNKNOWN_CHECK,
    TRUSTED_ADVISOR_SOURCE,
    check_available,
    check_included,
    check_known,
    checks_available,
    checks_locked,
    resource_id_for,
)
from advisor.services.exclusions import advisor_resources_set_excluded
from advisor.services.jobs import (
    advisor_refresh_scheduled,
    advisor_refresh_sweep,
    advisor_results_purge,
)
from advisor.services.refresh import (
    MSG_NOT_CONNECTED,
    MSG_RUN_AGAIN,
    MSG_TIMED_OUT,
    MSG_WORKER_LOST,
    RunSuperseded,
    advisor_check_refresh,
    advisor_check_run,
    millis_until_refreshable,
    result_store,
)
from advisor.services.reports import (
    advisor_weekly_reports_send,
    weekly_report_preference_set,
    weekly_report_receives,
    weekly_report_recipients,
    weekly_report_render,
)

__all__ = [
    "MSG_NOT_CONNECTED",
    "MSG_PREMIUM_REQUIRED",
    "MSG_RUN_AGAIN",
    "MSG_TIMED_OUT",
    "MSG_UNKNOWN_CHECK",
    "MSG_WORKER_LOST",
    "TRUSTED_ADVISOR_SOURCE",
    "RunSuperseded",
    "advisor_check_refresh",
    "advisor_check_run",
    "advisor_refresh_scheduled",
    "advisor_refresh_sweep",
    "advisor_resources_set_excluded",
    "advisor_results_purge",
    "advisor_weekly_reports_send",
    "check_available",
    "check_included",
    "check_known",
    "checks_available",
    "checks_locked",
    "millis_until_refreshable",
    "resource_id_for",
    "result_store",
    "weekly_report_preference_set",
    "weekly_report_receives",
    "weekly_report_recipients",
    "weekly_report_render",
]
