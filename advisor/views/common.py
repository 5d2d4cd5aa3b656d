"""What the Trusted Advisor pages share: the IAM actions they check, labels, small helpers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.utils.translation import gettext as _

from accounts import access
from accounts.http import SupportRequest
from accounts.models import Account
from advisor.models import CheckState, RefreshStatus
from advisor.summaries import CATEGORY_LABELS as CATEGORY_LABELS  # the pages import it from here
from catalog import selectors as catalog_selectors
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
# What the support plan page asks: locked checks link to it for those allowed to open it.
DESCRIBE_PLANS = "support:DescribeSeverityLevels"

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


def plan_names_text(names: list[str]) -> str:
    """Plan names as one phrase in the page's language, any one of them will do: "Business",
    "Business or Enterprise", "Business, Enterprise On-Ramp or Enterprise"."""
    if len(names) < 2:
        return "".join(names)
    if len(names) == 2:
        # Its own message: Japanese joins two names without the comma a longer list takes.
        return _("%(first)s or %(second)s") % {"first": names[0], "second": names[1]}
    earlier = names[0]
    for name in names[1:-1]:
        earlier = _("%(earlier)s, %(later)s") % {"earlier": earlier, "later": name}
    return _("%(earlier)s or %(last)s") % {"earlier": earlier, "last": names[-1]}


def locked_context(request: SupportRequest) -> dict[str, Any]:
    """What the pages say about locked checks: the plans that include them, from the plans as
    configured (one query), and whether this person may open the support plan page."""
    return {
        "locked_plans": plan_names_text(catalog_selectors.plan_names_with_full_trusted_advisor()),
        "can_see_plans": allowed(request, DESCRIBE_PLANS),
    }
