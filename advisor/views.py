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

from __future__ import annotations

import csv
import logging
import re
from collections.abc import Iterator
from datetime import datetime
from typing import Any, cast

from django.conf import settings
from django.contrib import messages
from django.http import HttpResponse, StreamingHttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import trigger_client_event

from accounts import access
from accounts.decorators import customer_required
from accounts.http import SupportRequest
from accounts.models import Account
from advisor import access as advisor_access
from advisor import console_selectors, selectors, services
from advisor.checks.base import CheckSpec
from advisor.console_selectors import FILTER_ALL
from advisor.forms import (
    ConnectionForm,
    ResourceFilterForm,
    ResourceSelectionForm,
)
from advisor.models import CheckResource, CheckState, RefreshStatus
from connections import selectors as connection_selectors
from connections import services as connection_services
from connections.models import AwsConnection, ConnectionMode
from core.errors import SupportApiError
from core.forms import add_service_error
from core.paging import cursor_from_token, keyset_page, page_token

logger = logging.getLogger(__name__)

PAGE_SIZE = 50
REFRESHED_EVENT = "advisor-refreshed"

# IAM actions (the real Trusted Advisor console's names, plus our own for the connection).
DESCRIBE_SUMMARIES = "trustedadvisor:DescribeCheckSummaries"
DESCRIBE_ITEMS = "trustedadvisor:DescribeCheckItems"
REFRESH = "trustedadvisor:RefreshCheck"
EXCLUDE = "trustedadvisor:ExcludeCheckItems"
INCLUDE = "trustedadvisor:IncludeCheckItems"
UPDATE_CONNECTION = "trustedadvisor:UpdateAwsConnection"

CATEGORY_LABELS = {
    "cost_optimizing": gettext_lazy("Cost optimization"),
    "security": gettext_lazy("Security"),
    "fault_tolerance": gettext_lazy("Fault tolerance"),
    "performance": gettext_lazy("Performance"),
    "service_limits": gettext_lazy("Service limits"),
}
# The download's own columns stay English whatever the page language, like the check's
# metadata headings that follow them (API facts): a file's columns must not depend on who
# downloaded it. Named apart from the metadata headings (many checks have their own "Region"
# and "Status"), so every column of the file has a unique header.
CSV_COLUMNS = ("Resource Status", "Resource Region", "Resource ID", "Excluded")
# The dashboard's poll asks for its progress element only (`?part=progress`).
PROGRESS_PART = "progress"
# A cell a spreadsheet would run as a formula (OWASP "CSV injection"); plain numbers are data.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
NUMBER_RE = re.compile(r"^[+-]?\d+(\.\d+)?$")


def _account(request: SupportRequest) -> Account:
    return request.principal.require_account()


def _allowed(request: SupportRequest, action: str) -> bool:
    return access.is_allowed(request.principal, action)


def _was_queued(state: CheckState, since: datetime) -> bool:
    """Whether `advisor_check_refresh` started a run now (it returns the state unchanged inside
    the minimum interval or while a run is already under way)."""
    return (
        state.refresh_status == RefreshStatus.ENQUEUED
        and state.refresh_requested_at is not None
        and state.refresh_requested_at >= since
    )


# --- dashboard ----------------------------------------------------------------------------------


def _dashboard_context(request: SupportRequest, **extra: object) -> dict[str, Any]:
    account = _account(request)
    specs = services.checks_available(account)
    data = selectors.dashboard(account, specs)
    busy = False
    for category in data["categories"]:
        category["label"] = CATEGORY_LABELS.get(category["code"], category["code"])
        busy = busy or any(console_selectors.is_busy(row.state) for row in category["checks"])
    connection = connection_selectors.aws_connection_get(account)
    return {
        "data": data,
        "check_ids": [spec.id for spec in specs],
        "connection": connection,
        "busy": busy,
        "full_plan": account.plan.full_trusted_advisor,
        "plan_name": account.plan.name,
        # Savings come from cost-optimization checks only; without one (Basic, Developer) the
        # dashboard says where they come from instead of showing $0.00.
        "has_cost_checks": any(spec.category == "cost_optimizing" for spec in specs),
        "can_refresh": connection is not None and _allowed(request, REFRESH),
        "can_connect": _allowed(request, UPDATE_CONNECTION),
        **extra,
    }


def _dashboard_progress(request: SupportRequest) -> HttpResponse:
    """The poll while checks refresh: only the small progress element, so the list (and the
    focus in it) stays put. The first answer with nothing left running stops the poll and tells
    the list to reload itself once."""
    account = _account(request)
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
    context["history"] = selectors.flagged_history(_account(request), context["check_ids"])
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
    account = _account(request)
    started = timezone.now()
    queued = skipped = 0
    for spec in services.checks_available(account):
        state = services.advisor_check_refresh(account=account, check_id=spec.id, actor=principal)
        if _was_queued(state, started):
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


# --- check page ---------------------------------------------------------------------------------


def _refresh_context(
    request: SupportRequest, state: CheckState | None, *, connected: bool, **extra: object
) -> dict[str, Any]:
    """What the `refresh` region shows: the status, the abandoned reason, the wait."""
    busy = console_selectors.is_busy(state)
    wait_ms = services.millis_until_refreshable(state) if state is not None else 0
    return {
        "state": state,
        "refresh_status": state.refresh_status if state is not None else RefreshStatus.NONE,
        "busy": busy,
        "wait_ms": wait_ms,
        "connected": connected,
        "can_refresh": _allowed(request, REFRESH),
        "refresh_possible": connected and not busy and wait_ms == 0,
        **extra,
    }


def _filters(form: ResourceFilterForm) -> tuple[str, str]:
    data = form.cleaned_data if form.is_valid() else {}
    return data.get("status") or FILTER_ALL, data.get("cursor") or ""


def _check_query(status_filter: str, cursor: str = "") -> str:
    params: dict[str, str] = {}
    if status_filter != FILTER_ALL:
        params["status"] = status_filter
    if cursor:
        params["cursor"] = cursor
    return urlencode(params)


def _check_context(
    request: SupportRequest, spec: CheckSpec, filter_form: ResourceFilterForm, **extra: object
) -> dict[str, Any]:
    account = _account(request)
    status_filter, token = _filters(filter_form)
    state = selectors.check_state_get(account, spec.id)
    result = state.latest_result if state is not None else None
    resources = console_selectors.check_resources_filtered(result, status_filter)
    # A cursor belongs to one result of this check and one filter: after a refresh (a new
    # result) or with another filter, the table starts at its first page.
    scope = {
        "list": "check-resources",
        "result": result.pk if result else 0,
        "status": status_filter,
    }
    order = selectors.RESOURCE_ORDER
    cursor = cursor_from_token(token, CheckResource, order, scope, strict=False)
    page = keyset_page(resources, order, cursor=cursor, limit=PAGE_SIZE)
    base_url = reverse("advisor:check", args=[spec.id])
    query = _check_query(status_filter, token if cursor is not None else "")
    connected = connection_selectors.aws_connection_get(account) is not None
    return {
        "spec": spec,
        "description": spec.description_html(),
        "category_label": CATEGORY_LABELS.get(spec.category, spec.category),
        "result": result,
        "status": selectors.check_status(state),
        "is_cost": spec.category == "cost_optimizing",
        "account_level": not spec.metadata,
        "filter_form": filter_form,
        "status_filter": status_filter,
        "resources": page.items,
        "cursor": token if cursor is not None else "",
        # The pager keeps the filter; the region reloads itself at the same filter and page.
        "query": _check_query(status_filter),
        "next_token": page_token(page.next_cursor, scope),
        "previous_token": page_token(page.previous_cursor, scope),
        "results_url": f"{base_url}?{query}" if query else base_url,
        "can_exclude": _allowed(request, EXCLUDE),
        "can_include": _allowed(request, INCLUDE),
        **_refresh_context(request, state, connected=connected),
        **extra,
    }


@require_GET
@customer_required(DESCRIBE_ITEMS)
def check_detail(request: SupportRequest, check_id: str) -> HttpResponse:
    spec = advisor_access.access_check(request.principal, check_id)
    context = _check_context(request, spec, ResourceFilterForm(request.GET or None))
    if request.htmx:
        return render(request, "advisor/check.html#check-result", context)
    return render(request, "advisor/check.html", context)


@require_GET
@customer_required(DESCRIBE_ITEMS)
def check_progress(request: SupportRequest, check_id: str) -> HttpResponse:
    """The `refresh` region, polled while a run is under way (the page itself without htmx)."""
    spec = advisor_access.access_check(request.principal, check_id)
    if not request.htmx:
        return redirect("advisor:check", check_id=spec.id)
    account = _account(request)
    state = selectors.check_state_get(account, spec.id)
    connected = connection_selectors.aws_connection_get(account) is not None
    context = {"spec": spec, **_refresh_context(request, state, connected=connected)}
    # The status the page shows now (the poll's own parameter; anything else just counts as
    # different). Screen readers hear a change once, not every poll.
    context["announce"] = request.GET.get("shown") != context["refresh_status"]
    response = render(request, "advisor/check.html#refresh", context)
    if not context["busy"]:
        # Terminal: the poll stops (the region has no trigger now); the results reload.
        trigger_client_event(response, REFRESHED_EVENT)
    return response


def _refresh_notice(state: CheckState, queued: bool) -> str:
    if queued:
        return ""
    if console_selectors.is_busy(state):
        return _("A refresh of this check is already under way.")
    if state.next_refreshable_at is not None:
        return _("This check was refreshed recently. You can refresh it again in %(time)s.") % {
            "time": timeuntil(state.next_refreshable_at)
        }
    return _("This check was refreshed recently.")


@require_POST
@customer_required(REFRESH)
def check_refresh(request: SupportRequest, check_id: str) -> HttpResponse:
    spec = advisor_access.access_check(request.principal, check_id)
    account = _account(request)
    started = timezone.now()
    state = services.advisor_check_refresh(
        account=account,
        check_id=spec.id,
        actor=request.principal,
    )
    notice = _refresh_notice(state, _was_queued(state, started))
    if request.htmx:
        connected = connection_selectors.aws_connection_get(account) is not None
        context = {
            "spec": spec,
            **_refresh_context(request, state, connected=connected, refresh_notice=notice),
            "announce": True,  # the answer to a button press: always heard
        }
        return render(request, "advisor/check.html#refresh", context)
    if notice:
        messages.info(request, notice)
    return redirect("advisor:check", check_id=spec.id)


def _set_excluded(request: SupportRequest, check_id: str, *, excluded: bool) -> HttpResponse:
    spec = advisor_access.access_check(request.principal, check_id)
    principal = request.principal
    filter_form = ResourceFilterForm(request.POST)
    selection = ResourceSelectionForm(request.POST)
    notice = error = ""
    if not selection.is_valid():
        # ErrorList.__getitem__ gives the message text (typed as ValidationError | str).
        error = cast(str, selection.errors["resource_ids"][0])
    else:
        try:
            changed = services.advisor_resources_set_excluded(
                account=principal.require_account(),
                check_id=spec.id,
                resource_ids=selection.cleaned_data["resource_ids"],
                excluded=excluded,
                actor=principal,
            )
        except SupportApiError as failure:
            error = failure.message
        else:
            if excluded:
                text = ngettext(
                    "%(count)d resource excluded.", "%(count)d resources excluded.", changed
                )
            else:
                text = ngettext(
                    "%(count)d resource included again.",
                    "%(count)d resources included again.",
                    changed,
                )
            notice = text % {"count": changed}
    if request.htmx:
        context = _check_context(
            request, spec, filter_form, action_notice=notice, action_error=error
        )
        return render(request, "advisor/check.html#check-result", context)
    if error:
        messages.error(request, error)
    else:
        messages.success(request, notice)
    query = _check_query(*_filters(filter_form))
    url = reverse("advisor:check", args=[spec.id])
    return redirect(f"{url}?{query}" if query else url)


@require_POST
@customer_required(EXCLUDE)
def check_exclude(request: SupportRequest, check_id: str) -> HttpResponse:
    return _set_excluded(request, check_id, excluded=True)


@require_POST
@customer_required(INCLUDE)
def check_include(request: SupportRequest, check_id: str) -> HttpResponse:
    return _set_excluded(request, check_id, excluded=False)


class _Echo:
    """A file-like object for csv.writer that hands each line back instead of storing it."""

    def write(self, value: str) -> str:
        return value


def csv_safe(value: object) -> str:
    """The cell as text, with a leading quote when a spreadsheet would run it as a formula."""
    text = "" if value is None else str(value)
    if text.startswith(FORMULA_START) and not NUMBER_RE.match(text):
        return "'" + text
    return text


@require_GET
@customer_required(DESCRIBE_ITEMS)
def check_download(request: SupportRequest, check_id: str) -> HttpResponseBase:
    """Every row of the latest result (excluded ones marked), streamed in the check's order."""
    spec = advisor_access.access_check(request.principal, check_id)
    state = selectors.check_state_get(_account(request), spec.id)
    rows = selectors.check_resource_values(state.latest_result if state is not None else None)
    writer = csv.writer(_Echo())

    def lines() -> Iterator[str]:
        yield writer.writerow([*CSV_COLUMNS, *spec.metadata])
        for status, region, resource_id, is_suppressed, metadata in rows.iterator(chunk_size=1000):
            cells = [
                status,
                region,
                resource_id,
                "true" if is_suppressed else "false",
                *metadata,
            ]
            yield writer.writerow([csv_safe(cell) for cell in cells])

    response = StreamingHttpResponse(lines(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="trusted-advisor-{spec.id}.csv"'
    response["Cache-Control"] = "private, no-store"
    return response


# --- connection ---------------------------------------------------------------------------------


def _connection_initial(current: AwsConnection | None) -> dict[str, Any]:
    if current is None:
        sample = settings.ADVISOR_SAMPLE_ENABLED
        return {
            "mode": ConnectionMode.SAMPLE if sample else ConnectionMode.ROLE,
            "regions": ["us-east-1"],
        }
    return {
        "mode": current.mode,
        "access_key_id": current.access_key_id,
        "role_arn": current.role_arn,
        "regions": current.regions,
    }


def _connection_form(*args: Any, **kwargs: Any) -> ConnectionForm:
    return ConnectionForm(
        *args,
        regions=connection_services.known_regions(),
        sample=settings.ADVISOR_SAMPLE_ENABLED,
        **kwargs,
    )


def _connection_context(
    form: ConnectionForm, current: AwsConnection | None, account: Account
) -> dict[str, Any]:
    return {
        "form": form,
        "connection": current,
        "has_secret": bool(current is not None and current.secret_access_key_encrypted),
        # Shown, never typed: the role's trust policy must require exactly this value.
        "external_id": connection_services.external_id_for(account),
    }


@require_http_methods(["GET", "POST"])
@customer_required(UPDATE_CONNECTION)
def connection(request: SupportRequest) -> HttpResponse:
    principal = request.principal
    account = _account(request)
    current = connection_selectors.aws_connection_get(account)
    if request.method != "POST":
        form = _connection_form(initial=_connection_initial(current))
        return render(
            request, "advisor/connection.html", _connection_context(form, current, account)
        )
    form = _connection_form(request.POST)
    if form.is_valid():
        data = dict(form.cleaned_data)  # add_service_error drops the field it flags
        try:
            connection_services.aws_connection_set(account=account, actor=principal, **data)
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            messages.success(
                request, _("AWS environment saved. Refresh the checks to see their results.")
            )
            return redirect("advisor:connection")
    return render(request, "advisor/connection.html", _connection_context(form, current, account))


@require_POST
@customer_required(UPDATE_CONNECTION)
def connection_delete(request: SupportRequest) -> HttpResponse:
    deleted = connection_services.aws_connection_delete(
        account=_account(request),
        actor=request.principal,
    )
    if deleted:
        messages.success(request, _("AWS environment disconnected. Earlier results are kept."))
    else:
        messages.info(request, _("No AWS environment was connected."))
    return redirect("advisor:connection")


@require_POST
@customer_required(UPDATE_CONNECTION)
def connection_test(request: SupportRequest) -> HttpResponse:
    """Reach the environment once and report the AWS account id, or why it failed."""
    outcome: dict[str, str] = {}
    try:
        outcome["test_account_id"] = connection_services.aws_connection_verify(
            account=_account(request)
        )
    except SupportApiError as error:
        outcome["test_error"] = error.message
    except Exception:
        # An external call can fail in ways boto3 does not wrap (a corrupt stored secret, a
        # sample environment that cannot start): say so on the page instead of a 500.
        logger.exception("AWS connection test failed for %s", _account(request).account_id)
        outcome["test_error"] = _("The connection could not be tested. Try again later.")
    if request.htmx:
        return render(request, "advisor/connection.html#connection-test", outcome)
    if "test_error" in outcome:
        messages.error(
            request, _("Connection test failed: %(error)s") % {"error": outcome["test_error"]}
        )
    else:
        messages.success(
            request,
            _("Connection works: AWS account %(id)s.") % {"id": outcome["test_account_id"]},
        )
    return redirect("advisor:connection")
