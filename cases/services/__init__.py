"""Writes for cases: status changes and assignment here; creation in `creation`;
correspondence, CC lists and notes in `communications`, attachment sets in `attachments`, input
checks in `validation`, large uploads in `uploads`, the jobs in `maintenance`.

Every function is one transaction: it validates everything first and leaves nothing half-written.
Status changes go through `cases.lifecycle.transition`. Case text is redacted before it is stored.
"""

from __future__ import annotations

from collections.abc import Sequence

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Account, User
from accounts.principals import Principal
from audit import services as audit
from audit.names import AuditEventName
from audit.refusals import audit_refusals
from cases import alerts, lifecycle
from cases.lifecycle import Cause
from cases.models import Case, CaseEvent, CaseEventKind, CaseStatus
from cases.services.attachments import (
    NewAttachment,
    _with_new_attachments,
    attachment_open,
    attachment_set_add,
)
from cases.services.catalog import (
    MSG_CASE_TYPE_PLAN,
    MSG_CATEGORY,
    MSG_SERVICE,
    MSG_SEVERITY,
    MSG_SEVERITY_PLAN,
)
from cases.services.communications import (
    MSG_CC_PLAN,
    case_add_cc,
    case_add_communication,
    case_internal_note_add,
    case_internal_note_add_with_files,
    case_mark_read,
    case_reply_with_files,
    case_support_reply,
    case_support_reply_with_files,
)
from cases.services.creation import (
    MSG_CALLBACK_NUMBER,
    MSG_CALLBACK_WHEN,
    MSG_CASE_LIMIT,
    MSG_CONTACT_METHOD,
    MSG_ISSUE_TYPE,
    MSG_LANGUAGE,
    MSG_RELATED_CASE,
    CaseDraft,
    _describe_new_case,
    case_create,
    case_create_commit,
    case_create_prepare,
)
from cases.services.support import case_callback_record, case_reclassify, case_status_update
from cases.services.validation import (
    MSG_SUBJECT_EMPTY,
    _describe_case,
    clean_cc_addresses,
    safe_file_name,
)
from core.errors import InvalidParameterValueException

MSG_NOT_AN_ENGINEER = gettext_noop("Cases can only be assigned to support engineers.")
MSG_ALREADY_ASSIGNED = gettext_noop("{name} already has this case.")
MSG_TAKEN = gettext_noop("{name} has taken this case. To take it over, assign it to yourself.")
MSG_NOT_ASSIGNED = gettext_noop("Nobody has this case: it is in the queue already.")
MSG_RELEASE_NOT_ENGINEER = gettext_noop("Only support engineers can release a case to the queue.")
MSG_CHANGED_HANDS = gettext_noop(
    "{name} has this case now, so it was not released. Reload the page to see who has it."
)

# The public face of the case services, whatever sub-module holds each piece.
__all__ = [
    "MSG_ALREADY_ASSIGNED",
    "MSG_TAKEN",
    "MSG_NOT_AN_ENGINEER",
    "MSG_NOT_ASSIGNED",
    "MSG_RELEASE_NOT_ENGINEER",
    "MSG_CHANGED_HANDS",
    "MSG_CALLBACK_NUMBER",
    "MSG_CALLBACK_WHEN",
    "MSG_CASE_LIMIT",
    "MSG_CC_PLAN",
    "MSG_CONTACT_METHOD",
    "MSG_ISSUE_TYPE",
    "MSG_LANGUAGE",
    "MSG_RELATED_CASE",
    "CaseDraft",
    "case_create_commit",
    "case_create_prepare",
    "MSG_CASE_TYPE_PLAN",
    "MSG_CATEGORY",
    "MSG_SERVICE",
    "MSG_SEVERITY",
    "MSG_SEVERITY_PLAN",
    "case_callback_record",
    "case_reclassify",
    "case_status_update",
    "attachment_open",
    "MSG_SUBJECT_EMPTY",
    "NewAttachment",
    "attachment_set_add",
    "case_add_cc",
    "case_add_communication",
    "case_assign",
    "case_create",
    "case_create_with_files",
    "case_internal_note_add",
    "case_internal_note_add_with_files",
    "case_mark_read",
    "case_release",
    "case_reopen",
    "case_reply_with_files",
    "case_resolve",
    "case_support_reply",
    "case_support_reply_with_files",
    "clean_cc_addresses",
    "safe_file_name",
]

# --- cases --------------------------------------------------------------------------------------


@audit_refusals(AuditEventName.RESOLVE_CASE, describe=_describe_case)
@transaction.atomic
def case_resolve(*, case: Case, actor: Principal) -> tuple[str, str]:
    """Resolve a case; returns (initialCaseStatus, finalCaseStatus) like ResolveCase. What the
    change causes (audit record, email, event) is `lifecycle.transition`'s."""
    return lifecycle.transition(case, to=CaseStatus.RESOLVED, actor=actor)


@audit_refusals(AuditEventName.REOPEN_CASE, describe=_describe_case)
@transaction.atomic
def case_reopen(*, case: Case, actor: Principal) -> tuple[str, str]:
    """Reopen a resolved case (see `case_resolve`)."""
    return lifecycle.transition(case, to=CaseStatus.REOPENED, actor=actor)


@audit_refusals(AuditEventName.ASSIGN_CASE, describe=_describe_case)
@transaction.atomic
def case_assign(*, case: Case, engineer: User, actor: Principal, claim: bool = False) -> Case:
    """Assign a case to an engineer; an unassigned case moves to work in progress.

    `claim`: the engineer takes a case nobody has. Claim buttons are on pages loaded earlier, so
    a colleague may have taken the case since; the claim then fails instead of silently taking
    it from them (handing over is an assignment, which says whom to). The assignee is written by
    a conditional UPDATE on the one the caller loaded, so of two concurrent claims one wins.
    Side effects: a `CaseEvent` (assigned), an audit record (AssignCase), the assignee's alert.
    Raises `InvalidParameterValueException` (not an engineer, already the assignee, taken).
    """
    # Staff rights too: without them the console (`engineer_required`) would not open the case.
    if not engineer.is_engineer or not engineer.is_active or not engineer.is_staff:
        raise InvalidParameterValueException(MSG_NOT_AN_ENGINEER)
    if case.assignee_id == engineer.pk:
        # Nothing would change but a duplicate timeline entry and alert.
        raise InvalidParameterValueException(
            MSG_ALREADY_ASSIGNED, params={"name": _engineer_name(engineer)}
        )
    if claim and case.assignee is not None:
        raise InvalidParameterValueException(
            MSG_TAKEN, params={"name": _engineer_name(case.assignee)}
        )
    if not _swap_assignee(case, engineer):
        holder = _holder(case)
        name = _engineer_name(holder) if holder is not None else "?"
        raise InvalidParameterValueException(MSG_TAKEN, params={"name": name})
    if case.status in (CaseStatus.UNASSIGNED, CaseStatus.REOPENED):
        lifecycle.transition(
            case, to=CaseStatus.WORK_IN_PROGRESS, actor=actor, cause=Cause.ASSIGNMENT
        )
    assigned = CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.ASSIGNED,
        actor=actor.user,
        actor_arn=actor.arn,
        # The name is what a chat's customer sees join (kept as it was then).
        data={"assignee": engineer.login, "name": engineer.display_name},
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.ASSIGN_CASE,
        account=case.account,
        request_parameters={"caseId": case.case_id, "assignee": engineer.login},
    )
    alerts.alert_assigned(case, by=actor.user, event=f"{case.case_id}:{assigned.pk}")
    return case


@audit_refusals(AuditEventName.RELEASE_CASE, describe=_describe_case)
@transaction.atomic
def case_release(*, case: Case, actor: Principal) -> Case:
    """Give a case back to the queue: it has no assignee, and a case in work in progress only
    because it was assigned goes back to unassigned (`lifecycle.release_status`); any other
    status stays. Any engineer may release, as any may hand a case over (`case_assign`).

    Preconditions: `case` was loaded through an access function for `actor`. The assignee is
    cleared by a conditional UPDATE on the one the caller loaded: a case that changed hands
    since is not released from its new assignee.
    Side effects: a `CaseEvent` (released), an audit record (ReleaseCase), and the status change
    `lifecycle.transition` records (no email: see `Cause.RELEASE`).
    Raises `InvalidParameterValueException` (not an engineer, nobody has the case, it changed
    hands), `InvalidCaseTransition`/`ConcurrentCaseUpdate` from the lifecycle.
    """
    if not (actor.is_engineer or actor.is_system):
        raise InvalidParameterValueException(MSG_RELEASE_NOT_ENGINEER)
    if case.assignee_id is None:
        raise InvalidParameterValueException(MSG_NOT_ASSIGNED)
    previous = case.assignee
    if not _swap_assignee(case, None):
        holder = _holder(case)
        if holder is None:
            raise InvalidParameterValueException(MSG_NOT_ASSIGNED)
        raise InvalidParameterValueException(
            MSG_CHANGED_HANDS, params={"name": _engineer_name(holder)}
        )
    status = lifecycle.release_status(case)
    if status is not None:
        lifecycle.transition(case, to=status, actor=actor, cause=Cause.RELEASE)
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.RELEASED,
        actor=actor.user,
        actor_arn=actor.arn,
        data={"assignee": previous.login if previous is not None else ""},
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.RELEASE_CASE,
        account=case.account,
        request_parameters={"caseId": case.case_id},
    )
    return case


def _swap_assignee(case: Case, to: User | None) -> bool:
    """Write `to` as the assignee only if the case still has the one the caller loaded (a
    conditional UPDATE: of two concurrent changes one wins); on success `case` follows."""
    now = timezone.now()
    swapped = Case.objects.filter(pk=case.pk, assignee_id=case.assignee_id).update(
        assignee=to, updated_at=now
    )
    if swapped:
        case.assignee, case.updated_at = to, now
    return bool(swapped)


def _holder(case: Case) -> User | None:
    """Who has the case now, as stored (after a lost `_swap_assignee`)."""
    return Case.objects.select_related("assignee").get(pk=case.pk).assignee


def _engineer_name(engineer: User) -> str:
    return engineer.display_name or engineer.email


@audit_refusals(AuditEventName.CREATE_CASE, describe=_describe_new_case)
def case_create_with_files(
    *, actor: Principal, account: Account, files: Sequence[NewAttachment], **fields: object
) -> Case:
    """`case_create` with files uploaded in the same request (the web form)."""
    return _with_new_attachments(
        account=account,
        actor=actor,
        files=files,
        write=lambda attachment_set: case_create(
            actor=actor,
            account=account,
            attachment_set=attachment_set,
            **fields,  # type: ignore[arg-type]
        ),
    )
