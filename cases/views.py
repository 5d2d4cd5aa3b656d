"""Support Center for customers: case list, create case, case detail and its actions.

Function views, each parse -> access -> service -> render; htmx requests get the page's partial
(`page.html#region`) and every page works without JavaScript.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.files.uploadedfile import UploadedFile
from django.http import HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access as account_access
from accounts.decorators import customer_required, no_access
from accounts.http import SupportRequest
from cases import access, lifecycle, selectors, services
from cases.forms import (
    CaseCreateForm,
    CaseFilterForm,
    CcForm,
    ReopenForm,
    ReplyForm,
    ask_for_files_again,
    files_to_choose_again,
    split_addresses,
)
from cases.http import attachment_response, chat_poll_response, new_attachments
from cases.models import Case, CaseStatus
from cases.services import holds
from cases.services.plans import support_plan_change
from catalog.models import ContactMethod
from catalog.selectors import plans_compared, service_list, severity_cells_for_plan
from core.errors import CaseIdNotFound, InvalidParameterValueException, SupportApiError
from core.forms import add_service_error, applied_filters
from core.paging import read_page
from core.prefill import prefill_initial

PAGE_SIZE = 20


# --- home and list ----------------------------------------------------------------------------


@require_GET
def home(request: SupportRequest) -> HttpResponse:
    """The landing page: what Support Center covers, and the way in."""
    return render(request, "cases/home.html", {"service_count": service_list().count()})


# --- list ---------------------------------------------------------------------------------------


@require_GET
@customer_required("support:DescribeCases")
def case_list(request: SupportRequest) -> HttpResponse:
    principal = request.principal
    plan = principal.require_account().plan
    severities = [(c.severity.code, c.severity.local_name) for c in severity_cells_for_plan(plan)]
    form = CaseFilterForm(
        request.GET or None,
        severities=severities,
        subjects_only=not account_access.is_allowed(principal, "support:DescribeCommunications"),
    )
    filters = applied_filters(form)
    zone = timezone.get_current_timezone()
    after = filters.get("created_after")
    before = filters.get("created_before")
    cases = selectors.case_list_for_principal(
        principal,
        q=filters.get("q", ""),
        state=filters.get("state") or "open",
        status=filters.get("status", ""),
        severity=filters.get("severity", ""),
        created_after=datetime.combine(after, time.min, tzinfo=zone) if after else None,
        created_before=datetime.combine(before + timedelta(days=1), time.min, tzinfo=zone)
        if before
        else None,
        sort=filters.get("sort") or "newest",
    )
    # A cursor belongs to this account's list with these filters; any other's shows page one.
    scope = {"list": "cases", "account": principal.require_account().account_id, **filters}
    page, links = read_page(
        request.GET, cases.queryset, cases.keys, scope, limit=PAGE_SIZE, groups=cases.groups
    )
    context = {
        "form": form,
        "cases": page.items,
        "unread": selectors.unread_case_pks(principal.require_user(), page.items),
        **links,
    }
    if request.htmx:
        return render(request, "cases/case_list.html#results", context)
    return render(request, "cases/case_list.html", context)


# --- create -------------------------------------------------------------------------------------


def _create_form(
    request: SupportRequest,
    data: QueryDict | None = None,
    files: MultiValueDict[str, UploadedFile] | None = None,
    typed: dict[str, str] | None = None,
) -> CaseCreateForm:
    principal = request.principal
    initial = {"language": request.LANGUAGE_CODE if request.LANGUAGE_CODE in ("en", "ja") else "en"}
    user = principal.require_user()
    if user.email and user.is_iam:
        initial["cc"] = user.email
    if data is None and request.GET.get("related"):
        initial.update(_related_initial(request, request.GET["related"]))
    elif data is None and request.GET.get("from"):
        # Another page's "Ask for help with this" (core.prefill): the form stays editable.
        initial.update(prefill_initial(principal, request.GET))
    initial.update(typed or {})
    return CaseCreateForm(
        data,
        files,
        plan=principal.require_account().plan,
        cc_required=user.is_iam and bool(user.email),
        initial=initial,
    )


def _related_initial(request: SupportRequest, case_id: str) -> dict[str, str]:
    """A related case starts as a copy of the earlier one's type, service, category, severity
    and language, names it in its subject (as AWS asks: "include the related case number") and
    links it (`Case.related_case`). A case the principal cannot see pre-fills nothing."""
    try:
        earlier = access.access_case_by_case_id(
            request.principal, case_id[:100], action="support:DescribeCases"
        )
    except SupportApiError:
        return {}
    subject = _("Related to case %(id)s: %(subject)s") % {
        "id": earlier.display_id,
        "subject": earlier.subject,
    }
    return {
        "case_type": earlier.case_type,
        "service": earlier.service.code,
        "category": earlier.category.code,
        "severity": earlier.severity.code,
        "language": earlier.language,
        "subject": subject[:250],
        "related_case": str(earlier.display_id),
    }


def _related_case(request: SupportRequest, value: str) -> Case | None:
    """The earlier case the form names (its case ID or API case ID), loaded for the principal:
    another account's case is refused exactly as a missing one."""
    value = value.strip()
    if not value:
        return None
    try:
        if value.isdigit() and len(value) < 19:
            return access.access_case_by_display_id(request.principal, int(value))
        return access.access_case_by_case_id(request.principal, value[:100])
    except CaseIdNotFound:
        raise InvalidParameterValueException(
            _("No case %(id)s in your account.") % {"id": value}, field="related_case"
        ) from None


@require_http_methods(["GET", "POST"])
@customer_required("support:CreateCase")
def case_create(request: SupportRequest) -> HttpResponse:
    principal = request.principal
    if request.method == "POST" and "refresh" in request.POST:
        # Without JavaScript, "Show categories" posts the whole form back: show it again for
        # the chosen service, keeping what was typed. It goes back unbound, with what was sent
        # as its initial values, so the fields the user has not reached yet are not flagged.
        # Only the files cannot be kept: the page names them.
        form = _create_form(request, typed=request.POST.dict())
        context = {"form": form, "files_notice": files_to_choose_again(request.FILES)}
        return render(request, "cases/case_create.html", context)
    form = _create_form(request, request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            related = _related_case(request, data.get("related_case", ""))
            case = services.case_create_with_files(
                actor=principal,
                account=principal.require_account(),
                files=new_attachments(data["attachments"]),
                subject=data["subject"],
                service_code=data["service"],
                category_code=data["category"],
                severity_code=data["severity"],
                body=data["description"],
                language=data["language"],
                contact_method=data["contact_method"],
                cc_email_addresses=split_addresses(data.get("cc", "")),
                callback_number=data.get("callback_number", ""),
                callback_when=data.get("callback_when", ""),
                extra_field_value=data["extra_field_value"],
                related_case=related,
            )
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Case %(id)s created.") % {"id": case.display_id})
            return redirect("cases:detail", case_id=case.case_id)
    if request.method == "POST":
        ask_for_files_again(form)
    return render(request, "cases/case_create.html", {"form": form})


@require_GET
@customer_required("support:CreateCase")
def case_create_options(request: SupportRequest) -> HttpResponse:
    """The service, category and help part of the create form for the current choices (htmx).
    The form is unbound (the choices come in as initial values), so nothing is flagged yet."""
    principal = request.principal
    form = CaseCreateForm(
        plan=principal.require_account().plan,
        cc_required=principal.require_user().is_iam and bool(principal.require_user().email),
        initial={key: request.GET.get(key, "") for key in ("case_type", "service", "category")},
    )
    # The smallest region that changes: the category list after a service, the help and prompt
    # after a category (never the control being used), the whole catalog after a case type.
    part = {"category": "category-block", "help": "category-help"}.get(
        request.GET.get("part", ""), "catalog"
    )
    template = f"cases/case_create.html#{part}" if request.htmx else "cases/case_create.html"
    return render(request, template, {"form": form})


# --- detail and actions -------------------------------------------------------------------------


def _detail_context(request: SupportRequest, case: Case, **extra: object) -> dict[str, object]:
    principal = request.principal
    allowed = lifecycle.allowed_transitions(case, principal)
    chat = case.contact_method == ContactMethod.CHAT
    # The page shows what the API would: the correspondence (and the chat, which is
    # correspondence) only to readers allowed DescribeCommunications, download links only to
    # those allowed DescribeAttachment.
    can_read = account_access.is_allowed(principal, "support:DescribeCommunications")
    can_reply = account_access.is_allowed(principal, "support:AddCommunicationToCase")
    # Past the reopening window a customer opens a related case instead.
    reopen_expired = case.status == CaseStatus.RESOLVED and not lifecycle.within_reopen_window(case)
    return {
        "case": case,
        "related": selectors.related_case(principal, case),
        "is_chat": chat,
        "can_read": can_read,
        "can_download": account_access.is_allowed(principal, "support:DescribeAttachment"),
        # A chat reads oldest first and live; other cases list their correspondence newest first.
        "chat": selectors.chat_log(case) if chat and can_read else None,
        "chat_poll_url": reverse("cases:messages", args=[case.case_id]),
        "communications": selectors.case_communications(case) if can_read and not chat else [],
        "reply_form": extra.pop("reply_form", None) or ReplyForm(),
        "cc_form": extra.pop("cc_form", None) or CcForm(),
        "reopen_form": extra.pop("reopen_form", None) or ReopenForm(),
        "reopen_expired": reopen_expired,
        "reopen_deadline": lifecycle.reopen_deadline(case),
        "can_reply": can_reply,
        # A reply to a resolved case reopens it, so past the window there is none to write.
        "show_reply": can_reply and not reopen_expired,
        "can_resolve": CaseStatus.RESOLVED in allowed
        and account_access.is_allowed(principal, "support:ResolveCase"),
        "can_reopen": CaseStatus.REOPENED in allowed
        and account_access.is_allowed(principal, "support:AddCommunicationToCase"),
        "is_open": lifecycle.is_open(case.status),
        # The root user places and releases the account's legal holds (cases.services.holds).
        "can_place_hold": case.legal_hold_at is None and holds.holder(principal, case) is not None,
        "can_release_hold": holds.can_release(principal, case),
        "sla_overdue": case.first_responded_at is None
        and case.first_response_due_at is not None
        and case.first_response_due_at < timezone.now(),
        **extra,
    }


@require_GET
@customer_required("support:DescribeCases")
def case_detail(request: SupportRequest, case_id: str) -> HttpResponse:
    case = access.access_case_by_case_id(request.principal, case_id, action="support:DescribeCases")
    context = _detail_context(request, case)
    if context["can_read"]:
        services.case_mark_read(case=case, user=request.principal.require_user())
    return render(request, "cases/case_detail.html", context)


@require_GET
@customer_required("support:DescribeCommunications")
def case_messages(request: SupportRequest, case_id: str) -> HttpResponse:
    """The conversation alone: for a chat, the lines after the poll's cursors (`m`, `e`; 204
    when there are none and the case is still open, which leaves the page as it is); for other
    cases, the correspondence region."""
    case = access.access_case_by_case_id(
        request.principal, case_id, action="support:DescribeCommunications"
    )
    can_download = account_access.is_allowed(request.principal, "support:DescribeAttachment")
    if case.contact_method != ContactMethod.CHAT:
        response = render(
            request,
            "cases/case_detail.html#correspondence",
            {
                "case": case,
                "communications": selectors.case_communications(case),
                "can_download": can_download,
            },
        )
    else:
        response = chat_poll_response(request, case, audience="customer", can_download=can_download)
    # What the page just showed has been read (a chat's empty poll showed nothing new).
    if response.status_code == 200:
        services.case_mark_read(case=case, user=request.principal.require_user())
    return response


def _render_invalid(request: SupportRequest, context: dict[str, object]) -> HttpResponse:
    """The page (400) or, for htmx, its body region with the errors (200: htmx swaps only
    successful responses)."""
    if request.htmx:
        return render(request, "cases/case_detail.html#case-body", context)
    return render(request, "cases/case_detail.html", context, status=400)


def _after_action(request: SupportRequest, case: Case, **extra: object) -> HttpResponse:
    if request.htmx:
        case.refresh_from_db()
        return render(
            request, "cases/case_detail.html#case-body", _detail_context(request, case, **extra)
        )
    return redirect("cases:detail", case_id=case.case_id)


@require_POST
@customer_required("support:AddCommunicationToCase")
def case_reply(request: SupportRequest, case_id: str) -> HttpResponse:
    principal = request.principal
    case = access.access_case_by_case_id(
        request.principal, case_id, action="support:AddCommunicationToCase"
    )
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.case_reply_with_files(
                case=case,
                actor=principal,
                body=form.cleaned_data["body"],
                files=new_attachments(form.cleaned_data["attachments"]),
            )
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            return _after_action(request, case)
    ask_for_files_again(form)
    context = _detail_context(request, case, reply_form=form)
    if context["reopen_expired"]:
        # No reply form is shown past the reopening window: the refusal goes where the page
        # says why (the page was opened before the window closed).
        context["reopen_form"] = form
    return _render_invalid(request, context)


@require_POST
@customer_required("support:AddCommunicationToCase")
def case_add_cc(request: SupportRequest, case_id: str) -> HttpResponse:
    principal = request.principal
    case = access.access_case_by_case_id(
        request.principal, case_id, action="support:AddCommunicationToCase"
    )
    form = CcForm(request.POST)
    if form.is_valid():
        try:
            services.case_add_cc(
                case=case,
                actor=principal,
                cc_email_addresses=split_addresses(form.cleaned_data["cc"]),
            )
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            return _after_action(request, case)
    context = _detail_context(request, case, cc_form=form)
    return _render_invalid(request, context)


@require_POST
@customer_required("support:ResolveCase")
def case_resolve(request: SupportRequest, case_id: str) -> HttpResponse:
    case = access.access_case_by_case_id(request.principal, case_id, action="support:ResolveCase")
    try:
        services.case_resolve(case=case, actor=request.principal)
    except SupportApiError as error:
        if request.htmx:
            return _after_action(request, case, action_error=error.display_message)
        messages.error(request, error.display_message)
    return _after_action(request, case)


@require_POST
@customer_required("support:AddCommunicationToCase")
def case_reopen(request: SupportRequest, case_id: str) -> HttpResponse:
    """Reopen a resolved case with a message, as AWS does: the message is a reply, and a reply
    to a resolved case reopens it (within the reopening window; `lifecycle`)."""
    case = access.access_case_by_case_id(
        request.principal, case_id, action="support:AddCommunicationToCase"
    )
    form = ReopenForm(request.POST)
    if form.is_valid():
        try:
            services.case_reply_with_files(
                case=case, actor=request.principal, body=form.cleaned_data["body"], files=[]
            )
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            return _after_action(request, case)
    if case.status != CaseStatus.RESOLVED:
        # Reopened meanwhile (another tab, a colleague): the page has no reopen form now, so
        # the text and its error go to the reply form, which it would have been anyway.
        reply = ReplyForm(request.POST)
        reply.is_valid()
        for field, errors in form.errors.items():
            if field not in reply.errors:
                reply.add_error(None if field == "__all__" else field, errors)
        return _render_invalid(request, _detail_context(request, case, reply_form=reply))
    return _render_invalid(request, _detail_context(request, case, reopen_form=form))


@require_GET
@customer_required("support:DescribeAttachment")
def attachment_download(
    request: SupportRequest, case_id: str, attachment_id: str
) -> HttpResponseBase:
    """An attachment of one of the account's cases, always as a download, never rendered."""
    case = access.access_case_by_case_id(
        request.principal, case_id, action="support:DescribeAttachment"
    )
    attachment = access.access_case_attachment(request.principal, case, attachment_id)
    handle = services.attachment_open(attachment=attachment, actor=request.principal)
    return attachment_response(handle, attachment, inline=False)


@require_http_methods(["GET", "POST"])
@customer_required("support:DescribeSeverityLevels")
def support_plan(request: SupportRequest) -> HttpResponse:
    """The account's plan beside the others (case types, severities and response times,
    channels, API access, Trusted Advisor); the root user changes it here, at once."""
    principal = request.principal
    account = principal.require_account()
    plans = plans_compared()
    if request.method == "POST":
        if not principal.require_user().is_root:
            return no_access(request, "supportplans:UpdateSupportPlan")
        chosen = next((p for p in plans if p.code == request.POST.get("plan")), None)
        if chosen is None:
            messages.error(request, _("Choose one of the plans below."))
        else:
            support_plan_change(account=account, plan=chosen, actor=principal)
            messages.success(
                request,
                _("Your account is now on the %(plan)s plan.") % {"plan": chosen.local_name},
            )
            return redirect("cases:plan")
    return render(
        request,
        "cases/support_plan.html",
        {
            "account": account,
            "plans": plans,
            "current": next((p for p in plans if p.pk == account.plan_id), None),
            "can_change": principal.require_user().is_root,
        },
    )
