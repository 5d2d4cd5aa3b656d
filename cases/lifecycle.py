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

Who may take an edge (`allowed_transitions`):
- support engineers (and the system principal): every edge in `TRANSITIONS`;
- customers: resolve an open case, reopen a resolved one, and move pending-customer-action to
  opened by replying (done by the communications service, not by a button).

Resolving a case that is already resolved is a no-op that returns ``(resolved, resolved)``, as
AWS's ResolveCase does; every other same-state change is an `InvalidCaseTransition`.
"""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone

from accounts.principals import Principal
from audit import services as audit
from audit.services import AuditEventName
from cases.models import Case, CaseEvent, CaseEventKind, CaseStatus
from core.errors import ConcurrentCaseUpdate, InvalidCaseTransition

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

# The edges a customer may take; each must also be in TRANSITIONS.
CUSTOMER_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.UNASSIGNED: frozenset({S.RESOLVED}),
    S.WORK_IN_PROGRESS: frozenset({S.RESOLVED}),
    S.PENDING_CUSTOMER_ACTION: frozenset({S.OPENED, S.RESOLVED}),
    S.OPENED: frozenset({S.RESOLVED}),
    S.RESOLVED: frozenset({S.REOPENED}),
    S.REOPENED: frozenset({S.RESOLVED}),
}

MSG_INVALID = "A case cannot move from {old} to {new}."
MSG_NOT_PERMITTED = "You cannot move a case from {old} to {new}."


def _edges_for(actor: Principal) -> dict[CaseStatus, frozenset[CaseStatus]]:
    if actor.is_customer:
        return CUSTOMER_TRANSITIONS
    if actor.is_engineer or actor.is_system:
        return TRANSITIONS
    return {}


def allowed_transitions(case: Case, actor: Principal) -> frozenset[CaseStatus]:
    """The statuses `actor` may move `case` to now (for buttons and checks alike)."""
    return _edges_for(actor).get(CaseStatus(case.status), frozenset())


def is_open(status: str) -> bool:
    return CaseStatus(status) in OPEN_STATUSES


def _event_name(old: CaseStatus, new: CaseStatus) -> str:
    if new == S.RESOLVED:
        return AuditEventName.RESOLVE_CASE
    if old == S.RESOLVED and new == S.REOPENED:
        return AuditEventName.REOPEN_CASE
    return AuditEventName.UPDATE_CASE_STATUS


def transition_many(
    case_ids: list[int], *, from_status: CaseStatus, to: CaseStatus, actor: Principal, reason: str
) -> list[int]:
    """Set-based: move those of `case_ids` still in `from_status` to `to`, with their case events.

    For jobs over many cases (auto-resolve). Preconditions: inside a transaction in which the
    caller locked the rows (select_for_update skip_locked on PostgreSQL; SQLite's IMMEDIATE
    transactions hold the write lock). Returns the ids that moved. Raises `InvalidCaseTransition`
    for an edge not in the table.
    """
    if to not in TRANSITIONS[from_status]:
        raise InvalidCaseTransition(MSG_INVALID.format(old=from_status.label, new=to.label))
    moving = list(
        Case.objects.filter(pk__in=case_ids, status=from_status).values_list("pk", flat=True)
    )
    if not moving:
        return []
    now = timezone.now()
    fields: dict[str, object] = {"status": to, "updated_at": now, "status_changed_at": now}
    if to == S.RESOLVED:
        fields["resolved_at"] = now
    Case.objects.filter(pk__in=moving, status=from_status).update(**fields)
    CaseEvent.objects.bulk_create(
        [
            CaseEvent(
                case_id=pk,
                kind=CaseEventKind.STATUS_CHANGED,
                actor=actor.user,
                actor_arn=actor.arn,
                from_status=from_status,
                to_status=to,
                reason=reason[:500],
                created_at=now,
            )
            for pk in moving
        ]
    )
    return moving


@transaction.atomic
def transition(
    case: Case,
    *,
    to: CaseStatus | str,
    actor: Principal,
    reason: str = "",
    audit_record: bool = True,
) -> tuple[str, str]:
    """Move `case` to `to` and return ``(initial status, final status)``.

    Preconditions: `case` was loaded through an access function for `actor`. The update is
    conditional on the status the caller saw, so of two concurrent changes only one wins.
    Side effects: a `CaseEvent` and (unless the caller audits the whole operation itself) an
    audit record, in this transaction; `case` is updated in memory.
    Raises: `InvalidCaseTransition` for an edge not in the table or not open to the actor;
    `ConcurrentCaseUpdate` when the stored status is no longer the one `case` holds.
    """
    old = CaseStatus(case.status)
    new = CaseStatus(to)
    if old == new == S.RESOLVED:
        return old.value, new.value
    if new not in TRANSITIONS[old]:
        raise InvalidCaseTransition(MSG_INVALID.format(old=old.label, new=new.label))
    if new not in allowed_transitions(case, actor):
        raise InvalidCaseTransition(MSG_NOT_PERMITTED.format(old=old.label, new=new.label))
    now = timezone.now()
    fields: dict[str, object] = {"status": new, "updated_at": now, "status_changed_at": now}
    if new == S.RESOLVED:
        fields["resolved_at"] = now
    elif old == S.RESOLVED:
        fields["resolved_at"] = None
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
    if audit_record:
        audit.record(
            actor=actor,
            event_name=_event_name(old, new),
            account=case.account,
            request_parameters={"caseId": case.case_id, "status": new.value},
            response_elements={"initialCaseStatus": old.value, "finalCaseStatus": new.value},
        )
    return old.value, new.value
