"""The legal hold on the customer's case page: the account's root user places and releases it
(`cases.services.holds` says who may release which hold)."""

from __future__ import annotations

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from accounts.decorators import customer_required
from accounts.http import SupportRequest
from cases import access
from cases.services import holds
from core.errors import SupportApiError


@require_POST
@customer_required("support:DescribeCases")
def case_legal_hold(request: SupportRequest, case_id: str, action: str) -> HttpResponse:
    case = access.access_case_by_case_id(request.principal, case_id, action="support:DescribeCases")
    if action == "place":
        place, done = holds.case_legal_hold_place, _("The case is on legal hold.")
    elif action == "release":
        place, done = holds.case_legal_hold_release, _("The legal hold is released.")
    else:
        raise Http404(_("Unknown action."))
    try:
        place(case=case, actor=request.principal)
    except SupportApiError as error:
        messages.error(request, error.display_message)
    else:
        messages.success(request, done)
    return redirect("cases:detail", case_id=case.case_id)
