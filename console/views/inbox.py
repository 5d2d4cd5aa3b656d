"""The engineers' inbox: what needs them (a new case, a customer's reply, an assignment, an SLA
about to be missed), the header's live counter, and the engineer's settings (time zone, which
kinds also come by email)."""

from __future__ import annotations

from django.contrib import messages
from django.db import transaction
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts.decorators import engineer_required
from accounts.http import SupportRequest
from accounts.services import user_update
from cases.alerts import KINDS
from console.forms import EngineerSettingsForm
from core.paging import read_page
from notifications import selectors
from notifications.inbox import inbox_mark_read, inbox_preference_set

PAGE_SIZE = 30


@require_GET
@engineer_required
def inbox(request: SupportRequest) -> HttpResponse:
    user = request.principal.require_user()
    unread_only = request.GET.get("show") == "unread"
    queryset = selectors.inbox_for(user, unread_only=unread_only)
    scope = {"list": "inbox", "user": user.pk, "unread": unread_only}
    page, links = read_page(request.GET, queryset, selectors.INBOX_ORDER, scope, limit=PAGE_SIZE)
    context = {
        "items": page.items,
        "kinds": {kind: str(label) for kind, label in KINDS.items()},
        "unread_only": unread_only,
        **links,
    }
    return render(request, "console/inbox.html", context)


@require_GET
@engineer_required
def inbox_count(request: SupportRequest) -> HttpResponse:
    """The header's counter, polled by htmx."""
    count = selectors.unread_count(request.principal.require_user())
    context = {"inbox_unread": count, "capped": count >= selectors.UNREAD_CAP}
    return render(request, "console/inbox_count.html", context)


@require_POST
@engineer_required
def inbox_open(request: SupportRequest, item_id: int) -> HttpResponse:
    """Mark an item read and go to what it is about."""
    user = request.principal.require_user()
    item = selectors.inbox_item_get(user, item_id)
    if item is None:
        raise Http404(_("Notification not found."))
    inbox_mark_read(user=user, item_ids=[item.pk])
    if not url_has_allowed_host_and_scheme(item.url, allowed_hosts={request.get_host()}):
        return redirect("console:inbox")
    return redirect(item.url)


@require_POST
@engineer_required
def inbox_read_all(request: SupportRequest) -> HttpResponse:
    changed = inbox_mark_read(user=request.principal.require_user())
    messages.success(request, _("%(count)d marked as read.") % {"count": changed})
    return redirect("console:inbox")


@require_http_methods(["GET", "POST"])
@engineer_required
def engineer_settings(request: SupportRequest) -> HttpResponse:
    """The engineer's own settings: their time zone, and which alerts also come by email."""
    user = request.principal.require_user()
    chosen = selectors.email_kinds_of(user)
    initial = {
        "time_zone": user.time_zone,
        "email_kinds": list(KINDS) if chosen is None or "*" in chosen else chosen,
    }
    form = EngineerSettingsForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        with transaction.atomic():
            user_update(
                user=user, actor=request.principal, time_zone=form.cleaned_data["time_zone"]
            )
            inbox_preference_set(user=user, email_kinds=form.cleaned_data["email_kinds"])
        messages.success(request, _("Settings saved."))
        return redirect("console:settings")
    return render(request, "console/settings.html", {"form": form})
