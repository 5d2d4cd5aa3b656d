"""A case in the console: everything the customer gave, the timeline, the account, and the
actions (claim, assign, release to the queue, reply, change status without a reply, note, CC,
reclassify, callback, reopen, resolve by reply, legal hold)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.contrib import messages
from django.forms import Form
from django.http import Http404, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts import access as account_access
from accounts.decorators import engineer_required
from accounts.http import SupportRequest
from cases import access as case_access
from cases import lifecycle
from cases import selectors as case_selectors
from cases import services as case_services
from cases.forms import CcForm, split_addresses
from cases.http import attachment_response, chat_poll_response, new_attachments
from cases.models import Case, CaseStatus
from cases.services import holds
from cases.timeline import case_timeline
from catalog.models import ContactMethod
from console import selectors
from console import services as console_services
from console.forms import (
    AssignForm,
    CallbackForm,
    EngineerReplyForm,
    MacroPickForm,
    NoteForm,
    ReclassifyForm,
    StatusForm,
)
from core.errors import SupportApiError
from core.forms import add_service_error
from macros import selectors as macro_selectors

# The forms of the case page, by the action that posts them (each kept on a failed post).
FORMS: dict[str, Callable[..., Form]] = {
    "note": NoteForm,
    "cc": CcForm,
    "callback": CallbackForm,
}


def reply_statuses(request: SupportRequest, case: Case) -> set[str]:
    """The statuses a reply may leave the case in: the ones it can move to, or the one it is in
    (a resolved case only reopens, with its own button, so a reply to it keeps it resolved)."""
    allowed = lifecycle.allowed_transitions(case, request.principal)
    return {str(status) for status in allowed} | {case.status}


def reply_form(request: SupportRequest, case: Case, *args: Any, **kwargs: Any) -> EngineerReplyForm:
    return EngineerReplyForm(*args, statuses=reply_statuses(request, case), **kwargs)


def _case_context(request: SupportRequest, case: Case, **forms: Form) -> dict[str, Any]:
    user = request.principal.require_user()
    now = timezone.now()
    allowed = lifecycle.allowed_transitions(case, request.principal)
    chat_log = case_selectors.chat_log(case) if case.contact_method == ContactMethod.CHAT else None
    communications = [] if chat_log else case_selectors.case_communications(case)
    # The newest message on screen: a reply sent after a newer one arrived asks to be confirmed.
    seen = chat_log.after_message if chat_log else max((c.pk for c in communications), default=0)
    return {
        "case": case,
        "related": case_selectors.related_case(request.principal, case),
        # A chat reads oldest first and live, as the customer sees it.
        "chat": chat_log,
        "is_open": lifecycle.is_open(case.status),
        "communications": communications,
        "notes": case_selectors.case_internal_notes(case),
        "timeline": case_timeline(case),
        "account_panel": selectors.account_panel(case),
        "reply_form": forms.get("reply") or reply_form(request, case, initial={"seen": seen}),
        "macro_form": forms.get("macro")
        or MacroPickForm(macros=macro_selectors.macro_list_active()),
        "note_form": forms.get("note") or NoteForm(),
        "cc_form": forms.get("cc") or CcForm(),
        "callback_form": forms.get("callback") or CallbackForm(),
        "reclassify_form": forms.get("reclassify") or ReclassifyForm(case=case),
        "status_form": forms.get("status") or _status_form(request, case),
        "assign_form": AssignForm(
            engineers=selectors.engineers(), initial={"engineer": user.login}
        ),
        # A case someone has is handed over with the assign form, which names the new assignee.
        "can_claim": case.assignee_id is None,
        # Any engineer may hand a case over (`case_assign`), so any may give it back.
        "can_release": case.assignee_id is not None,
        "can_reopen": CaseStatus.REOPENED in allowed,
        "can_release_hold": holds.can_release(request.principal, case),
        "is_phone": _is_phone(case),
        "first_response": selectors.first_response_clock(case, now),
        "next_reply": selectors.next_reply_clock(case, now),
    }


def _status_form(request: SupportRequest, case: Case) -> StatusForm | None:
    """The Change status form, offering what the lifecycle allows without a reply (None: no
    such change from this status)."""
    statuses = _status_choices(request, case)
    if not statuses:
        return None
    return StatusForm(statuses=statuses, initial={"seen": case.status})


def _status_choices(request: SupportRequest, case: Case) -> set[str]:
    return {str(s) for s in lifecycle.status_update_transitions(case, request.principal)}


def _invalid(request: SupportRequest, case: Case, action: str, form: Form) -> HttpResponse:
    """The case page again, the failed form kept with its errors and what was typed."""
    context = _case_context(request, case, **{action: form})
    return render(request, "console/case.html", context, status=400)


@require_GET
@engineer_required
def case(request: SupportRequest, case_id: str) -> HttpResponse:
    item = case_access.access_case_by_case_id(request.principal, case_id)
    return render(request, "console/case.html", _case_context(request, item))


@require_POST
@engineer_required
def case_action(request: SupportRequest, case_id: str, action: str) -> HttpResponse:
    """The case page's actions. A form that does not validate, or that a service refuses, comes
    back on the page with its errors; refusals of buttons without a form come back as a
    message."""
    principal = request.principal
    item = case_access.access_case_by_case_id(principal, case_id)
    if action == "claim":
        return _button(request, item, lambda: _claim(request, item))
    if action == "assign":
        return _button(request, item, lambda: _assign(request, item))
    if action == "release":
        return _button(request, item, lambda: _release(request, item))
    if action == "reopen":
        return _button(request, item, lambda: case_services.case_reopen(case=item, actor=principal))
    if action == "hold":
        return _button(
            request, item, lambda: holds.case_legal_hold_place(case=item, actor=principal)
        )
    if action == "release-hold":
        return _button(
            request, item, lambda: holds.case_legal_hold_release(case=item, actor=principal)
        )
    if action == "callback" and not _is_phone(item):
        return _callback_refused(request, item)
    if action == "reclassify":
        form: Form = ReclassifyForm(request.POST, case=item)
    elif action == "reply":
        form = reply_form(request, item, request.POST, request.FILES)
    elif action == "status":
        form = StatusForm(request.POST, statuses=_status_choices(request, item))
    elif action in FORMS:
        form = FORMS[action](request.POST, request.FILES)
    else:
        raise Http404(_("Unknown action."))
    if not form.is_valid():
        return _invalid(request, item, action, form)
    data = dict(form.cleaned_data)  # add_service_error removes the field it flags
    if action == "reply" and not data["confirm"] and data["seen"] is not None:
        latest = case_selectors.latest_communication_pk(item)
        if latest > data["seen"]:
            return _reply_over_newer(request, item, latest)
    try:
        _perform(request, item, action, data)
    except SupportApiError as error:
        add_service_error(form, error)
        return _invalid(request, item, action, form)
    return redirect("console:case", case_id=item.case_id)


def _reply_over_newer(request: SupportRequest, item: Case, latest: int) -> HttpResponse:
    """The page again, with the newer message on it and the reply kept, asking the engineer to
    send it anyway (no reply silently crosses one they have not read)."""
    data = request.POST.copy()
    data["seen"], data["confirm"] = str(latest), "on"
    form = reply_form(request, item, data)
    form.is_valid()
    message = _("A newer message arrived while you wrote (below). Send yours anyway, or change it.")
    if request.FILES:
        message += " " + _("Attach your files again: browsers do not keep them.")
    form.add_error(None, message)
    context = _case_context(request, item, reply=form)
    return render(request, "console/case.html", context, status=409)


def _perform(request: SupportRequest, item: Case, action: str, data: dict[str, Any]) -> None:
    principal = request.principal
    if action == "reply":
        case_services.case_support_reply_with_files(
            case=item,
            actor=principal,
            body=data["body"],
            next_status=data["next_status"],
            files=new_attachments(data["attachments"]),
        )
    elif action == "note":
        case_services.case_internal_note_add_with_files(
            case=item,
            actor=principal,
            body=data["body"],
            files=new_attachments(data["attachments"]),
        )
    elif action == "cc":
        case_services.case_add_cc(
            case=item, actor=principal, cc_email_addresses=split_addresses(data["cc"])
        )
    elif action == "callback":
        _callback(request, item, reached=data["reached"], outcome=data["outcome"])
    elif action == "status":
        case_services.case_status_update(
            case=item,
            actor=principal,
            status=data["status"],
            seen_status=data["seen"],
            note=data["note"],
        )
    else:
        service_code, category_code = data["classification"].split("/", 1)
        case_services.case_reclassify(
            case=item,
            actor=principal,
            severity_code=data["severity"],
            service_code=service_code,
            category_code=category_code,
            reason=data["reason"],
        )


def _is_phone(item: Case) -> bool:
    return item.contact_method == ContactMethod.PHONE


def _callback(request: SupportRequest, item: Case, *, reached: bool, outcome: str) -> None:
    case_services.case_callback_record(
        case=item, actor=request.principal, reached=reached, outcome=outcome
    )


def _callback_refused(request: SupportRequest, item: Case) -> HttpResponse:
    """A callback posted for a case that is not a phone case (an old tab, a script): its page
    has no callback form to show the refusal beside, so the refusal is the page's message, and
    the typed outcome waits in the internal note form, where it can still be kept."""
    outcome = request.POST.get("outcome", "").strip()
    try:
        _callback(request, item, reached=request.POST.get("reached") == "yes", outcome=outcome)
    except SupportApiError as error:
        message = error.display_message
    else:
        return redirect("console:case", case_id=item.case_id)
    if outcome:
        message += " " + _("What you typed is in the internal note form below.")
    messages.error(request, message)
    context = _case_context(request, item, note=NoteForm(initial={"body": outcome}))
    return render(request, "console/case.html", context, status=400)


def _button(request: SupportRequest, item: Case, act: Callable[[], object]) -> HttpResponse:
    try:
        act()
    except SupportApiError as error:
        messages.error(request, error.display_message)
    return redirect("console:case", case_id=item.case_id)


def _claim(request: SupportRequest, item: Case) -> None:
    case_services.case_assign(
        case=item, engineer=request.principal.require_user(), actor=request.principal, claim=True
    )


def _assign(request: SupportRequest, item: Case) -> None:
    form = AssignForm(request.POST, engineers=selectors.engineers())
    if not form.is_valid():
        messages.error(request, _("Choose an engineer to assign the case to."))
        return
    engineer = account_access.access_engineer(request.principal, form.cleaned_data["engineer"])
    case_services.case_assign(case=item, engineer=engineer, actor=request.principal)


def _release(request: SupportRequest, item: Case) -> None:
    case_services.case_release(case=item, actor=request.principal)
    messages.success(request, _("The case is back in the queue."))


@require_POST
@engineer_required
def case_presence(request: SupportRequest, case_id: str) -> HttpResponse:
    """The case page's presence poll: records that this engineer has the case open (and is
    typing, when the page says so) and answers with the other engineers who have it open."""
    item = case_access.access_case_by_case_id(request.principal, case_id)
    user = request.principal.require_user()
    console_services.presence_touch(
        case=item, engineer=user, typing=request.POST.get("typing") == "1"
    )
    viewers = selectors.case_viewers(item, excluding=user)
    return render(request, "console/presence.html", {"viewers": viewers})


@require_GET
@engineer_required
def case_chat(request: SupportRequest, case_id: str) -> HttpResponse:
    """A chat's new lines since the poll's cursors (polled by the case page)."""
    item = case_access.access_case_by_case_id(request.principal, case_id)
    return chat_poll_response(request, item, audience="engineer")


@require_GET
@engineer_required
def attachment(request: SupportRequest, case_id: str, attachment_id: str) -> HttpResponseBase:
    """Any attachment of a case, the customer's or an engineer's: a download, or with
    `?preview=1` an image or plain text shown in the browser (sandboxed). Audited."""
    item = case_access.access_case_by_case_id(request.principal, case_id)
    found = case_access.access_case_attachment(request.principal, item, attachment_id)
    handle = case_services.attachment_open(attachment=found, actor=request.principal)
    return attachment_response(handle, found, inline=request.GET.get("preview") == "1")
