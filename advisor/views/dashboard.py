"""The Trusted Advisor dashboard: counts per category, the flagged-resources chart, refresh all."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.decorators import customer_required
from accounts.http import SupportRequest
from advisor import console_selectors, selectors, services
from advisor.views.common import (
    CATEGORY_LABELS,
    DESCRIBE_SUMMARIES,
    PROGRESS_PART,
    REFRESH,
    REFRESHED_EVENT,
    UPDATE_CONNECTION,
    account_of,
    allowed,
    locked_context,
    was_queued,
)
from connections import selectors as connection_selectors


def _dashboard_context(request: SupportRequest, **extra: object) -> dict[str, Any]:
    account = account_of(request)
    specs = services.checks_available(account)
    # Checks outside the plan are listed, locked, with the plans that include them (as AWS's
    # console shows them to Basic and Developer customers); nothing of theirs is read.
    locked = services.checks_locked(account)
    data = selectors.dashboard(account, specs, locked)
    busy = False
    for category in data["categories"]:
        category["label"] = CATEGORY_LABELS.get(category["code"], category["code"])
        busy = busy or any(console_selectors.is_busy(row.state) for row in category["checks"])
    connection = connection_selectors.aws_connection_get(account)
    not_computed: dict[str, dict[str, Any]] = {}
    for check in selectors.checks_not_computed():
        group = not_computed.setdefault(
            check.category,
            {"label": CATEGORY_LABELS.get(check.category, check.category), "checks": []},
        )
        group["checks"].append(check)
    not_computed_count = sum(len(g["checks"]) for g in not_computed.values())
    return {
        "data": data,
        # The summary card counts what the page shows as not available: checks without a
        # result yet and the catalog's checks not computed here (listed at the page's foot).
        "not_available_count": data["totals"].get("not_available", 0) + not_computed_count,
        # AWS's checks this installation does not compute, by category: listed, never faked.
        "not_computed": list(not_computed.values()),
        "not_computed_count": not_computed_count,
        "check_ids": [spec.id for spec in specs],
        "connection": connection,
        "busy": busy,
        "full_plan": account.plan.full_trusted_advisor,
        "plan_name": account.plan.local_name,
        "locked_count": len(locked),
        # Savings come from cost-optimization checks only; without one (Basic, Developer) the
        # dashboard says where they come from instead of showing $0.00.
        "has_cost_checks": any(spec.category == "cost_optimizing" for spec in specs),
        "has_locked_cost_checks": any(spec.category == "cost_optimizing" for spec in locked),
        # The plans that include the locked checks: read only when there are some.
        **(locked_context(request) if locked else {}),
        "can_refresh": connection is not None and allowed(request, REFRESH),
        "can_connect": allowed(request, UPDATE_CONNECTION),
        **extra,
    }


def _dashboard_progress(request: SupportRequest) -> HttpResponse:
    """The poll while checks refresh: only the small progress element, so the list (and the
    focus in it) stays put. The first answer with nothing left running stops the poll and tells
    the list to reload itself once."""
    account = account_of(request)
    check_ids = [spec.id for spec in services.checks_available(account)]
    busy = console_selectors.any_busy(account, check_ids)
    response = render(request, "advisor/dashboard.html#checks-progress", {"busy": busy})
    if not busy:
        trigger_client_event(response, REFRESHED_EVENT)
    return response


@require_GET
@customer_required(DESCRIBE_SUMMARIES)
def dashboard(request: SupportRequest) -> HttpResponse:
    if request.htmx:
        if request.GET.get("part") == PROGRESS_PART:
            return _dashboard_progress(request)
        # The reload once every run has finished: the counts and the list, not the chart.
        return render(request, "advisor/dashboard.html#checks", _dashboard_context(request))
    context = _dashboard_context(request)
    context["history"] = selectors.flagged_history(account_of(request), context["check_ids"])
    return render(request, "advisor/dashboard.html", context)


def _refresh_all_notice(queued: int, skipped: int) -> str:
    parts = [
        ngettext(
            "%(count)d check queued for refresh.", "%(count)d checks queued for refresh.", queued
        )
        % {"count": queued}
    ]
    if skipped:
        parts.append(
            ngettext(
                "%(count)d skipped: refreshed recently or already refreshing.",
                "%(count)d skipped: refreshed recently or already refreshing.",
                skipped,
            )
            % {"count": skipped}
        )
    return " ".join(parts)


@require_POST
@customer_required(REFRESH)
def dashboard_refresh(request: SupportRequest) -> HttpResponse:
    """Refresh every check of the plan; those inside the minimum interval or already running
    are left alone by the service and counted as skipped."""
    principal = request.principal
    account = account_of(request)
    started = timezone.now()
    queued = skipped = 0
    for spec in services.checks_available(account):
        state = services.advisor_check_refresh(account=account, check_id=spec.id, actor=principal)
        if was_queued(state, started):
            queued += 1
        else:
            skipped += 1
    notice = _refresh_all_notice(queued, skipped)
    # Nothing queued is not a success: say so in the neutral (info) style.
    level, tag = (messages.SUCCESS, "success") if queued else (messages.INFO, "info")
    if request.htmx:
        context = _dashboard_context(request, notice=notice, notice_tag=tag)
        return render(request, "advisor/dashboard.html#checks", context)
    messages.add_message(request, level, notice)
    return redirect("advisor:dashboard")
