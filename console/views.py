"""The support engineers' console: queue, real-time queue, case handling, dashboard."""

from __future__ import annotations

from typing import cast

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
from accounts.models import User
from cases import access as case_access
from cases import selectors as case_selectors
from cases import services as case_services
from cases.http import attachment_response, new_attachments
from cases.models import Case
from console import selectors
from console.forms import AssignForm, EngineerReplyForm, NoteForm, QueueFilterForm
from core.errors import SupportApiError
from core.forms import add_service_error
from core.paging import read_page

PAGE_SIZE = 25


def _queue_page(
    request: SupportRequest, *, template: str, contact_methods: tuple[str, ...] = ()
) -> HttpResponse:
    engineers = list(selectors.engineers())
    form = QueueFilterForm(request.GET or None, engineers=engineers)
    filters = form.cleaned_data if form.is_valid() else {}
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
    rows = [(case, *selectors.time_left(case, now)) for case in page.items]
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


def _case_context(request: SupportRequest, case: Case, **forms: object) -> dict[str, object]:
    engineers = list(selectors.engineers())
    label, overdue = selectors.time_left(case, timezone.now())
    return {
        "case": case,
        "communications": case_selectors.case_communications(case),
        "notes": case_selectors.case_internal_notes(case),
        "reply_form": forms.get("reply_form") or EngineerReplyForm(),
        "note_form": forms.get("note_form") or NoteForm(),
        # engineer_required: the user is a signed-in engineer.
        "assign_form": AssignForm(
            engineers=engineers, initial={"engineer": cast(User, request.user).login}
        ),
        "time_left": label,
        "overdue": overdue,
    }


@require_GET
@engineer_required
def case(request: SupportRequest, case_id: str) -> HttpResponse:
    return render(
        request,
        "console/case.html",
        _case_context(request, case_access.access_case_by_case_id(request.principal, case_id)),
    )


@require_POST
@engineer_required
def case_action(request: SupportRequest, case_id: str, action: str) -> HttpResponse:
    """claim, assign, reply (with the next status) and note."""
    principal = request.principal
    item = case_access.access_case_by_case_id(request.principal, case_id)
    try:
        if action == "claim":
            case_services.case_assign(case=item, engineer=principal.require_user(), actor=principal)
        elif action == "assign":
            form: Form = AssignForm(request.POST, engineers=list(selectors.engineers()))
            if not form.is_valid():
                messages.error(request, _("Choose an engineer to assign the case to."))
            else:
                engineer = account_access.access_engineer(principal, form.cleaned_data["engineer"])
                case_services.case_assign(case=item, engineer=engineer, actor=principal)
        elif action == "reply":
            form = EngineerReplyForm(request.POST, request.FILES)
            if not form.is_valid():
                return render(
                    request,
                    "console/case.html",
                    _case_context(request, item, reply_form=form),
                    status=400,
                )
            try:
                case_services.case_support_reply_with_files(
                    case=item,
                    actor=principal,
                    body=form.cleaned_data["body"],
                    next_status=form.cleaned_data["next_status"],
                    files=new_attachments(form.cleaned_data["attachments"]),
                )
            except SupportApiError as error:
                add_service_error(form, error)
                return render(
                    request,
                    "console/case.html",
                    _case_context(request, item, reply_form=form),
                    status=400,
                )
        elif action == "note":
            form = NoteForm(request.POST, request.FILES)
            if not form.is_valid():
                return render(
                    request,
                    "console/case.html",
                    _case_context(request, item, note_form=form),
                    status=400,
                )
            try:
                case_services.case_internal_note_add_with_files(
                    case=item,
                    actor=principal,
                    body=form.cleaned_data["body"],
                    files=new_attachments(form.cleaned_data["attachments"]),
                )
            except SupportApiError as error:
                add_service_error(form, error)
                return render(
                    request,
                    "console/case.html",
                    _case_context(request, item, note_form=form),
                    status=400,
                )
        else:
            raise Http404(_("Unknown action."))
    except SupportApiError as error:
        messages.error(request, error.message)
    return redirect("console:case", case_id=item.case_id)


@require_GET
@engineer_required
def attachment(request: SupportRequest, case_id: str, attachment_id: str) -> HttpResponseBase:
    """Any attachment of a case, the customer's or an engineer's: a download, or with
    `?preview=1` an image or plain text shown in the browser (sandboxed). Audited."""
    item = case_access.access_case_by_case_id(request.principal, case_id)
    found = case_access.access_case_attachment(request.principal, item, attachment_id)
    handle = case_services.attachment_open(attachment=found, actor=request.principal)
    return attachment_response(handle, found, inline=request.GET.get("preview") == "1")


@require_GET
@engineer_required
def dashboard(request: SupportRequest) -> HttpResponse:
    return render(request, "console/dashboard.html", {"data": selectors.dashboard()})
