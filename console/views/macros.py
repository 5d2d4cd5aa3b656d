"""Canned responses on the case page: the reply form's picker fills a macro in for the case and
adds it to the reply, after what the engineer has typed, choosing the macro's next status.

With JavaScript, choosing a macro asks `case_macro` for the filled text (htmx) and
static/js/macros.js appends it in the browser. Without, the picker's Insert button posts the
reply form to `case_macro_insert`, which shows the page again with the texts joined the same
way. Neither changes anything: the reply is sent by the form's own button."""

from __future__ import annotations

from django.http import HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from accounts.decorators import engineer_required
from accounts.http import SupportRequest
from cases import access as case_access
from console.forms import EngineerReplyForm, MacroPickForm
from console.views.case import _case_context, reply_form, reply_statuses
from macros import selectors as macro_selectors


def append_text(typed: str, text: str) -> str:
    """`text` after `typed`, a blank line between them (static/js/macros.js does the same)."""
    if not typed.strip():
        return text
    if typed.endswith(("\n\n", "\r\n\r\n")):
        return typed + text
    return typed + ("\n" if typed.endswith("\n") else "\n\n") + text


@require_GET
@engineer_required
def case_macro(request: SupportRequest, case_id: str) -> HttpResponse:
    """The chosen macro filled in for the case (`?macro=<id>`), as a fragment for htmx."""
    item = case_access.access_case_by_case_id(request.principal, case_id)
    form = MacroPickForm(request.GET, macros=macro_selectors.macro_list_active())
    if not form.is_valid():
        if not request.htmx:
            return HttpResponseBadRequest(_("Choose a canned response."))
        # htmx swaps nothing of an error response, so the refusal is a success aimed at the
        # picker's message area: the reader sees why nothing was added. The choice that fails
        # here is one deactivated or deleted since the page was loaded (the picker never sends
        # an empty one).
        response = render(request, "console/macro_picker.html#macro-error", {})
        response["HX-Retarget"] = "#macro-error"
        response["HX-Reswap"] = "innerHTML"
        return response
    rendered = macro_selectors.macro_render(
        form.cleaned_data["macro"], item, request.principal.require_user()
    )
    return render(request, "console/macro_picker.html#macro-text", {"rendered": rendered})


@require_POST
@engineer_required
def case_macro_insert(request: SupportRequest, case_id: str) -> HttpResponse:
    """The case page again, its reply form holding what was typed followed by the chosen macro
    and set to the macro's next status (files chosen for upload have to be chosen again)."""
    item = case_access.access_case_by_case_id(request.principal, case_id)
    macros = list(macro_selectors.macro_list_active())
    picker = MacroPickForm(request.POST, macros=macros)
    typed = {"body": request.POST.get("body", ""), "next_status": request.POST.get("next_status")}
    # The collision check's fields travel on: the reply was still written against what the
    # engineer had seen.
    kept = {name: request.POST[name] for name in ("seen", "confirm") if name in request.POST}
    if not picker.is_valid():
        # Unbound, so that only the picker's error shows, not the reply's.
        unbound = reply_form(request, item, initial={**typed, **kept})
        context = _case_context(request, item, reply=unbound, macro=picker)
        return render(request, "console/case.html", context, status=400)
    rendered = macro_selectors.macro_render(
        picker.cleaned_data["macro"], item, request.principal.require_user()
    )
    statuses = reply_statuses(request, item)
    reply = EngineerReplyForm(
        {
            "body": append_text(typed["body"] or "", rendered.text),
            # A status the case cannot take (a macro that resolves, on a resolved case) is not
            # offered, so the engineer's own choice stays.
            "next_status": rendered.next_status
            if rendered.next_status in statuses
            else typed["next_status"],
            **kept,
        },
        statuses=statuses,
    )
    context = _case_context(request, item, reply=reply, macro=MacroPickForm(macros=macros))
    return render(request, "console/case.html", context)
