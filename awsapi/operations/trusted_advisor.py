"""Trusted Advisor operations: parse -> check availability -> selector/service -> shape.

Shapes follow botocore's model, with the values AWS answers: OK rows are listed for checks whose
criteria have a Green status, account-level checks have no `region` or `metadata`, and every
check carries `categorySpecificSummary.costOptimizing`.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from django.utils import timezone, translation

from advisor import selectors
from advisor import services as advisor
from advisor.checks.base import CheckSpec
from advisor.models import CheckResult, CheckState, RefreshStatus
from awsapi.dispatch import CallContext, operation

# The languages we have translations for; the model's other languages answer in English.
LANGUAGES = {"en", "ja"}


def _timestamp(moment: datetime | None) -> str:
    return (moment or timezone.now()).astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def _language(body: dict[str, Any]) -> str:
    language = (body.get("language") or "en").split("_")[0].lower()
    return language if language in LANGUAGES else "en"


def _summary_parts(result: CheckResult | None) -> dict[str, Any]:
    if result is None:
        return {
            "timestamp": _timestamp(None),
            "status": "not_available",
            "resourcesSummary": {
                "resourcesProcessed": 0,
                "resourcesFlagged": 0,
                "resourcesIgnored": 0,
                "resourcesSuppressed": 0,
            },
            "categorySpecificSummary": {
                "costOptimizing": {
                    "estimatedMonthlySavings": 0.0,
                    "estimatedPercentMonthlySavings": 0.0,
                }
            },
        }
    return {
        "timestamp": _timestamp(result.computed_at),
        "status": result.status,
        "resourcesSummary": {
            "resourcesProcessed": result.resources_processed,
            "resourcesFlagged": result.resources_flagged,
            "resourcesIgnored": result.resources_ignored,
            "resourcesSuppressed": result.resources_suppressed,
        },
        "categorySpecificSummary": {
            "costOptimizing": {
                "estimatedMonthlySavings": result.estimated_monthly_savings,
                "estimatedPercentMonthlySavings": result.estimated_percent_monthly_savings,
            }
        },
    }


def _specs(ctx: CallContext, check_ids: list[str]) -> list[CheckSpec]:
    return [advisor.check_available(ctx.account, check_id) for check_id in check_ids]


def _refresh_status(check_id: str, state: CheckState | None) -> dict[str, Any]:
    if state is None:
        return {"checkId": check_id, "status": RefreshStatus.NONE, "millisUntilNextRefreshable": 0}
    return {
        "checkId": check_id,
        "status": state.refresh_status,
        "millisUntilNextRefreshable": advisor.millis_until_refreshable(state),
    }


@operation("DescribeTrustedAdvisorChecks", read_only=True)
def describe_trusted_advisor_checks(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    with translation.override(_language(body)):
        checks = [
            {
                "id": spec.id,
                "name": str(spec.name),
                "description": spec.description_html(),
                "category": spec.category,
                "metadata": list(spec.metadata),
            }
            for spec in advisor.checks_available(ctx.account)
        ]
    return {"checks": checks}


@operation("DescribeTrustedAdvisorCheckResult", read_only=True)
def describe_trusted_advisor_check_result(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    spec = advisor.check_available(ctx.account, body["checkId"])
    state = selectors.check_state_get(ctx.account, spec.id)
    result = state.latest_result if state is not None else None
    account_level = not spec.metadata
    flagged = []
    for status, region, resource_id, is_suppressed, metadata in selectors.check_resource_values(
        result
    ):
        item: dict[str, Any] = {"status": status}
        if region and not account_level:
            item["region"] = region
        item["resourceId"] = resource_id
        item["isSuppressed"] = is_suppressed
        if not account_level:
            item["metadata"] = metadata
        flagged.append(item)
    return {"result": {"checkId": spec.id, **_summary_parts(result), "flaggedResources": flagged}}


@operation("DescribeTrustedAdvisorCheckSummaries", read_only=True)
def describe_trusted_advisor_check_summaries(
    ctx: CallContext, body: dict[str, Any]
) -> dict[str, Any]:
    specs = _specs(ctx, body["checkIds"])
    states = selectors.check_states(ctx.account, [s.id for s in specs])
    summaries = []
    for spec in specs:
        state = states.get(spec.id)
        result = state.latest_result if state is not None else None
        parts = _summary_parts(result)
        summaries.append(
            {
                "checkId": spec.id,
                "timestamp": parts["timestamp"],
                "status": parts["status"],
                "hasFlaggedResources": result is not None and result.resources_listed > 0,
                "resourcesSummary": parts["resourcesSummary"],
                "categorySpecificSummary": parts["categorySpecificSummary"],
            }
        )
    return {"summaries": summaries}


# The service records only console refreshes (as the console's RefreshCheck); an API call is
# recorded here, busy or not.
@operation("RefreshTrustedAdvisorCheck", audited_by_service=False)
def refresh_trusted_advisor_check(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    state = advisor.advisor_check_refresh(
        account=ctx.account, check_id=body["checkId"], actor=ctx.principal
    )
    return {"status": _refresh_status(state.check_id, state)}


@operation("DescribeTrustedAdvisorCheckRefreshStatuses", read_only=True)
def describe_trusted_advisor_check_refresh_statuses(
    ctx: CallContext, body: dict[str, Any]
) -> dict[str, Any]:
    specs = _specs(ctx, body["checkIds"])
    states = selectors.check_states(ctx.account, [s.id for s in specs])
    return {"statuses": [_refresh_status(s.id, states.get(s.id)) for s in specs]}
