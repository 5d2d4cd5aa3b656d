"""Trusted Advisor writes, by sub-domain; import them from here.

- `availability`: which checks a plan includes, and the API's opaque resource ids.
- `connections`: the account's AWS environment (access key, role with our external id, sample).
- `refresh`: the refresh status machine, the worker's run, results and their item events.
- `exclusions`: excluding and including resources.
- `jobs`: the weekly refresh, the sweep of stuck runs, the history purge.
"""

from advisor.services.availability import (
    MSG_PREMIUM_REQUIRED,
    MSG_UNKNOWN_CHECK,
    TRUSTED_ADVISOR_SOURCE,
    check_available,
    checks_available,
    resource_id_for,
)
from advisor.services.connections import (
    MSG_BAD_KEY_ID,
    MSG_BAD_REGION,
    MSG_BAD_ROLE_ARN,
    MSG_NO_REGIONS,
    MSG_NO_SAMPLE,
    MSG_NO_SECRET,
    aws_connection_delete,
    aws_connection_set,
    aws_connection_verify,
    external_id_for,
    known_regions,
)
from advisor.services.exclusions import advisor_resources_set_excluded
from advisor.services.jobs import (
    advisor_refresh_scheduled,
    advisor_refresh_sweep,
    advisor_results_purge,
)
from advisor.services.refresh import (
    MSG_NOT_CONNECTED,
    MSG_TIMED_OUT,
    RunSuperseded,
    advisor_check_refresh,
    advisor_check_run,
    millis_until_refreshable,
    result_store,
)

__all__ = [
    "MSG_BAD_KEY_ID",
    "MSG_BAD_REGION",
    "MSG_BAD_ROLE_ARN",
    "MSG_NOT_CONNECTED",
    "MSG_NO_REGIONS",
    "MSG_NO_SAMPLE",
    "MSG_NO_SECRET",
    "MSG_PREMIUM_REQUIRED",
    "MSG_TIMED_OUT",
    "MSG_UNKNOWN_CHECK",
    "TRUSTED_ADVISOR_SOURCE",
    "RunSuperseded",
    "advisor_check_refresh",
    "advisor_check_run",
    "advisor_refresh_scheduled",
    "advisor_refresh_sweep",
    "advisor_resources_set_excluded",
    "advisor_results_purge",
    "aws_connection_delete",
    "aws_connection_set",
    "aws_connection_verify",
    "check_available",
    "checks_available",
    "external_id_for",
    "known_regions",
    "millis_until_refreshable",
    "resource_id_for",
    "result_store",
]
