"""The engineers' queues: every open case by first-response deadline, and the chat and
phone-callback requests."""

from __future__ import annotations

from typing import cast

from django.http import HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_GET

from accounts.decorators import engineer_required
from accounts.http import SupportRequest
from accounts.models import User
from console import selectors
from console.forms import QueueFilterForm
from core.forms import applied_filters
from core.paging import read_page

PAGE_SIZE = 25


def _queue_page(
    request: SupportRequest, *, template: str, contact_methods: tuple[str, ...] = ()
) -> HttpResponse:
    engineers = list(selectors.engineers())
    form = QueueFilterForm(request.GET or None, engineers=engineers)
    filters = applied_filters(form)
    now = timezone.now()
    queryset = selectors.queue(
        plan=filters.get("plan", ""),
        severity=filters.get("severity", ""),
        service=filters.get("service", ""),
        status=filters.get("status", ""),
        assignee=filters.get("assignee", ""),
        breached=bool(filters.get("breached")),
        contact_methods=contact_methods,
        # An engineer with no services listed covers them all.
        service_ids=_covered_services(request) if filters.get("mine") else None,
        now=now,
    )
    # A cursor belongs to one queue and one set of filters; any other's is refused. Blank filters
    # are left out: the first page's form is unbound and has none.
    scope = {"contact_methods": list(contact_methods), **{k: v for k, v in filters.items() if v}}
    page, links = read_page(request.GET, queryset, selectors.QUEUE_ORDER, scope, limit=PAGE_SIZE)
    rows = [
        (case, selectors.first_response_clock(case, now), selectors.next_reply_clock(case, now))
        for case in page.items
    ]
    context = {"form": form, "rows": rows, **links}
    if request.htmx:
        # The results region is defined once, in the queue's template, which the real-time
        # queue's template extends (a partial is looked up in the named template only).
        return render(request, "console/queue.html#results", context)
    return render(request, template, context)


def _covered_services(request: SupportRequest) -> list[int] | None:
    # engineer_required: the user is a signed-in engineer.
    ids = list(cast(User, request.user).services.values_list("pk", flat=True))
    return ids or None


@require_GET
@engineer_required
def queue(request: SupportRequest) -> HttpResponse:
    return _queue_page(request, template="console/queue.html")


@require_GET
@engineer_required
def realtime(request: SupportRequest) -> HttpResponse:
    """Chat and phone-callback requests: a queue of their own."""
    return _queue_page(request, template="console/realtime.html", contact_methods=("chat", "phone"))
