"""Similar resolved cases for a subject being written: the create form asks for them as the
subject is typed (htmx, debounced), and without JavaScript the same page is a plain search."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_GET

from accounts.decorators import customer_required
from accounts.http import SupportRequest
from cases import selectors


@require_GET
@customer_required("support:DescribeCases")
def similar_cases(request: SupportRequest) -> HttpResponse:
    subject = request.GET.get("subject", "")[:250]
    context = {
        "subject": subject,
        "suggestions": selectors.similar_resolved_cases(request.principal, subject),
        "searched": bool(subject.strip()),
    }
    if request.htmx:
        return render(request, "cases/similar_cases.html#suggestions", context)
    return render(request, "cases/similar_cases.html", context)
