"""Excluding resources from a check (suppressed rows stay listed, marked)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db import transaction

from accounts.models import Account
from accounts.principals import Principal
from advisor.models import CheckState, ResourceExclusion
from advisor.services.availability import TRUSTED_ADVISOR_SOURCE, check_available
from advisor.services.refresh import summarise
from audit import services as audit
from audit.names import AuditEventName


@transaction.atomic
def advisor_resources_set_excluded(
    *,
    account: Account,
    check_id: str,
    resource_ids: Iterable[str],
    excluded: bool,
    actor: Principal,
) -> int:
    """Exclude (or include again) resources of a check. The latest result is re-summarised so
    its counts and status reflect the change at once; later runs keep the exclusion. Unknown ids
    are ignored. Returns how many listed resources changed. Audit: Exclude/IncludeCheckItems.
    """
    check_available(account, check_id)
    state = (
        CheckState.objects.select_related("latest_result")
        .filter(account=account, check_id=check_id)
        .first()
    )
    result = state.latest_result if state is not None else None
    # Only resources the latest run listed can be excluded: an id is opaque, so one that was
    # never listed would be stored blind.
    wanted: list[str] = []
    if result is not None:
        wanted = list(
            result.resources.filter(resource_id__in=list(dict.fromkeys(resource_ids))).values_list(
                "resource_id", flat=True
            )
        )
    if excluded:
        ResourceExclusion.objects.bulk_create(
            [
                ResourceExclusion(
                    account=account, check_id=check_id, resource_id=rid, created_by_arn=actor.arn
                )
                for rid in wanted
            ],
            ignore_conflicts=True,
        )
    else:
        ResourceExclusion.objects.filter(
            account=account, check_id=check_id, resource_id__in=wanted
        ).delete()
    changed = 0
    if result is not None and wanted:
        changed = (
            result.resources.filter(resource_id__in=wanted)
            .exclude(is_suppressed=excluded)
            .update(is_suppressed=excluded)
        )
        rows = list(result.resources.all())
        summarise(result, rows, result.resources_ignored)
        result.save(
            update_fields=[
                "status",
                "resources_flagged",
                "resources_suppressed",
                "estimated_monthly_savings",
                "estimated_percent_monthly_savings",
                "updated_at",
            ]
        )
    if wanted:
        audit.record(
            actor=actor,
            event_name=(
                AuditEventName.EXCLUDE_CHECK_ITEMS
                if excluded
                else AuditEventName.INCLUDE_CHECK_ITEMS
            ),
            account=account,
            event_source=TRUSTED_ADVISOR_SOURCE,
            request_parameters={"checkId": check_id, "resourceIds": wanted[:50]},
            resources=[{"ResourceType": "AWS::TrustedAdvisor::Check", "ResourceName": check_id}],
        )
    return changed
