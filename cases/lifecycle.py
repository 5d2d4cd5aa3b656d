"""The case lifecycle: the only module that writes `Case.status`.

Statuses are the API's values; people see the display names (``opened`` reads "Pending Amazon
action"). Open statuses form a clique that engineers move between; resolved is the only exit and
reopened the only way back::

      unassigned ──claim──▶ work-in-progress ──ask for info──▶ pending-customer-action
          │                       ▲   │                             │      ▲
          │ reply                 │   │ investigating               │      │ ask again
          ▼                       │   ▼                   customer  ▼      │
          └──────────────▶  opened ("Pending Amazon action") ◀──replies─┘
                                          │
      every open status ──resolve (customer, engineer, auto-resolve)──▶ resolved
      resolved ──reopen (customer or reply)──▶ reopened
      reopened ──▶ any open status but unassigned, or resolved
      work-in-progress ──release (the assignee gives the case back)──▶ unassigned

Who may take an edge (`allowed_transitions`):
- support engineers (and the system principal): every edge in `TRANSITIONS`;
- customers: resolve an open case, reopen a resolved one, and move pending-customer-action to
  opened by replying (done by the communications service, not by a button).
- support engineers changing the status without a reply (`Cause.STATUS_UPDATE`): only the
  edges of `STATUS_UPDATE_TRANSITIONS` (`status_update_transitions`).
The release edge (`RELEASE_TRANSITIONS`) is not among them: it undoes what assigning a case did,
so only releasing a case takes it (`Cause.RELEASE`), and no button or reply offers it.

Resolving a case that is already resolved is a no-op that returns ``(resolved, resolved)``, as
AWS's ResolveCase does (it is still the actor's action, and audited as one); every other
same-state change is an `InvalidCaseTransition`.

What a status change causes beyond the case row happens here and nowhere else, whichever
interface caused it (`_after`). The `Cause` of a change decides which of these it gets:

    cause            audit record of its own   status email   Support Case Update event
    ACTION           yes                       yes            ResolveCase / ReopenCase
    ASSIGNMENT       yes                       yes            (never resolves or reopens)
    SUPPORT_REPLY    yes                       no             ResolveCase
    CUSTOMER_REPLY   no                        no             ReopenCase
    AUTO_RESOLVE     yes                       yes            ResolveCase
    RELEASE          yes                       no             (never resolves or reopens)
    STATUS_UPDATE    yes                       to pending     ResolveCase
                                               customer action
                                               or resolved

A reply's own audit record, email and AddCommunicationToCase event are written by the
communications service; they cover a change the reply implies (a customer's reply hands the
case back to Support or reopens it), but not a status an engineer chose with the reply.
Jobs move many cases at once with `transition_many`: the same effects, written set-based
(`_after_many`: one statement each for the audit records, emails and events of a batch).
Test cases take the same edges, moved by the system principal's scripted support replies
(`cases.services.testscript`), so they cause what a real case's changes cause.
Every change also writes a `CaseEvent` (the case's history). Events are published for the
changes customers' rules can name: to resolved (ResolveCase) and to reopened (ReopenCase).
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.principals import Principal
from audit import services as audit
from audit.names import AuditEventName
from cases import alerts, clocks
from cases.effects import (
    case_email_enqueue,
    case_event_publish,
    case_events_publish,
    case_status_emails_enqueue,
)
from cases.models import Case, CaseEvent, CaseEventKind, CaseStatus
from core.bulk import among, insert_rows
from core.errors import ConcurrentCaseUpdate, InvalidCaseTransition
from events.kinds import CaseEventName

S = CaseStatus

OPEN_STATUSES: frozenset[CaseStatus] = frozenset(
    {S.UNASSIGNED, S.WORK_IN_PROGRESS, S.PENDING_CUSTOMER_ACTION, S.OPENED, S.REOPENED}
)

TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.UNASSIGNED: frozenset({S.WORK_IN_PROGRESS, S.PENDING_CUSTOMER_ACTION, S.OPENED, S.RESOLVED}),
    S.WORK_IN_PROGRESS: frozenset({S.PENDING_CUSTOMER_ACTION, S.OPENED, S.RESOLVED}),
    S.PENDING_CUSTOMER_ACTION: frozenset({S.WORK_IN_PROGRESS, S.OPENED, S.RESOLVED}),
    S.OPENED: frozenset({S.WORK_IN_PROGRESS, S.PENDING_CUSTOMER_ACTION, S.RESOLVED}),
    S.RESOLVED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.WORK_IN_PROGRESS, S.PENDING_CUSTOMER_ACTION, S.OPENED, S.RESOLVED}),
}

# Assigning a case is the only way into work in progress (`case_assign`), so a case released
# back to the queue goes back to unassigned, where the queue's Claim expects it; a case in any
# other status keeps it (a question to the customer stays asked).
RELEASE_TRANSITIONS: dict[CaseStatus, CaseStatus] = {S.WORK_IN_PROGRESS: S.UNASSIGNED}

# The edges a customer may take; each must also be in TRANSITIONS.
CUSTOMER_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.UNASSIGNED: frozenset({S.RESOLVED}),
    S.WORK_IN_PROGRESS: frozenset({S.RESOLVED}),
    S.PENDING_CUSTOMER_ACTION: frozenset({S.OPENED, S.RESOLVED}),
    S.OPENED: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.RESOLVED}),
}


# What an engineer may set without writing to the customer (the console's Change status). A
# customer who is not told cannot act, so pending customer action needs a case Support has
# answered (and emails the customer); work in progress needs someone working the case (claiming
# is the way in from the queue); a resolved case reopens with its own button.
STATUS_UPDATE_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.UNASSIGNED: frozenset({S.RESOLVED}),
    S.WORK_IN_PROGRESS: frozenset({S.PENDING_CUSTOMER_ACTION, S.OPENED, S.RESOLVED}),
    S.PENDING_CUSTOMER_ACTION: frozenset({S.WORK_IN_PROGRESS, S.OPENED, S.RESOLVED}),
    S.OPENED: frozenset({S.WORK_IN_PROGRESS, S.PENDING_CUSTOMER_ACTION, S.RESOLVED}),
    S.RESOLVED: frozenset(),
    S.REOPENED: frozenset({S.WORK_IN_PROGRESS, S.PENDING_CUSTOMER_ACTION, S.OPENED, S.RESOLVED}),
}


class Cause(enum.Enum):
    """Why a case's status changes; decides what else the change causes (see the table above)."""

    ACTION = "action"
    ASSIGNMENT = "assigned"
    SUPPORT_REPLY = "support reply"
    CUSTOMER_REPLY = "customer reply"
    AUTO_RESOLVE = "auto-resolve"
    RELEASE = "released"
    STATUS_UPDATE = "status update"


@dataclass(frozen=True)
class _Effects:
    audit: bool
    email: bool
    # Only these destinations email (None: all of them).
    email_to: frozenset[CaseStatus] | None = None


EFFECTS: dict[Cause, _Effects] = {
    Cause.ACTION: _Effects(audit=True, email=True),
    Cause.ASSIGNMENT: _Effects(audit=True, email=True),
    Cause.SUPPORT_REPLY: _Effects(audit=True, email=False),
    Cause.CUSTOMER_REPLY: _Effects(audit=False, email=False),
    Cause.AUTO_RESOLVE: _Effects(audit=True, email=True),
    # Who works the case is Support's business; the customer's next look shows the status.
    Cause.RELEASE: _Effects(audit=True, email=False),
    # Work in progress and pending Amazon action are both "with Support" to the customer; what
    # asks something of them or ends the case is told, as AWS's status emails do.
    Cause.STATUS_UPDATE: _Effects(
        audit=True, email=True, email_to=frozenset({S.PENDING_CUSTOMER_ACTION, S.RESOLVED})
    ),
}
EVENTS: dict[CaseStatus, CaseEventName] = {
    S.RESOLVED: CaseEventName.RESOLVE_CASE,
    S.REOPENED: CaseEventName.REOPEN_CASE,
}

# Filled in by SupportApiError (params), so pages show them translated.
MSG_INVALID = gettext_noop("A case cannot move from {old} to {new}.")
MSG_NOT_PERMITTED = gettext_noop("You cannot move a case from {old} to {new}.")
MSG_REOPEN_EXPIRED = gettext_noop(
    "This case was resolved more than {days} days ago and can no longer be reopened: open a "
    "related case instead."
)


def _edges_for(actor: Principal) -> dict[CaseStatus, frozenset[CaseStatus]]:
    if actor.is_customer:
        return CUSTOMER_TRANSITIONS
    if actor.is_engineer or actor.is_system:
        return TRANSITIONS
    return {}


def allowed_transitions(case: Case, actor: Principal) -> frozenset[CaseStatus]:
    """The statuses `actor` may move `case` to now (for buttons and checks alike)."""
    edges = _edges_for(actor).get(CaseStatus(case.status), frozenset())
    if actor.is_customer and S.REOPENED in edges and not within_reopen_window(case):
        edges = edges - {S.REOPENED}
    return edges


def status_update_transitions(case: Case, actor: Principal) -> frozenset[CaseStatus]:
    """The statuses `actor` may set on `case` without a reply (`Cause.STATUS_UPDATE`)."""
    if not actor.is_engineer:
        return frozenset()
    edges = STATUS_UPDATE_TRANSITIONS[CaseStatus(case.status)]
    if case.first_responded_at is None:
        edges = edges - {S.PENDING_CUSTOMER_ACTION}
    if case.assignee_id is None:
        edges = edges - {S.WORK_IN_PROGRESS}
    return edges


def release_status(case: Case) -> CaseStatus | None:
    """The status releasing `case` to the queue moves it to (None: it keeps its own)."""
    return RELEASE_TRANSITIONS.get(CaseStatus(case.status))


def _check_release(old: CaseStatus, new: CaseStatus, actor: Principal) -> None:
    if RELEASE_TRANSITIONS.get(old) != new:
        raise InvalidCaseTransition(MSG_INVALID, params={"old": old.label, "new": new.label})
    if not (actor.is_engineer or actor.is_system):
        raise InvalidCaseTransition(MSG_NOT_PERMITTED, params={"old": old.label, "new": new.label})


def reopen_deadline(case: Case) -> datetime | None:
    """Until when a customer may reopen the resolved `case` (None: it is not resolved)."""
    if case.status != S.RESOLVED or case.resolved_at is None:
        return None
    return case.resolved_at + timedelta(days=settings.SUPPORTCENTER_REOPEN_DAYS)


def within_reopen_window(case: Case) -> bool:
    deadline = reopen_deadline(case)
    return deadline is None or timezone.now() <= deadline


def is_open(status: str) -> bool:
    return CaseStatus(status) in OPEN_STATUSES


def _event_name(old: CaseStatus, new: CaseStatus) -> str:
    if new == S.RESOLVED:
        return AuditEventName.RESOLVE_CASE
    if old == S.RESOLVED and new == S.REOPENED:
        return AuditEventName.REOPEN_CASE
    return AuditEventName.UPDATE_CASE_STATUS


def _after(
    case: Case,
    old: CaseStatus,
    new: CaseStatus,
    *,
    actor: Principal,
    cause: Cause,
    reason: str,
    note: str = "",
) -> None:
    """Everything a status change causes besides the row and its `CaseEvent`, by `cause`: the
    audit record, the status email (with `note`, the text the change added, if any) and the
    Support Case Update event. Inside the change's transaction."""
    effects = EFFECTS[cause]
    if effects.audit:
        parameters: dict[str, object] = {"caseId": case.case_id, "status": new.value}
        if reason:
            parameters["reason"] = reason
        audit.record(
            actor=actor,
            event_name=_event_name(old, new),
            account=case.account,
            request_parameters=parameters,
            response_elements={"initialCaseStatus": old.value, "finalCaseStatus": new.value},
        )
    if old == new:
        return
    if effects.email and (effects.email_to is None or new in effects.email_to):
        case_email_enqueue(case=case, kind="status", body=note, origin="support" if note else "")
    if new in EVENTS:
        case_event_publish(case=case, event_name=EVENTS[new])
    if new == S.REOPENED and cause is Cause.ACTION and actor.is_customer:
        # The customer reopened the case with the button; a reopening reply alerts as a reply.
        stamp = case.status_changed_at.isoformat() if case.status_changed_at else ""
        alerts.alert_customer_activity(case, event=f"reopen:{case.case_id}:{stamp}")


def _after_many(
    cases: list[Case],
    old: CaseStatus,
    new: CaseStatus,
    *,
    actor: Principal,
    cause: Cause,
    reason: str,
    notes: dict[int, str],
) -> None:
    """`_after` for many cases moved together, set-based: one INSERT each for the audit records,
    the status emails (composed by the sender) and the events' deliveries, however many cases.
    Only for a system job's moves (`transition_many`): a customer's reopening alert is not one
    of them."""
    effects = EFFECTS[cause]
    if effects.audit:
        parameters: dict[str, object] = {"status": new.value}
        if reason:
            parameters["reason"] = reason
        response = {"initialCaseStatus": old.value, "finalCaseStatus": new.value}
        audit.record_many(
            actor=actor,
            event_name=_event_name(old, new),
            entries=[
                (case.account, {"caseId": case.case_id, **parameters}, response) for case in cases
            ],
        )
    if effects.email:
        case_status_emails_enqueue(cases, notes=notes)
    if new in EVENTS:
        case_events_publish(cases, event_name=EVENTS[new])


# The fields `_after_many` and the callers of `transition_many` read.
EFFECTS_READ = (
    "case_id",
    "display_id",
    "language",
    "status",
    "submitted_by",
    "cc_email_addresses",
    # Which alternate contact gets a copy (cases.effects.case_recipients).
    "case_type",
    "service_id",
    "account__account_id",
    "account__contact_email",
    "submitter__email",
    # The first-response SLA the Support Case Update event carries (cases.sla).
    "first_response_due_at",
    "first_responded_at",
    "first_response_met",
    "resolved_at",
)


def transition_many(
    case_ids: list[int],
    *,
    from_status: CaseStatus,
    to: CaseStatus,
    actor: Principal,
    cause: Cause,
    note: Callable[[Case], str] | None = None,
) -> list[Case]:
    """Set-based: move those of `case_ids` still in `from_status` to `to`, with what each change
    causes, as `transition` would one by one (`note(case)` is the text its email carries). For
    jobs of the system principal over many cases (auto-resolve). The queries do not grow with
    the number of cases: the conditional UPDATE, one INSERT each for the case events, audit
    records, emails (composed by the sender) and event deliveries (`_after_many`).

    Preconditions: inside a transaction in which the caller locked the rows (select_for_update
    skip_locked on PostgreSQL; SQLite's IMMEDIATE transactions hold the write lock); `to` does
    not start the next-reply clock (a move into Support's turn needs each case's own target).
    Returns the cases that moved, with their account and submitter loaded.
    Raises `InvalidCaseTransition` for an edge not in the table or not the system's.
    """
    if to not in TRANSITIONS[from_status] or not actor.is_system:
        raise InvalidCaseTransition(MSG_INVALID, params={"old": from_status.label, "new": to.label})
    if to in clocks.SUPPORT_TURN and from_status not in clocks.SUPPORT_TURN:
        raise InvalidCaseTransition(MSG_INVALID, params={"old": from_status.label, "new": to.label})
    cases = list(
        Case.objects.filter(pk__in=among(case_ids), status=from_status)
        .select_related("account", "submitter")
        # What the effects read (ids, language, recipients), not the case's twenty dates.
        .only(*EFFECTS_READ)
        .order_by("pk")
    )
    if not cases:
        return []
    now = timezone.now()
    fields: dict[str, object] = {"status": to, "updated_at": now, "status_changed_at": now}
    if to == S.RESOLVED:
        fields["resolved_at"] = now
    if to not in clocks.SUPPORT_TURN:
        fields.update(clocks.STOPPED)
    # The rows are locked, so every case read above moves.
    moving = among([case.pk for case in cases])
    Case.objects.filter(pk__in=moving, status=from_status).update(**fields)
    reason = cause.value
    insert_rows(
        CaseEvent,
        [
            {
                "case_id": case.pk,
                "kind": CaseEventKind.STATUS_CHANGED,
                "actor_id": actor.user.pk if actor.user is not None else None,
                "actor_arn": actor.arn,
                "from_status": from_status,
                "to_status": to,
                "reason": reason[:500],
                "created_at": now,
            }
            for case in cases
        ],
    )
    for case in cases:
        for name, value in fields.items():
            setattr(case, name, value)
    notes = {case.pk: note(case) for case in cases} if note is not None else {}
    _after_many(cases, from_status, to, actor=actor, cause=cause, reason=reason, notes=notes)
    return cases


@transaction.atomic
def transition(
    case: Case,
    *,
    to: CaseStatus | str,
    actor: Principal,
    cause: Cause = Cause.ACTION,
) -> tuple[str, str]:
    """Move `case` to `to` and return ``(initial status, final status)``.

    Preconditions: `case` was loaded through an access function for `actor`. The update is
    conditional on the status the caller saw, so of two concurrent changes only one wins.
    Side effects, in this transaction: a `CaseEvent`, the next-reply clock kept in step
    (`cases.clocks`), and what `cause` calls for (`_after`: an audit record, the status email,
    the Support Case Update event); `case` is updated in memory.
    Raises: `InvalidCaseTransition` for an edge not in the table or not open to the actor;
    `ConcurrentCaseUpdate` when the stored status is no longer the one `case` holds.
    """
    old = CaseStatus(case.status)
    new = CaseStatus(to)
    reason = "" if cause is Cause.ACTION else cause.value
    if cause is Cause.RELEASE:
        _check_release(old, new, actor)
    elif old == new == S.RESOLVED:
        _after(case, old, new, actor=actor, cause=cause, reason=reason)
        return old.value, new.value
    elif new not in TRANSITIONS[old]:
        raise InvalidCaseTransition(MSG_INVALID, params={"old": old.label, "new": new.label})
    elif cause is Cause.STATUS_UPDATE:
        if new not in status_update_transitions(case, actor):
            raise InvalidCaseTransition(
                MSG_NOT_PERMITTED, params={"old": old.label, "new": new.label}
            )
    elif new not in allowed_transitions(case, actor):
        if new == S.REOPENED and actor.is_customer and not within_reopen_window(case):
            raise InvalidCaseTransition(
                MSG_REOPEN_EXPIRED, params={"days": settings.SUPPORTCENTER_REOPEN_DAYS}
            )
        raise InvalidCaseTransition(MSG_NOT_PERMITTED, params={"old": old.label, "new": new.label})
    now = timezone.now()
    fields: dict[str, object] = {"status": new, "updated_at": now, "status_changed_at": now}
    if new == S.RESOLVED:
        fields["resolved_at"] = now
    elif old == S.RESOLVED:
        fields["resolved_at"] = None
    fields.update(clocks.on_status_change(case, old, new, now))
    updated = Case.objects.filter(pk=case.pk, status=old).update(**fields)
    if updated == 0:
        raise ConcurrentCaseUpdate()
    for name, value in fields.items():
        setattr(case, name, value)
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.STATUS_CHANGED,
        actor=actor.user,
        actor_arn=actor.arn,
        from_status=old,
        to_status=new,
        reason=reason[:500],
    )
    _after(case, old, new, actor=actor, cause=cause, reason=reason)
    return old.value, new.value
