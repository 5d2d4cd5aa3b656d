"""Support Center for customers: case list, create case, case detail and its actions.

Function views, each parse -> access -> service -> render; htmx requests get the page's partial
(`page.html#region`) and every page works without JavaScript.
"""

from __future__ import annotations

from datetime import datetime, time, timedelta

from django.contrib import messages
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import UploadedFile
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, QueryDict
from django.http.response import HttpResponseBase
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.datastructures import MultiValueDict
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import access
from accounts.decorators import customer_required
from cases import lifecycle, selectors, services
from cases.forms import SORTS, CaseCreateForm, CaseFilterForm, CcForm, ReplyForm, split_addresses
from cases.models import Case, CaseStatus, Communication
from cases.services import NewAttachment
from catalog.selectors import severity_cells_for_plan
from core.errors import AttachmentIdNotFound, CaseIdNotFound, SupportApiError
from core.forms import add_service_error

PAGE_SIZE = 20


def _files(uploaded: list) -> list[NewAttachment]:
    return [NewAttachment(file_name=f.name, data=f.read()) for f in uploaded]


def _load_case(request: HttpRequest, case_id: str, action: str) -> Case:
    try:
        return access.access_case_by_case_id(request.principal, case_id, action=action)  # type: ignore[attr-defined]
    except CaseIdNotFound:
        raise Http404(_("Case not found.")) from None


# --- list ---------------------------------------------------------------------------------------


@require_GET
@customer_required("support:DescribeCases")
def case_list(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    plan = principal.account.plan
    severities = [(c.severity.code, c.severity.name) for c in severity_cells_for_plan(plan)]
    form = CaseFilterForm(request.GET or None, severities=severities)
    filters = form.cleaned_data if form.is_valid() else {}
    zone = timezone.get_current_timezone()
    after = filters.get("created_after")
    before = filters.get("created_before")
    queryset = selectors.case_list_for_principal(
        principal,
        q=filters.get("q", ""),
        state=filters.get("state") or "open",
        status=filters.get("status", ""),
        severity=filters.get("severity", ""),
        created_after=datetime.combine(after, time.min, tzinfo=zone) if after else None,
        created_before=datetime.combine(before + timedelta(days=1), time.min, tzinfo=zone)
        if before
        else None,
        order=SORTS.get(filters.get("sort") or "newest", SORTS["newest"])[0],
    )
    page = selectors.IdPaginator(queryset, PAGE_SIZE, related=("service", "severity")).get_page(
        request.GET.get("page")
    )
    query = request.GET.copy()
    query.pop("page", None)
    context = {"form": form, "page": page, "query": query.urlencode()}
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "cases/case_list.html#results", context)
    return render(request, "cases/case_list.html", context)


# --- create -------------------------------------------------------------------------------------


def _create_form(
    request: HttpRequest,
    data: QueryDict | None = None,
    files: MultiValueDict[str, UploadedFile] | None = None,
) -> CaseCreateForm:
    principal = request.principal  # type: ignore[attr-defined]
    initial = {"language": request.LANGUAGE_CODE if request.LANGUAGE_CODE in ("en", "ja") else "en"}
    if principal.user.email and principal.user.is_iam:
        initial["cc"] = principal.user.email
    return CaseCreateForm(
        data,
        files,
        plan=principal.account.plan,
        is_iam_user=principal.user.is_iam,
        initial=initial,
    )


@require_http_methods(["GET", "POST"])
@customer_required("support:CreateCase")
def case_create(request: HttpRequest) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    form = _create_form(request, request.POST or None, request.FILES or None)
    if request.method == "POST" and "refresh" in request.POST:
        # Without JavaScript, "Show categories" posts the whole form back: show it again for
        # the chosen service, keeping what was typed, without validating it yet.
        return render(request, "cases/case_create.html", {"form": form})
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = services.case_create_with_files(
                actor=principal,
                account=principal.account,
                files=_files(data["attachments"]),
                subject=data["subject"],
                service_code=data["service"],
                category_code=data["category"],
                severity_code=data["severity"],
                body=data["description"],
                language=data["language"],
                contact_method=data["contact_method"],
                cc_email_addresses=split_addresses(data["cc"]),
                callback_number=data["callback_number"],
                callback_when=data["callback_when"],
                extra_field_value=data["extra_field_value"],
            )
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            messages.success(request, _("Case %(id)s created.") % {"id": case.display_id})
            return redirect("cases:detail", case_id=case.case_id)
    return render(request, "cases/case_create.html", {"form": form})


@require_GET
@customer_required("support:CreateCase")
def case_create_options(request: HttpRequest) -> HttpResponse:
    """The service, category and help part of the create form for the current choices (htmx).
    The form is unbound (the choices come in as initial values), so nothing is flagged yet."""
    principal = request.principal  # type: ignore[attr-defined]
    form = CaseCreateForm(
        plan=principal.account.plan,
        is_iam_user=principal.user.is_iam,
        initial={key: request.GET.get(key, "") for key in ("case_type", "service", "category")},
    )
    # The smallest region that changes: the category list after a service, the help and prompt
    # after a category (never the control being used), the whole catalog after a case type.
    part = {"category": "category-block", "help": "category-help"}.get(
        request.GET.get("part", ""), "catalog"
    )
    template = f"cases/case_create.html#{part}" if request.htmx else "cases/case_create.html"  # type: ignore[attr-defined]
    return render(request, template, {"form": form})


# --- detail and actions -------------------------------------------------------------------------


def _detail_context(request: HttpRequest, case: Case, **extra: object) -> dict[str, object]:
    principal = request.principal  # type: ignore[attr-defined]
    allowed = lifecycle.allowed_transitions(case, principal)
    return {
        "case": case,
        "communications": selectors.case_communications(case),
        "reply_form": extra.pop("reply_form", None) or ReplyForm(),
        "cc_form": extra.pop("cc_form", None) or CcForm(),
        "can_reply": access.is_allowed(principal, "support:AddCommunicationToCase"),
        "can_resolve": CaseStatus.RESOLVED in allowed
        and access.is_allowed(principal, "support:ResolveCase"),
        "can_reopen": CaseStatus.REOPENED in allowed
        and access.is_allowed(principal, "support:AddCommunicationToCase"),
        "is_open": lifecycle.is_open(case.status),
        "sla_overdue": case.first_responded_at is None
        and case.first_response_due_at is not None
        and case.first_response_due_at < timezone.now(),
        **extra,
    }


@require_GET
@customer_required("support:DescribeCases")
def case_detail(request: HttpRequest, case_id: str) -> HttpResponse:
    case = _load_case(request, case_id, "support:DescribeCases")
    return render(request, "cases/case_detail.html", _detail_context(request, case))


@require_GET
@customer_required("support:DescribeCommunications")
def case_messages(request: HttpRequest, case_id: str) -> HttpResponse:
    """The correspondence region alone, polled by the chat panel (and usable as a page)."""
    case = _load_case(request, case_id, "support:DescribeCommunications")
    return render(
        request,
        "cases/case_detail.html#correspondence",
        {"case": case, "communications": selectors.case_communications(case)},
    )


def _render_invalid(request: HttpRequest, context: dict[str, object]) -> HttpResponse:
    """The page (400) or, for htmx, its body region with the errors (200: htmx swaps only
    successful responses)."""
    if request.htmx:  # type: ignore[attr-defined]
        return render(request, "cases/case_detail.html#case-body", context)
    return render(request, "cases/case_detail.html", context, status=400)


def _after_action(request: HttpRequest, case: Case, **extra: object) -> HttpResponse:
    if request.htmx:  # type: ignore[attr-defined]
        case.refresh_from_db()
        return render(
            request, "cases/case_detail.html#case-body", _detail_context(request, case, **extra)
        )
    return redirect("cases:detail", case_id=case.case_id)


@require_POST
@customer_required("support:AddCommunicationToCase")
def case_reply(request: HttpRequest, case_id: str) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    case = _load_case(request, case_id, "support:AddCommunicationToCase")
    form = ReplyForm(request.POST, request.FILES)
    if form.is_valid():
        try:
            services.case_reply_with_files(
                case=case,
                actor=principal,
                body=form.cleaned_data["body"],
                files=_files(form.cleaned_data["attachments"]),
            )
        except SupportApiError as error:
            add_service_error(form, error)
        else:
            return _after_action(request, case)
    context = _detail_context(request, case, reply_form=form)
    return _render_invalid(request, context)


@require_POST
@customer_required("support:AddCommunicationToCase")
def case_add_cc(request: HttpRequest, case_id: str) -> HttpResponse:
    principal = request.principal  # type: ignore[attr-defined]
    case = _load_case(request, case_id, "support:AddCommunicationToCase")
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
def case_resolve(request: HttpRequest, case_id: str) -> HttpResponse:
    case = _load_case(request, case_id, "support:ResolveCase")
    try:
        services.case_resolve(case=case, actor=request.principal)  # type: ignore[attr-defined]
    except SupportApiError as error:
        if request.htmx:  # type: ignore[attr-defined]
            return _after_action(request, case, action_error=error.message)
        messages.error(request, error.message)
    return _after_action(request, case)


@require_POST
@customer_required("support:AddCommunicationToCase")
def case_reopen(request: HttpRequest, case_id: str) -> HttpResponse:
    case = _load_case(request, case_id, "support:AddCommunicationToCase")
    try:
        services.case_reopen(case=case, actor=request.principal)  # type: ignore[attr-defined]
    except SupportApiError as error:
        if request.htmx:  # type: ignore[attr-defined]
            return _after_action(request, case, action_error=error.message)
        messages.error(request, error.message)
    return _after_action(request, case)


@require_GET
@customer_required("support:DescribeAttachment")
def attachment_download(request: HttpRequest, case_id: str, attachment_id: str) -> HttpResponseBase:
    """An attachment of one of the account's cases, always as a download, never rendered."""
    case = _load_case(request, case_id, "support:DescribeAttachment")
    try:
        attachment = access.access_attachment(request.principal, attachment_id)  # type: ignore[attr-defined]
    except AttachmentIdNotFound:
        raise Http404(_("Attachment not found.")) from None
    belongs = Communication.objects.filter(
        case=case, attachment_set_id=attachment.attachment_set_id
    ).exists()
    if not belongs:
        raise Http404(_("Attachment not found."))
    response = FileResponse(
        default_storage.open(attachment.storage_key, "rb"),
        as_attachment=True,
        filename=attachment.file_name,
        content_type="application/octet-stream",
    )
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "default-src 'none'; sandbox"
    response["Cache-Control"] = "private, no-store"
    return response
