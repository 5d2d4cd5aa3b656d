"""What support engineers do to a case besides replying: correct its severity, service and
category, record a phone callback, and change its status without writing to the customer."""

from __future__ import annotations

from django.db import transaction
from django.utils import timezone, translation
from django.utils.translation import gettext, gettext_noop

from accounts.principals import Principal
from audit import services as audit
from audit.names import AuditEventName
from audit.refusals import audit_refusals
from cases import clocks, lifecycle, sla
from cases.effects import case_email_enqueue
from cases.lifecycle import Cause
from cases.models import Case, CaseEvent, CaseEventKind, CaseStatus, InternalNote
from cases.services.catalog import resolve_catalog
from cases.services.severities import severity_fields
from cases.services.validation import _describe_case
from catalog.models import Category, ContactMethod, Service, Severity
from core.errors import ConcurrentCaseUpdate, InvalidParameterValueException

MSG_NOT_SUPPORT = "Only support engineers can do this."
MSG_REASON = gettext_noop("Say why the case changes (at most 500 characters).")
MSG_UNCHANGED = gettext_noop("Nothing to change: choose another severity, service or category.")
MSG_NOT_PHONE = gettext_noop("Only phone cases have callbacks.")
MSG_OUTCOME = gettext_noop("Note how the call went (at most 2,000 characters).")
MSG_STATUS_NOTE = gettext_noop("Keep the internal note to at most 2,000 characters.")
MSG_STATUS_MOVED = gettext_noop(
    "Someone else changed this case's status to {status} while you had it open. Check the case "
    "and choose again."
)
# The customer's email, in the case's language.
CHANGE_LINE = gettext_noop("{field}: {old} → {new}")
REASON_LINE = gettext_noop("Reason: {reason}")


def _require_engineer(actor: Principal) -> None:
    if not actor.is_engineer:
        raise InvalidParameterValueException(MSG_NOT_SUPPORT)


@audit_refusals(AuditEventName.UPDATE_CASE_CLASSIFICATION, describe=_describe_case)
@transaction.atomic
def case_reclassify(
    *,
    case: Case,
    actor: Principal,
    severity_code: str,
    service_code: str,
    category_code: str,
    reason: str,
) -> Case:
    """Correct a case's severity, service and category (an engineer's decision, with a reason).

    Preconditions: `case` was loaded with an access function for `actor`, a support engineer.
    The new values must be open to the account's plan, as when the case was created. Until the
    first response, the first-response deadline is recomputed from the case's creation with the
    new severity's target (it may be overdue at once).
    Side effects: a `CaseEvent` (reclassified) with the old and new values, an audit record
    (UpdateCaseClassification), and an email telling the customer what changed and why.
    Raises `InvalidParameterValueException` (not an engineer, no reason, nothing changed, a value
    the plan does not offer).
    """
    _require_engineer(actor)
    reason = " ".join((reason or "").split())
    if not reason or len(reason) > 500:
        raise InvalidParameterValueException(MSG_REASON, field="reason")
    account = case.account
    service, category, cell = resolve_catalog(
        account=account,
        service_code=service_code,
        category_code=category_code,
        severity_code=severity_code,
    )
    before: dict[str, Severity | Service | Category] = {
        "severity": case.severity,
        "service": case.service,
        "category": case.category,
    }
    after: dict[str, Severity | Service | Category] = {
        "severity": cell.severity,
        "service": service,
        "category": category,
    }
    changed = [name for name in before if before[name].pk != after[name].pk]
    if not changed:
        raise InvalidParameterValueException(MSG_UNCHANGED)
    severity = severity_fields(cell.severity)
    for name, value in severity.items():
        setattr(case, name, value)
    case.service, case.category = service, category
    case.case_type = service.case_type
    fields = [*severity, "service", "category", "case_type", "updated_at"]
    if case.first_responded_at is None:
        case.first_response_due_at, case.first_response_warn_at = sla.first_response_clock(
            case.created_at,
            cell.response_minutes,
            warning_percent=cell.severity.sla_warning_percent,
            business_hours_only=account.plan.business_hours_only,
            time_zone=account.time_zone,
            country=account.country,
        )
        fields += ["first_response_due_at", "first_response_warn_at"]
    fields += clocks.reclassified(case)
    case.save(update_fields=fields)
    codes = {name: (before[name].code, after[name].code) for name in changed}
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.RECLASSIFIED,
        actor=actor.user,
        actor_arn=actor.arn,
        reason=reason,
        data={name: {"from": old, "to": new} for name, (old, new) in codes.items()},
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.UPDATE_CASE_CLASSIFICATION,
        account=account,
        request_parameters={
            "caseId": case.case_id,
            **{f"{name}Code": new for name, (_old, new) in codes.items()},
        },
    )
    with translation.override(case.language or "en"):
        labels = {
            "severity": gettext("Severity"),
            "service": gettext("Service"),
            "category": gettext("Category"),
        }
        lines = [
            gettext(CHANGE_LINE).format(
                field=labels[name], old=before[name].name, new=after[name].name
            )
            for name in changed
        ]
        lines.append(gettext(REASON_LINE).format(reason=reason))
    case_email_enqueue(case=case, kind="changed", body="\n".join(lines), origin="support")
    return case


@audit_refusals(AuditEventName.RECORD_CALLBACK, describe=_describe_case)
@transaction.atomic
def case_callback_record(*, case: Case, actor: Principal, reached: bool, outcome: str) -> Case:
    """Record a phone callback and how it went (for engineers; the customer is not emailed).

    A callback that reached the customer is a reply: the case's first response if there was none
    yet (it stops the first-response clock and records whether the deadline was met), and one
    measured against a running next-reply clock, which restarts while the case stays with
    Support (`cases.clocks`).
    Side effects: a `CaseEvent` (callback), a first-response event when it was one, an audit
    record (RecordCallback). Raises `InvalidParameterValueException` (not an engineer, not a
    phone case, no or too long outcome note).
    """
    _require_engineer(actor)
    if case.contact_method != ContactMethod.PHONE:
        raise InvalidParameterValueException(MSG_NOT_PHONE)
    outcome = (outcome or "").strip()
    if not outcome or len(outcome) > 2000:
        raise InvalidParameterValueException(MSG_OUTCOME, field="outcome")
    now = timezone.now()
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.CALLBACK,
        actor=actor.user,
        actor_arn=actor.arn,
        data={"reached": reached, "outcome": outcome},
    )
    if reached:
        fields = ["updated_at", *clocks.measure(case, actor, now, due=case.next_reply_due_at)]
        fields += clocks.first_response(case, actor, now)
        fields += clocks.resume(case, now)
        case.save(update_fields=list(dict.fromkeys(fields)))
    audit.record(
        actor=actor,
        event_name=AuditEventName.RECORD_CALLBACK,
        account=case.account,
        request_parameters={"caseId": case.case_id, "reached": reached},
    )
    return case


@audit_refusals(AuditEventName.UPDATE_CASE_STATUS, describe=_describe_case)
@transaction.atomic
def case_status_update(
    *, case: Case, actor: Principal, status: str, seen_status: str, note: str = ""
) -> Case:
    """Set a case's status without a reply (an engineer investigating, or back from a phone
    call), with an optional internal note saying why.

    Preconditions: `case` was loaded with an access function for `actor`, a support engineer;
    `seen_status` is the status the engineer's page showed. The edges are the lifecycle's
    (`lifecycle.status_update_transitions`). A status change is not a reply: it never counts as
    the first response, and a running next-reply clock is not measured as met. The clock is
    emptied when the case leaves Support's turn, as on any such change; a reply it had already
    missed is recorded as missed, so a status change cannot hide a late reply.
    Side effects: the lifecycle's `CaseEvent`, audit record (UpdateCaseStatus, ResolveCase) and,
    to pending customer action or resolved, the customer's status email (without the note);
    the internal note.
    Raises `InvalidParameterValueException` (not an engineer, note too long),
    `ConcurrentCaseUpdate` (the status changed since the page was loaded, or concurrently),
    `InvalidCaseTransition` (an edge not open without a reply).
    """
    _require_engineer(actor)
    note = (note or "").strip()
    if len(note) > 2000:
        raise InvalidParameterValueException(MSG_STATUS_NOTE, field="note")
    if seen_status != case.status:
        # Another engineer changed it after this page was drawn: applying this choice over
        # theirs would undo a decision its author has not seen.
        raise ConcurrentCaseUpdate(
            MSG_STATUS_MOVED, params={"status": CaseStatus(case.status).label}
        )
    now = timezone.now()
    due = case.next_reply_due_at
    lifecycle.transition(case, to=status, actor=actor, cause=Cause.STATUS_UPDATE)
    if due is not None and now > due and CaseStatus(status) not in clocks.SUPPORT_TURN:
        fields = clocks.measure(case, actor, now, due=due)
        case.save(update_fields=[name for name in fields if name not in clocks.FIELDS])
    if note:
        InternalNote.objects.create(case=case, author=actor.user, body=note)
    return case
