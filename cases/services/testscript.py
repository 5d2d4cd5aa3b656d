"""Test mode: AWS's documentation asks API users to try their integration with a case whose
subject is "TEST CASE--Please ignore". Such a case (from the API or the web form) is marked
`is_test` when it is created and then answered by a script instead of an engineer:

1. after SUPPORTCENTER_TEST_CASE_DELAY seconds, a scripted answer from Support that asks the
   customer to confirm (the case moves to pending customer action);
2. after SUPPORTCENTER_TEST_CASE_RESOLVE_DELAY more seconds, a closing answer that resolves it.

A customer's reply in between hands the case back to the script, which answers again. Every
step is an ordinary support reply (`case_support_reply` by the system principal, through
`cases.lifecycle`), so the case sends the emails and publishes the events a real one would.
Test cases never enter engineers' queues, dashboards or alerts, and no response target runs for
them (`cases.clocks`, `case_create`).

Scheduling: `Case.test_step_due_at` holds when the next step is due. The step's task is queued
with that time (an ETA) after the commit that set it; the task claims the step with a
conditional UPDATE (due and not yet taken), so a task delivered twice, or a task and the
sweep, take it once. A task the broker lost, or a worker killed mid-step (the step's
transaction rolls back with its claim), is picked up by the every-minute sweep
(`scripted_cases_sweep`).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from accounts.principals import SYSTEM
from cases import clocks
from cases.models import Case, CaseStatus
from cases.services.communications import case_support_reply
from cases.testmode import schedule_on_commit

ANSWER = gettext_noop(
    "Hello,\n\nThis is an automated answer to your test case: your integration with AWS Support "
    "works. No engineer reads test cases. Reply to this message if you want to test a reply; "
    "otherwise this case will be resolved shortly.\n\nBest regards,\nAmazon Web Services"
)
CLOSING = gettext_noop(
    "This test case is now resolved. No action is needed from you.\n\nBest regards,\n"
    "Amazon Web Services"
)
# How many due test cases one sweep run advances at most (the next run takes the rest).
SWEEP_BATCH = 200


def scripted_case_step(case_pk: int, *, now: datetime | None = None) -> bool:
    """Take the scripted step of test case `case_pk` if it is due (see the module's docstring):
    claimed with a conditional UPDATE and taken in the same transaction, so it happens once
    however many times it is asked for. Returns whether a step was taken; False for a case that
    is gone, not a test case, or whose step is not due (done, or later)."""
    now = now or timezone.now()
    with transaction.atomic():
        claimed = Case.objects.filter(pk=case_pk, is_test=True, test_step_due_at__lte=now).update(
            test_step_due_at=None
        )
        if not claimed:
            return False
        case = Case.objects.select_related(
            "account", "account__plan", "severity", "service", "submitter"
        ).get(pk=case_pk)
        _step(case, now)
    return True


def _step(case: Case, now: datetime) -> None:
    status = CaseStatus(case.status)
    with translation.override(case.language or "en"):
        answer, closing = gettext(ANSWER), gettext(CLOSING)
    if status in clocks.SUPPORT_TURN:
        case_support_reply(
            case=case,
            actor=SYSTEM,
            body=answer,
            next_status=CaseStatus.PENDING_CUSTOMER_ACTION,
        )
        case.test_step_due_at = now + timedelta(
            seconds=settings.SUPPORTCENTER_TEST_CASE_RESOLVE_DELAY
        )
        case.save(update_fields=["test_step_due_at"])
        schedule_on_commit(case)
    elif status == CaseStatus.PENDING_CUSTOMER_ACTION:
        case_support_reply(case=case, actor=SYSTEM, body=closing, next_status=CaseStatus.RESOLVED)
    # A resolved test case has nothing left to do (the customer resolved it first).


def scripted_cases_sweep(*, now: datetime | None = None, batch: int = SWEEP_BATCH) -> int:
    """The sweep: take every due scripted step whose task was lost or interrupted (each in its
    own transaction, claimed as the task claims it). Returns how many steps were taken."""
    now = now or timezone.now()
    due = list(
        Case.objects.filter(is_test=True, test_step_due_at__lte=now)
        .order_by("test_step_due_at", "pk")
        .values_list("pk", flat=True)[:batch]
    )
    return sum(scripted_case_step(pk, now=now) for pk in due)
