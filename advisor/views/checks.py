"""One page per check: its result table (keyset-paged), live refresh progress, exclusions and
the CSV download."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, cast

from django.contrib import messages
from django.http import HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _
from django.utils.translation import ngettext
from django.views.decorators.http import require_GET, require_POST
from django_htmx.http import trigger_client_event

from accounts.decorators import customer_required
from accounts.http import SupportRequest
from advisor import access as advisor_access
from advisor import console_selectors, selectors, services
from advisor.checks.base import CheckSpec
from advisor.console_selectors import FILTER_ALL
from advisor.forms import (
    ResourceFilterForm,
    ResourceSelectionForm,
)
from advisor.headings import heading_labels
from advisor.models import CheckResource, CheckState, RefreshStatus
from advisor.views.common import (
    CATEGORY_LABELS,
    CREATE_CASE,
    CSV_COLUMNS,
    DESCRIBE_ITEMS,
    EXCLUDE,
    INCLUDE,
    PAGE_SIZE,
    REFRESH,
    REFRESHED_EVENT,
    account_of,
    allowed,
    locked_context,
    was_queued,
)
from connections import selectors as connection_selectors
from core.csvexport import Column, csv_download
from core.errors import SupportApiError
from core.forms import applied_filters
from core.paging import cursor_from_token, keyset_page, page_token


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
        "can_refresh": allowed(request, REFRESH),
        "refresh_possible": connected and not busy and wait_ms == 0,
        **extra,
    }


def _filters(form: ResourceFilterForm) -> tuple[str, str]:
    data = applied_filters(form)
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
    account = account_of(request)
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
        # The columns' headings in the page's language (the CSV keeps AWS's English).
        "headings": heading_labels(spec.metadata),
        "filter_form": filter_form,
        "status_filter": status_filter,
        "resources": page.items,
        "cursor": token if cursor is not None else "",
        # The pager keeps the filter; the region reloads itself at the same filter and page.
        "query": _check_query(status_filter),
        "next_token": page_token(page.next_cursor, scope),
        "previous_token": page_token(page.previous_cursor, scope),
        "results_url": f"{base_url}?{query}" if query else base_url,
        "can_exclude": allowed(request, EXCLUDE),
        "can_include": allowed(request, INCLUDE),
        # "Ask for help with this" opens the case form: only for those who may open cases.
        "can_ask": allowed(request, CREATE_CASE),
        # A limit's finding asks for more: the link opens a service limit increase case.
        "is_limit_check": spec.category == "service_limits",
        **_refresh_context(request, state, connected=connected),
        **extra,
    }


def _locked_context(request: SupportRequest, spec: CheckSpec) -> dict[str, Any]:
    """A check outside the plan: what it is and which plans include it. Nothing of the
    account's is read for it (no state, result or connection) and no action is offered."""
    return {
        "spec": spec,
        "locked": True,
        "description": spec.description_html(),
        "category_label": CATEGORY_LABELS.get(spec.category, spec.category),
        "plan_name": account_of(request).plan.local_name,
        **locked_context(request),
    }


@require_GET
@customer_required(DESCRIBE_ITEMS)
def check_detail(request: SupportRequest, check_id: str) -> HttpResponse:
    spec, locked = advisor_access.access_check_page(request.principal, check_id)
    if locked:
        context = _locked_context(request, spec)
        # htmx reloads the results region of a page shown while the plan included the check:
        # it becomes the explanation.
        template = "advisor/check.html#locked" if request.htmx else "advisor/check.html"
        return render(request, template, context)
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
    account = account_of(request)
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
    account = account_of(request)
    started = timezone.now()
    state = services.advisor_check_refresh(
        account=account,
        check_id=spec.id,
        actor=request.principal,
    )
    notice = _refresh_notice(state, was_queued(state, started))
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


@require_GET
@customer_required(DESCRIBE_ITEMS)
def check_download(request: SupportRequest, check_id: str) -> HttpResponseBase:
    """Every row of the latest result (excluded ones marked), streamed in the check's order.
    The resource id is the API's `resourceId`, exactly (an identifier column)."""
    spec = advisor_access.access_check(request.principal, check_id)
    state = selectors.check_state_get(account_of(request), spec.id)
    rows = selectors.check_resource_values(state.latest_result if state is not None else None)
    columns = [*CSV_COLUMNS, *(Column(str(heading)) for heading in spec.metadata)]

    def lines() -> Iterator[list[object]]:
        for status, region, resource_id, is_suppressed, metadata in rows.iterator(chunk_size=1000):
            yield [
                status,
                region,
                resource_id,
                "true" if is_suppressed else "false",
                *metadata,
            ]

    return csv_download(f"trusted-advisor-{spec.id}.csv", columns, lines())
