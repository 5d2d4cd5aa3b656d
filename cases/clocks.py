"""The next-reply clock: after Support's first response, how long the customer waits for each
further reply (the first-response clock is set when the case is opened; see `cases.sla` for how
both count time).

The clock runs exactly while an answered case waits for Support (`SUPPORT_TURN`). It starts when
the case comes back to Support (the customer replies to or reopens it, or an engineer moves it
out of pending customer action) and when Support replies but leaves the case with itself (the
customer is owed a further update). It stops, and is measured, when Support replies (or reaches
the customer by phone): met if on time, missed otherwise. It is emptied, unmeasured, while the
case waits for the customer or is resolved: the customer's time does not count against Support.
A customer's further messages while the clock runs do not restart it; the oldest unanswered one
counts.

`cases.lifecycle` keeps the clock in step with status changes; the communications and support
services measure and restart it; the SLA job warns engineers once per run of the clock.
"""

from __future__ import annotations

from datetime import datetime

from accounts.principals import Principal
from cases import sla
from cases.models import Case, CaseEvent, CaseEventKind, CaseStatus
from catalog import reference
from catalog.models import PlanSeverity

S = CaseStatus

SUPPORT_TURN: frozenset[CaseStatus] = frozenset(
    {S.UNASSIGNED, S.WORK_IN_PROGRESS, S.OPENED, S.REOPENED}
)
FIELDS = ["next_reply_started_at", "next_reply_due_at", "next_reply_warn_at"]
# When a plan no longer offers the case's severity (an operator removed the cell).
FALLBACK_MINUTES = 24 * 60


def target_minutes(case: Case) -> int:
    """The next-reply target of the case's plan and severity, in (business) minutes."""
    minutes = (
        PlanSeverity.objects.filter(plan_id=case.account.plan_id, severity_id=case.severity_id)
        .values_list("next_reply_minutes", flat=True)
        .first()
    )
    if minutes is not None:
        return minutes
    return reference.NEXT_REPLY_TARGETS.get(case.severity.code, FALLBACK_MINUTES)


def clock_values(case: Case, start: datetime) -> dict[str, datetime | None]:
    """The clock's fields for a run that starts at `start` (one query, for the target); a test
    case's clock never runs (it never counts against the targets)."""
    if case.is_test:
        return dict(STOPPED)
    account = case.account
    due, warn = sla.first_response_clock(
        start,
        target_minutes(case),
        warning_percent=case.severity.sla_warning_percent,
        business_hours_only=account.plan.business_hours_only,
        time_zone=account.time_zone,
        country=account.country,
    )
    return {"next_reply_started_at": start, "next_reply_due_at": due, "next_reply_warn_at": warn}


STOPPED: dict[str, datetime | None] = dict.fromkeys(FIELDS)


def on_status_change(case: Case, old: CaseStatus, new: CaseStatus, now: datetime) -> dict:
    """The clock's fields a status change sets (for `cases.lifecycle`): emptied when the case
    leaves Support's turn, started when an answered case comes back to it, else none."""
    if new not in SUPPORT_TURN:
        return dict(STOPPED) if case.next_reply_started_at is not None else {}
    if old not in SUPPORT_TURN and case.first_responded_at is not None:
        return clock_values(case, now)
    return {}


def start(case: Case, now: datetime) -> list[str]:
    """Start (or restart) the clock at `now` in memory; returns the fields to save."""
    for name, value in clock_values(case, now).items():
        setattr(case, name, value)
    return list(FIELDS)


def ensure_running(case: Case, now: datetime) -> list[str]:
    """Start the clock unless it runs already or the case is not answered and with Support
    (a customer's message to such a case; the oldest unanswered message counts)."""
    if (
        case.next_reply_started_at is None
        and case.first_responded_at is not None
        and CaseStatus(case.status) in SUPPORT_TURN
    ):
        return start(case, now)
    return []


def measure(case: Case, actor: Principal, now: datetime, *, due: datetime | None) -> list[str]:
    """Support replied: count the reply against the clock that ran until it (`due`, read before
    the reply's status change, which may have emptied the clock): met or missed, recorded in the
    case's history; the clock stops in memory. Returns the fields to save."""
    if due is None:
        return []
    met = now <= due
    case.next_replies += 1
    if not met:
        case.next_replies_missed += 1
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.NEXT_REPLY,
        actor=actor.user,
        actor_arn=actor.arn,
        data={"met": met, "due": due.isoformat()},
    )
    for name in FIELDS:
        setattr(case, name, None)
    return [*FIELDS, "next_replies", "next_replies_missed"]


def first_response(case: Case, actor: Principal, now: datetime) -> list[str]:
    """Support reached the customer (a reply, a callback that got through): if it is the case's
    first response, stop the first-response clock, record whether its deadline was met in the
    case's history. Returns the fields to save."""
    if case.first_responded_at is not None:
        return []
    case.first_responded_at = now
    case.first_response_met = (
        case.first_response_due_at is None or now <= case.first_response_due_at
    )
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.FIRST_RESPONSE,
        actor=actor.user,
        actor_arn=actor.arn,
        data={"met": case.first_response_met},
    )
    return ["first_responded_at", "first_response_met"]


def resume(case: Case, now: datetime) -> list[str]:
    """After Support replied (and `measure` counted it) and the reply's status change: restart
    the clock from `now` if the answered case stays with Support (a further update is owed)."""
    if CaseStatus(case.status) in SUPPORT_TURN and case.first_responded_at is not None:
        return start(case, now)
    return []


def reclassified(case: Case) -> list[str]:
    """The case's plan cell changed: a running clock keeps its start and takes the new target."""
    if case.next_reply_started_at is None:
        return []
    return start(case, case.next_reply_started_at)
