"""Test mode's pieces that the case services call when a test case is created or answered by
its customer; the script itself is `cases.services.testscript` (which explains test mode)."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction

from cases.models import TEST_CASE_SUBJECT, Case
from cases.tasks import scripted_case_step_task

logger = logging.getLogger(__name__)


def is_test_subject(subject: str) -> bool:
    """Whether `subject` is AWS's test-case subject (spacing and letter case aside)."""
    return " ".join(subject.split()).casefold() == TEST_CASE_SUBJECT.casefold()


def first_step_due(now: datetime) -> datetime:
    return now + timedelta(seconds=settings.SUPPORTCENTER_TEST_CASE_DELAY)


def schedule_on_commit(case: Case) -> None:
    """Queue the task of `case`'s next scripted step, due at `case.test_step_due_at`, once the
    current transaction commits (nothing if it rolls back). A broker that is down loses
    nothing: the sweep finds the step due."""
    pk, due = case.pk, case.test_step_due_at
    if due is not None:
        transaction.on_commit(lambda: _queue(pk, due))


def _queue(pk: int, due: datetime) -> None:
    try:
        scripted_case_step_task.apply_async(args=[pk], eta=due, retry=False)
    except Exception:  # broker down: the sweep takes the step when it is due
        logger.warning("could not queue the test case step of case %s; the sweep will", pk)


def scripted_case_replied(case: Case, now: datetime) -> list[str]:
    """A customer replied to test case `case` (for the communications service): the script
    answers again after the usual delay. Sets the due time in memory and queues the step after
    commit; returns the fields to save."""
    if not case.is_test:
        return []
    case.test_step_due_at = first_step_due(now)
    schedule_on_commit(case)
    return ["test_step_due_at"]
