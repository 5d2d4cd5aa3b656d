"""The dashboard: new cases per day, SLA attainment, the backlog by age, breaches to come."""

from __future__ import annotations

from django.http import HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from accounts.decorators import engineer_required
from accounts.http import SupportRequest
from console import selectors


@require_GET
@engineer_required
def dashboard(request: SupportRequest) -> HttpResponse:
    data = selectors.dashboard()
    attainment = [
        (_("Replies on time, by severity"), "chart-severity", data["by_severity"]),
        (_("Replies on time, by plan"), "chart-plan", data["by_plan"]),
    ]
    return render(request, "console/dashboard.html", {"data": data, "attainment": attainment})
