"""Event rules for customers: the rule list, create and edit (with starter patterns), a rule's
page (state, targets, delete, resend an email target's confirmation), each target's delivery log
with replay, and the public page an emailed confirmation link opens.

Function views, each parse -> access -> service -> render. Every page works without JavaScript;
htmx swaps the pattern field for a starter (on the "Use starter pattern" button only, never on
choosing one), the rule's header when it is enabled or disabled, and the delivery log's pages.
Deleting a rule or removing a target asks first: a GET confirmation page without JavaScript,
htmx's confirm dialog with it. A new webhook's signing secret goes through the session
(Post/Redirect/Get) so that reloading the page cannot create a second target.

Tenant objects come only from the `access_event_*` loaders, which answer 404 for other
accounts' rules exactly as for missing ones. Webhook URLs (which may carry
a secret in their path) are shown whole only to people allowed to change targets
(events:PutTargets); others see scheme, host and port.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, cast

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.dateparse import parse_datetime
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access as account_access
from accounts.decorators import customer_required, no_access
from accounts.http import SupportRequest
from core import safejson, shown_once
from core.errors import SupportApiError, stored_message
from core.forms import add_service_error
from core.paging import read_page
from events import access, selectors, services
from events.forms import RuleForm, TargetForm, starter_text
from events.models import (
    ConfirmationStatus,
    DeliveryPurpose,
    DeliveryStatus,
    EventDelivery,
    EventRule,
    EventTarget,
    TargetKind,
)
from events.services import confirmation
from events.services.sending import event_text

if TYPE_CHECKING:
    from datetime import datetime

    from django.utils.datastructures import MultiValueDict

PAGE_SIZE = 20
# Session key: new webhooks' signing secrets (encrypted) by target primary key, waiting to be
# shown once on the rule's page.
NEW_SECRETS_SESSION_KEY = "events.new_webhook_secrets"


def _can(request: SupportRequest, action: str) -> bool:
    return account_access.is_allowed(request.principal, action)


# --- list ---------------------------------------------------------------------------------------


@require_GET
@customer_required("events:ListRules")
def rule_list(request: SupportRequest) -> HttpResponse:
    rules = selectors.rule_list_for_account(request.principal.require_account())
    return render(
        request,
        "events/rule_list.html",
        {"rules": rules, "can_create": _can(request, "events:PutRule")},
    )


# --- create and edit ----------------------------------------------------------------------------


def _with_starter(form: RuleForm) -> RuleForm:
    """The same form, its pattern replaced by the chosen starter (no validation yet)."""
    # A form's data is a QueryDict when bound, a MultiValueDict when not (typed as a Mapping).
    data = cast("MultiValueDict[str, Any]", form.data).copy()
    data["event_pattern"] = starter_text(data.get("starter", "")) or data.get("event_pattern", "")
    return RuleForm(data, initial=form.initial, editing=form.fields["name"].disabled)


@require_http_methods(["GET", "POST"])
@customer_required("events:PutRule")
def rule_create(request: SupportRequest) -> HttpResponse:
    principal = request.principal
    starter = request.GET.get("starter", "")
    form = RuleForm(
        request.POST or None, initial={"starter": starter, "event_pattern": starter_text(starter)}
    )
    if request.method == "POST" and "use_starter" in request.POST:
        # Without JavaScript, "Use starter" posts the form back: show it with the starter's
        # pattern, keeping the name and description, without validating yet.
        return render(request, "events/rule_form.html", {"form": _with_starter(form)})
    if request.method == "POST" and form.is_valid():
        data = dict(form.cleaned_data)  # add_error() below removes fields from cleaned_data
        try:
            rule = services.rule_create(
                account=principal.require_account(),
                actor=principal,
                name=data["name"],
                description=data["description"],
                event_pattern=data["event_pattern"],
            )
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Rule %(name)s created.") % {"name": rule.name})
            return redirect("events:rule", name=rule.name)
    status = 400 if request.method == "POST" else 200
    return render(request, "events/rule_form.html", {"form": form}, status=status)


@require_GET
@customer_required("events:PutRule")
def rule_starter(request: SupportRequest) -> HttpResponse:
    """The pattern field filled with a starter (htmx, from the "Use starter pattern" button);
    without htmx, the create page with it."""
    starter = request.GET.get("starter", "")
    text = starter_text(starter)
    if request.htmx:
        if not text:
            # "Write my own": nothing to swap in, the typed pattern stays (204: htmx swaps nothing).
            return HttpResponse(status=204)
        form = RuleForm(initial={"starter": starter, "event_pattern": text})
        return render(request, "events/rule_form.html#pattern-field", {"form": form})
    return redirect(f"{reverse('events:create')}?{urlencode({'starter': starter})}")


@require_http_methods(["GET", "POST"])
@customer_required("events:PutRule")
def rule_edit(request: SupportRequest, name: str) -> HttpResponse:
    principal = request.principal
    rule = access.access_event_rule(request.principal, name, action="events:PutRule")
    initial = {
        "name": rule.name,
        "description": rule.description,
        "event_pattern": json.dumps(
            safejson.sanitize(rule.event_pattern), indent=2, ensure_ascii=False
        ),
    }
    form = RuleForm(request.POST or None, initial=initial, editing=True)
    if request.method == "POST" and "use_starter" in request.POST:
        return render(request, "events/rule_form.html", {"form": _with_starter(form), "rule": rule})
    if request.method == "POST" and form.is_valid():
        try:
            services.rule_update(
                rule=rule,
                actor=principal,
                description=form.cleaned_data["description"],
                event_pattern=form.cleaned_data["event_pattern"],
            )
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Rule %(name)s saved.") % {"name": rule.name})
            return redirect("events:rule", name=rule.name)
    status = 400 if request.method == "POST" else 200
    return render(request, "events/rule_form.html", {"form": form, "rule": rule}, status=status)


# --- a rule's page ------------------------------------------------------------------------------


def _shown_destination(target: EventTarget, *, can_change: bool) -> str:
    """The whole webhook URL for people who may change targets; scheme, host and port for
    the others (chat webhooks keep their secret in the path)."""
    return target.destination if can_change else target.redacted_destination


def _confirmation_state(target: EventTarget) -> str | None:
    """Where the latest confirmation email stands: "sending" (not tried yet, or being sent),
    "retrying" (a try failed, another is due), "sent" or "failed"; None without one."""
    status = getattr(target, "confirmation_delivery_status", None)
    if status is None:
        return None
    if status == DeliveryStatus.DELIVERED:
        return "sent"
    if status == DeliveryStatus.FAILED:
        return "failed"
    if status == DeliveryStatus.PENDING and getattr(target, "confirmation_delivery_attempts", 0):
        return "retrying"
    return "sending"


def _targets(request: SupportRequest, rule: EventRule) -> list[EventTarget]:
    """The rule's targets, each with what this person may see of its destination and, for
    email targets pending confirmation, how the confirmation email is doing and whether
    another may be asked for now."""
    targets = selectors.rule_targets(rule)
    can_change = _can(request, "events:PutTargets")
    for target in targets:
        target.shown_destination = _shown_destination(target, can_change=can_change)  # type: ignore[attr-defined]
        pending = target.confirmation_status == ConfirmationStatus.PENDING
        available_at = confirmation.resend_available_at(target) if pending else None
        target.resend_available_at = available_at  # type: ignore[attr-defined]
        target.can_resend = can_change and pending and available_at is None  # type: ignore[attr-defined]
        target.confirmation_state = _confirmation_state(target) if pending else None  # type: ignore[attr-defined]
        # The latest confirmation email's error, in the reader's language.
        target.confirmation_delivery_error = stored_message(  # type: ignore[attr-defined]
            getattr(target, "confirmation_delivery_error", None) or "",
            getattr(target, "confirmation_delivery_error_phrase", None),
        )
    return targets


def _pop_new_secrets(request: SupportRequest, targets: list[EventTarget]) -> list[dict[str, str]]:
    """The signing secrets waiting to be shown for these targets (`core.shown_once`). Each:
    {"target_id", "secret"}."""
    shown = []
    for target in targets:
        kept = shown_once.take(request.session, NEW_SECRETS_SESSION_KEY, str(target.pk))
        if kept is not None:
            shown.append({"target_id": target.target_id, "secret": kept["secret"]})
    return shown


def _rule_context(request: SupportRequest, rule: EventRule, **extra: object) -> dict[str, object]:
    return {
        "rule": rule,
        "pattern": json.dumps(safejson.sanitize(rule.event_pattern), indent=2, ensure_ascii=False),
        "targets": _targets(request, rule),
        "target_form": extra.pop("target_form", None) or TargetForm(),
        "can_edit": _can(request, "events:PutRule"),
        "can_toggle": _can(request, "events:DisableRule" if rule.enabled else "events:EnableRule"),
        "can_delete": _can(request, "events:DeleteRule"),
        "can_add_target": _can(request, "events:PutTargets"),
        "can_remove_target": _can(request, "events:RemoveTargets"),
        **extra,
    }


@require_GET
@customer_required("events:DescribeRule")
def rule_detail(request: SupportRequest, name: str) -> HttpResponse:
    rule = access.access_event_rule(request.principal, name, action="events:DescribeRule")
    context = _rule_context(request, rule)
    new_secrets = _pop_new_secrets(request, cast("list[EventTarget]", context["targets"]))
    response = render(request, "events/rule_detail.html", {**context, "new_secrets": new_secrets})
    if new_secrets:
        # Shown once: keep the page out of every cache (and the back button's).
        response["Cache-Control"] = "no-store"
    return response


@require_POST
@customer_required()
def rule_set_state(request: SupportRequest, name: str) -> HttpResponse:
    """Enable (enabled=1) or disable (enabled=0) a rule; EnableRule / DisableRule."""
    enabled = request.POST.get("enabled") == "1"
    action = "events:EnableRule" if enabled else "events:DisableRule"
    if not _can(request, action):
        return no_access(request, action)
    rule = access.access_event_rule(request.principal, name, action=action)
    services.rule_set_enabled(rule=rule, actor=request.principal, enabled=enabled)
    if request.htmx:
        return render(request, "events/rule_detail.html#rule-header", _rule_context(request, rule))
    messages.success(
        request,
        (_("Rule %(name)s enabled.") if enabled else _("Rule %(name)s disabled."))
        % {"name": rule.name},
    )
    return redirect("events:rule", name=rule.name)


@require_http_methods(["GET", "POST"])
@customer_required("events:DeleteRule")
def rule_delete(request: SupportRequest, name: str) -> HttpResponse:
    """GET: the confirmation page (what deleting removes) for browsers without JavaScript;
    POST deletes (htmx posts directly, after its confirm dialog)."""
    rule = access.access_event_rule(request.principal, name, action="events:DeleteRule")
    if request.method == "GET":
        context = {"rule": rule, "target_count": selectors.rule_target_count(rule)}
        return render(request, "events/delete_confirm.html", context)
    services.rule_delete(rule=rule, actor=request.principal)
    messages.success(request, _("Rule %(name)s deleted.") % {"name": name})
    if request.htmx:
        # The confirmed htmx delete: the whole page goes to the list, not a fragment.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("events:rules")
        return response
    return redirect("events:rules")


# --- targets ------------------------------------------------------------------------------------


@require_POST
@customer_required("events:PutTargets")
def target_create(request: SupportRequest, name: str) -> HttpResponse:
    principal = request.principal
    rule = access.access_event_rule(request.principal, name, action="events:PutTargets")
    form = TargetForm(request.POST)
    if form.is_valid():
        try:
            # Prepared outside any transaction: a webhook's host is resolved (and refused if
            # it resolves to a private address), which can take a few seconds.
            prepared = services.target_prepare(rule=rule, actor=principal, **form.cleaned_data)
            target, secret = services.target_commit(prepared=prepared, actor=principal)
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            if target.kind == TargetKind.EMAIL:
                messages.success(
                    request,
                    _(
                        "Target %(id)s added. A confirmation email is on its way to %(email)s: "
                        "nothing else is sent there until its recipient confirms."
                    )
                    % {"id": target.target_id, "email": target.email},
                )
                return redirect("events:rule", name=rule.name)
            if secret:
                # Post/Redirect/Get: the rule's page shows the secret once, and reloading it
                # cannot post the form (and create a target) again.
                shown_once.keep(
                    request.session, NEW_SECRETS_SESSION_KEY, str(target.pk), secret=secret
                )
            messages.success(request, _("Target %(id)s added.") % {"id": target.target_id})
            if prepared.unresolved_host:
                # Saved all the same: deliveries retry, and the name may be published later.
                messages.warning(
                    request,
                    _(
                        "%(host)s does not resolve to an address at the moment. Events sent to "
                        "this webhook fail, and are retried, until it does."
                    )
                    % {"host": prepared.unresolved_host},
                )
            return redirect("events:rule", name=rule.name)
    context = _rule_context(request, rule, target_form=form)
    return render(request, "events/rule_detail.html", context, status=400)


@require_POST
@customer_required("events:PutTargets")
def target_resend_confirmation(request: SupportRequest, name: str, target_id: str) -> HttpResponse:
    """Send an email target's confirmation email again (rate-limited by the service)."""
    principal = request.principal
    target = access.access_event_target(
        request.principal, name, target_id, action="events:PutTargets"
    )
    try:
        services.target_confirmation_resend(target=target, actor=principal)
    except SupportApiError as error:
        messages.error(request, error.display_message)
    else:
        messages.success(
            request,
            _("Confirmation email sent again to %(email)s.") % {"email": target.email},
        )
    return redirect("events:rule", name=name)


@require_http_methods(["GET", "POST"])
@customer_required("events:RemoveTargets")
def target_delete(request: SupportRequest, name: str, target_id: str) -> HttpResponse:
    """GET: the confirmation page for browsers without JavaScript; POST removes the target
    and its delivery log (htmx posts directly, after its confirm dialog)."""
    target = access.access_event_target(
        request.principal, name, target_id, action="events:RemoveTargets"
    )
    if request.method == "GET":
        context = {"rule": target.rule, "target": target}
        return render(request, "events/delete_confirm.html", context)
    services.target_delete(target=target, actor=request.principal)
    messages.success(request, _("Target %(id)s removed.") % {"id": target_id})
    if request.htmx:
        # The whole rule page again (targets, counts and the message), not a fragment.
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("events:rule", args=[name])
        return response
    return redirect("events:rule", name=name)


# --- deliveries ---------------------------------------------------------------------------------


@require_GET
@customer_required("events:ListTargetsByRule")
def delivery_log(request: SupportRequest, name: str, target_id: str) -> HttpResponse:
    target = access.access_event_target(
        request.principal, name, target_id, action="events:ListTargetsByRule"
    )
    scope = {"list": "deliveries", "target": target.pk}
    page, links = read_page(
        request.GET,
        selectors.deliveries_of(target),
        selectors.DELIVERY_ORDER,
        scope,
        limit=PAGE_SIZE,
    )
    can_replay = _can(request, "events:StartReplay")
    for delivery in page.items:
        delivery.event_json = event_text(delivery.event)
        # A replay is a new delivery of the same event: the event's own time, not the replay's.
        delivery.event_time = _event_time(delivery)
        # The service refuses the others; the button is only offered where it would work.
        delivery.can_replay = (
            can_replay
            and delivery.status in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED)
            and delivery.purpose == DeliveryPurpose.EVENT
            and target.confirmation_status != ConfirmationStatus.PENDING
        )
    context = {
        "rule": target.rule,
        "target": target,
        "shown_destination": _shown_destination(
            target, can_change=_can(request, "events:PutTargets")
        ),
        "deliveries": page.items,
        **links,
    }
    if request.htmx:
        return render(request, "events/delivery_log.html#deliveries", context)
    return render(request, "events/delivery_log.html", context)


def _event_time(delivery: EventDelivery) -> datetime:
    """When the delivered event happened (its envelope's "time"); the delivery's creation
    if the envelope has no usable time."""
    value = delivery.event.get("time") if isinstance(delivery.event, dict) else None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    return parsed if parsed is not None and parsed.tzinfo is not None else delivery.created_at


@require_POST
@customer_required("events:StartReplay")
def delivery_replay(
    request: SupportRequest, name: str, target_id: str, delivery_id: str
) -> HttpResponse:
    delivery = access.access_event_delivery(
        request.principal, name, target_id, str(delivery_id), action="events:StartReplay"
    )
    try:
        replay = services.delivery_replay(delivery=delivery, actor=request.principal)
    except SupportApiError as error:
        messages.error(request, error.display_message)
    else:
        messages.success(request, _("Replay %(id)s queued.") % {"id": str(replay.delivery_id)[:8]})
    return redirect("events:deliveries", name=name, target_id=target_id)


# --- confirming an email target (public: the emailed link) ---------------------------------------


@require_http_methods(["GET", "POST"])
def target_confirm(request: SupportRequest, token: str) -> HttpResponse:
    """The page an email target's confirmation link opens; anyone holding the link may use it
    (the signed token is the access check). GET shows what is being confirmed and a Confirm
    button; only the POST confirms (mail scanners follow links). A bad or expired link gets a
    page saying so, never an error."""
    try:
        target = services.target_for_confirmation(token)
    except SupportApiError as error:
        expired = isinstance(error, services.ConfirmationLinkExpired)
        response = render(
            request,
            "events/confirm.html",
            {"error": error.display_message, "expired": expired},
            status=410 if expired else 400,
        )
    else:
        confirmed_now = False
        if request.method == "POST":
            confirmed_now = services.target_confirm(target=target, actor=request.principal)
        response = render(
            request,
            "events/confirm.html",
            {
                "target": target,
                "rule": target.rule,
                "confirmed": target.confirmation_status == ConfirmationStatus.CONFIRMED,
                "confirmed_now": confirmed_now,
            },
        )
    # The link is a credential: keep the page out of caches and its URL out of Referer headers.
    response["Cache-Control"] = "no-store"
    # same-origin, not no-referrer: with no-referrer the browser sends `Origin: null` on the
    # Confirm POST and CSRF protection refuses it; same-origin still keeps the token out of
    # any other site's Referer.
    response["Referrer-Policy"] = "same-origin"
    return response
