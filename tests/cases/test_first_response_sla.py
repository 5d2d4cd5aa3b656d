"""`cases.sla.first_response_sla`: the first-response SLA as data, read as the case page and the
console read it (answered in time or late; open and counting down; past due; resolved)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from cases.models import CaseStatus
from cases.sla import FirstResponseSla, first_response_sla
from tests import factories

NOW = timezone.now().replace(microsecond=0)
DUE = NOW + timedelta(minutes=30)
PAST = NOW - timedelta(minutes=5)


@pytest.mark.parametrize(
    ("state", "expected"),
    [
        # Open, unanswered: the countdown, whole seconds.
        ({"first_response_due_at": DUE}, FirstResponseSla(DUE, 1800, None)),
        (
            {"first_response_due_at": DUE - timedelta(milliseconds=500)},
            FirstResponseSla(DUE - timedelta(milliseconds=500), 1799, None),
        ),
        # Past due and unanswered: breached, the countdown negative.
        ({"first_response_due_at": PAST}, FirstResponseSla(PAST, -300, False)),
        # Answered: decided, no countdown.
        (
            {"first_response_due_at": DUE, "first_responded_at": NOW, "first_response_met": True},
            FirstResponseSla(DUE, None, True),
        ),
        (
            {
                "first_response_due_at": PAST,
                "first_responded_at": NOW,
                "first_response_met": False,
            },
            FirstResponseSla(PAST, None, False),
        ),
        # No target for the plan and severity.
        ({"first_response_due_at": None}, FirstResponseSla(None, None, None)),
        # Resolved unanswered: before the deadline nothing was missed, after it the SLA was.
        (
            {"first_response_due_at": DUE, "status": CaseStatus.RESOLVED, "resolved_at": NOW},
            FirstResponseSla(DUE, None, None),
        ),
        (
            {
                "first_response_due_at": PAST,
                "status": CaseStatus.RESOLVED,
                "resolved_at": NOW,
            },
            FirstResponseSla(PAST, None, False),
        ),
    ],
)
def test_first_response_sla(business_account, state, expected) -> None:
    case = factories.make_case(business_account)
    for name, value in {"first_responded_at": None, "first_response_met": None, **state}.items():
        setattr(case, name, value)  # the state in memory: the function reads columns only
    assert first_response_sla(case, NOW) == expected
