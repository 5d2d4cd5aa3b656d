"""Event history (CloudTrail's lookup for the account's own records) and trails."""

from __future__ import annotations

import json
from collections.abc import Iterator

from django.contrib import messages
from django.db.models import QuerySet
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.access import authorize, is_allowed
from accounts.decorators import customer_required
from accounts.http import SupportRequest
from audit import selectors
from audit.models import AuditEvent
from cloudtrail import access
from cloudtrail import services as trails
from cloudtrail.forms import LookupForm, TrailForm
from core import safejson
from core.csvexport import Column, csv_download
from core.errors import SupportApiError
from core.forms import add_service_error, applied_filters
from core.paging import keyset_order, read_page

PAGE_SIZE = 50
DOWNLOAD_LIMIT = 10_000
# The ids are ours (ASCK... keys, UUIDs) and written exactly; user and resource names are
# chosen by customers and neutralised like any text (core.csvexport).
CSV_COLUMNS = [
    Column("eventTime"),
    Column("eventName"),
    Column("eventSource"),
    Column("userName"),
    Column("accessKeyId", identifier=True),
    Column("readOnly"),
    Column("resourceName"),
    Column("errorCode"),
    Column("sourceIPAddress"),
    Column("eventID", identifier=True),
]


def _history(request: SupportRequest) -> tuple[LookupForm, QuerySet[AuditEvent]]:
    form = LookupForm(request.GET or None)
    filters = applied_filters(form)
    queryset = access.event_history_for_principal(
        request.principal,
        attribute=filters.get("attribute", ""),
        value=filters.get("value", ""),
        start=filters.get("start"),
        end=filters.get("end"),
    )
    return form, queryset


def _scope(request: SupportRequest) -> dict[str, str]:
    return {
        "account": request.principal.require_account().account_id,
        **{k: request.GET.get(k, "") for k in ("attribute", "value", "start", "end")},
    }


@require_GET
@customer_required("cloudtrail:LookupEvents")
def event_history(request: SupportRequest) -> HttpResponse:
    form, queryset = _history(request)
    page, links = read_page(
        request.GET, queryset, selectors.HISTORY_ORDER, _scope(request), limit=PAGE_SIZE
    )
    context = {"form": form, "rows": page.items, **links}
    if request.htmx:
        return render(request, "cloudtrail/event_history.html#results", context)
    return render(request, "cloudtrail/event_history.html", context)


@require_GET
@customer_required("cloudtrail:LookupEvents")
def event_detail(request: SupportRequest, event_id: str) -> HttpResponse:
    event = access.access_audit_event(request.principal, event_id)
    record = json.dumps(selectors.to_cloudtrail(event), indent=2, ensure_ascii=False)
    return render(request, "cloudtrail/event_detail.html", {"event": event, "record": record})


@require_GET
@customer_required("cloudtrail:LookupEvents")
def event_download(request: SupportRequest, fmt: str) -> HttpResponseBase:
    if fmt not in ("json", "csv"):
        raise Http404(_("Unknown format."))
    queryset = _history(request)[1]
    events = keyset_order(queryset, selectors.HISTORY_ORDER)[:DOWNLOAD_LIMIT]
    if fmt == "json":
        body = json.dumps(
            {"Records": [selectors.to_cloudtrail(e) for e in events]}, ensure_ascii=False
        )
        response: HttpResponseBase = HttpResponse(body, content_type="application/json")
        response["Content-Disposition"] = 'attachment; filename="event-history.json"'
        return response

    def rows() -> Iterator[list[object]]:
        for event in events.iterator(chunk_size=1000):
            cells = [
                event.event_time.strftime("%Y-%m-%dT%H:%M:%SZ"),
                event.event_name,
                event.event_source,
                event.user_name,
                event.access_key_id,
                str(event.read_only).lower(),
                event.resource_name,
                event.error_code,
                event.source_ip,
                str(event.event_id),
            ]
            # Whatever a record holds, the download encodes (a lone surrogate would end the
            # stream half-way, after the 200 went out).
            yield [safejson.scrub(cell) for cell in cells]

    return csv_download("event-history.csv", CSV_COLUMNS, rows())


def _warn_unresolved(request: SupportRequest, host: str) -> None:
    """Saved all the same: deliveries retry, and the name may be published later."""
    messages.warning(
        request,
        _(
            "%(host)s does not resolve to an address at the moment. Deliveries of this trail "
            "fail, and are retried, until it does."
        )
        % {"host": host},
    )


def _trails_page(
    request: SupportRequest, form: TrailForm, *, status: int = 200, **extra: object
) -> HttpResponse:
    principal = request.principal
    context = {
        "form": form,
        "trails": access.trails_for_principal(principal),
        "can_create": is_allowed(principal, "cloudtrail:CreateTrail"),
        "can_start": is_allowed(principal, "cloudtrail:StartLogging"),
        "can_stop": is_allowed(principal, "cloudtrail:StopLogging"),
        "can_delete": is_allowed(principal, "cloudtrail:DeleteTrail"),
        **extra,
    }
    return render(request, "cloudtrail/trails.html", context, status=status)


@require_http_methods(["GET", "POST"])
@customer_required("cloudtrail:DescribeTrails")
def trail_list(request: SupportRequest) -> HttpResponse:
    principal = request.principal
    form = TrailForm(request.POST or None)
    if request.method == "POST":
        authorize(principal, "cloudtrail:CreateTrail")
        if form.is_valid():
            try:
                # Prepared outside any transaction: an S3 endpoint's host is resolved (and
                # refused if it resolves to a private address), which can take a few seconds.
                prepared = trails.trail_prepare(
                    account=principal.require_account(), actor=principal, **form.cleaned_data
                )
                trails.trail_commit(prepared=prepared, actor=principal)
            except SupportApiError as error:
                add_service_error(form, error)
            else:
                if prepared.unresolved_host:
                    _warn_unresolved(request, prepared.unresolved_host)
                return redirect("cloudtrail:trails")
        # Refused: the form again with its errors, as every other form answers them.
        return _trails_page(request, form, status=400)
    return _trails_page(request, form)


@require_POST
@customer_required("cloudtrail:DescribeTrails")
def trail_verify(request: SupportRequest, name: str) -> HttpResponse:
    trail = access.access_trail(request.principal, name)
    problems = trails.trail_verify(trail)
    return _trails_page(request, TrailForm(), verified=trail, problems=problems)


@require_POST
@customer_required()
def trail_set_state(request: SupportRequest, name: str) -> HttpResponse:
    """Enable (enabled=1: StartLogging) or disable (enabled=0: StopLogging) a trail."""
    enabled = request.POST.get("enabled") == "1"
    action = "cloudtrail:StartLogging" if enabled else "cloudtrail:StopLogging"
    trail = access.access_trail(request.principal, name, action=action)
    try:
        _trail, unresolved_host = trails.trail_set_enabled(
            trail=trail, actor=request.principal, enabled=enabled
        )
    except SupportApiError as error:
        messages.error(request, error.display_message)
    else:
        done = _("Trail {name} enabled.") if enabled else _("Trail {name} disabled.")
        messages.success(request, done.format(name=trail.name))
        if unresolved_host:
            _warn_unresolved(request, unresolved_host)
    return redirect("cloudtrail:trails")


@require_http_methods(["GET", "POST"])
@customer_required("cloudtrail:DeleteTrail")
def trail_delete(request: SupportRequest, name: str) -> HttpResponse:
    """GET: the confirmation page for browsers without JavaScript; POST deletes (htmx posts
    directly, after its confirm dialog)."""
    trail = access.access_trail(request.principal, name, action="cloudtrail:DeleteTrail")
    if request.method == "GET":
        return render(request, "cloudtrail/trail_delete.html", {"trail": trail})
    trails.trail_delete(trail=trail, actor=request.principal)
    messages.success(request, _("Trail {name} deleted.").format(name=name))
    if request.htmx:
        # The confirmed htmx delete: the whole page again, not a fragment.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("cloudtrail:trails")
        return response
    return redirect("cloudtrail:trails")
