"""What the Trusted Advisor pages share: the IAM actions they check, labels, small helpers."""

from __future__ import annotations

from datetime import datetime

from accounts import access
from accounts.http import SupportRequest
from accounts.models import Account
from advisor.models import CheckState, RefreshStatus
from advisor.summaries import CATEGORY_LABELS as CATEGORY_LABELS  # the pages import it from here
from core.csvexport import Column

PAGE_SIZE = 50
REFRESHED_EVENT = "advisor-refreshed"

# IAM actions (the real Trusted Advisor console's names, plus our own for the connection).
DESCRIBE_SUMMARIES = "trustedadvisor:DescribeCheckSummaries"
DESCRIBE_ITEMS = "trustedadvisor:DescribeCheckItems"
REFRESH = "trustedadvisor:RefreshCheck"
EXCLUDE = "trustedadvisor:ExcludeCheckItems"
INCLUDE = "trustedadvisor:IncludeCheckItems"
UPDATE_CONNECTION = "trustedadvisor:UpdateAwsConnection"
# Support's own action: the check page links findings to the case form for those allowed it.
CREATE_CASE = "support:CreateCase"

# The download's own columns stay English whatever the page language, like the check's
# metadata headings that follow them (API facts): a file's columns must not depend on who
# downloaded it. Named apart from the metadata headings (many checks have their own "Region"
# and "Status"), so every column of the file has a unique header.
# The resource id is the API's `resourceId` and never altered (core.csvexport).
CSV_COLUMNS = (
    Column("Resource Status"),
    Column("Resource Region"),
    Column("Resource ID", identifier=True),
    Column("Excluded"),
)
# The dashboard's poll asks for its progress element only (`?part=progress`).
PROGRESS_PART = "progress"


def account_of(request: SupportRequest) -> Account:
    return request.principal.require_account()


def allowed(request: SupportRequest, action: str) -> bool:
    return access.is_allowed(request.principal, action)


def was_queued(state: CheckState, since: datetime) -> bool:
    """Whether `advisor_check_refresh` started a run now (it returns the state unchanged inside
    the minimum interval or while a run is already under way)."""
    return (
        state.refresh_status == RefreshStatus.ENQUEUED
        and state.refresh_requested_at is not None
        and state.refresh_requested_at >= since
    )
