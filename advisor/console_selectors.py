"""Reads the customer console (advisor/views.py) needs beyond advisor/selectors.py.

Kept apart from `selectors.py` (shared with the API layer) so the console's filters can change
without touching what the Support API answers. Every function is scoped by the result or the
account it is given.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import QuerySet

from accounts.models import Account
from advisor.models import CheckResource, CheckResult, CheckState, RefreshStatus
from advisor.selectors import check_resources

# The resource filters of the check page: every listed row, the red ones, the yellow ones (both
# without the excluded rows, which no longer count), and the excluded ones.
FILTER_ALL = "all"
FILTER_ERROR = "error"
FILTER_WARNING = "warning"
FILTER_EXCLUDED = "excluded"
RESOURCE_FILTERS = (FILTER_ALL, FILTER_ERROR, FILTER_WARNING, FILTER_EXCLUDED)
BUSY = (RefreshStatus.ENQUEUED, RefreshStatus.PROCESSING)


def check_resources_filtered(
    result: CheckResult | None, status_filter: str = FILTER_ALL
) -> QuerySet[CheckResource]:
    """The rows of `result` in the check's order, narrowed by one of RESOURCE_FILTERS."""
    queryset = check_resources(result)
    if status_filter == FILTER_EXCLUDED:
        return queryset.filter(is_suppressed=True)
    if status_filter in (FILTER_ERROR, FILTER_WARNING):
        return queryset.filter(status=status_filter, is_suppressed=False)
    return queryset


def is_busy(state: CheckState | None) -> bool:
    """A run is waiting for a worker or running."""
    return state is not None and state.refresh_status in BUSY


def any_busy(account: Account, check_ids: Iterable[str]) -> bool:
    """Whether any of the account's given checks has a run waiting or running (one query): the
    dashboard's progress poll."""
    return CheckState.objects.filter(
        account=account, check_id__in=list(check_ids), refresh_status__in=BUSY
    ).exists()
