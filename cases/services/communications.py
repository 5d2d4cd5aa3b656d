"""Correspondence: customer replies, support replies, CC lists and internal notes."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime

from django.db import transaction
from django.utils import timezone

from accounts.models import User
from accounts.principals import Principal
from audit import services as audit
from audit.names import AuditEventName
from audit.refusals import audit_refusals
from cases import alerts, clocks, lifecycle, search, testmode
from cases.effects import case_email_enqueue, case_event_publish
from cases.lifecycle import Cause
from cases.models import (
    AttachmentSet,
    AttachmentUpload,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseReadMark,
    CaseStatus,
    Communication,
    CommunicationOrigin,
    InternalNote,
)
from cases.services.attachments import (
    NewAttachment,
    _attach_uploads,
    _use_attachment_set,
    _with_new_attachments,
)
from cases.services.validation import _clean_body, _describe_case, _submitted_by, clean_cc_addresses
from core import ids
from core.errors import (
    InvalidParameterValueException,
)
from events.kinds import CaseEventName

MSG_CC_PLAN = "The {plan} support plan does not include additional contacts (CC)."
MSG_NOT_SUPPORT = "Only support engineers can reply as Support."


def _replies_as_support(actor: Principal) -> bool:
    # The system principal answers test cases (cases.services.testscript).
    return actor.is_engineer or actor.is_system


def _merged_cc(case: Case, addresses: Iterable[str]) -> list[str]:
    """The case's CC list with `addresses` added, validated against the 10-address cap and the
    plan. The current list is re-read under a row lock, so concurrent additions are merged."""
    case.cc_email_addresses = (
        Case.objects.select_for_update()
        .values_list("cc_email_addresses", flat=True)
        .get(pk=case.pk)
    )
    merged = clean_cc_addresses(addresses, existing=case.cc_email_addresses)
    if len(merged) > len(case.cc_email_addresses) and not case.account.plan.allows_cc:
        raise InvalidParameterValueException(
            MSG_CC_PLAN.format(plan=case.account.plan.name), field="cc_email_addresses"
        )
    return merged


def _cc_added(case: Case, actor: Principal, merged: list[str]) -> int:
    """Put `merged` on the case (the caller saves it) with its case event; returns how many
    addresses are new."""
    added = len(merged) - len(case.cc_email_addresses)
    if added:
        case.cc_email_addresses = merged
        CaseEvent.objects.create(
            case=case,
            kind=CaseEventKind.CC_ADDED,
            actor=actor.user,
            actor_arn=actor.arn,
            data={"count": added},
        )
    return added


def _communication_add(
    *,
    case: Case,
    actor: Principal,
    body: str,
    origin: str,
    attachment_set: AttachmentSet | None,
    now: datetime,
) -> Communication:
    """The correspondence row and its case event (body already cleaned)."""
    communication = Communication.objects.create(
        case=case,
        communication_id=ids.communication_id_new(),
        body=body,
        origin=origin,
        author=actor.user,
        submitted_by=_submitted_by(actor.user),
        attachment_set=attachment_set,
        created_at=now,
    )
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.COMMUNICATION_ADDED,
        actor=actor.user,
        actor_arn=actor.arn,
        data={"communicationId": communication.communication_id, "origin": origin},
    )
    search.index_append([case.pk], search.message_text(body, attachment_set))
    return communication


@audit_refusals(AuditEventName.ADD_COMMUNICATION_TO_CASE, describe=_describe_case)
@transaction.atomic
def case_add_communication(
    *,
    case: Case,
    actor: Principal,
    body: str,
    cc_email_addresses: Iterable[str] = (),
    attachment_set: AttachmentSet | None = None,
    uploads: Sequence[AttachmentUpload] = (),
) -> Communication:
    """A customer's reply (web or API).

    Preconditions: `case` was loaded with an access function for `actor`.
    A reply to a case pending customer action hands it back to Support (``opened``); a reply to a
    resolved case reopens it. CC addresses are merged into the case's list (at most 10 in all).
    Side effects: `CaseEvent`s, an audit record (AddCommunicationToCase).
    Raises `InvalidParameterValueException`, attachment-set errors, `ConcurrentCaseUpdate`.
    """
    clean_body = _clean_body(body)
    merged_cc = _merged_cc(case, cc_email_addresses)
    _use_attachment_set(attachment_set, case.account)
    attachment_set = _attach_uploads(uploads, case.account, attachment_set)
    now = timezone.now()
    # A reply to a resolved case reopens it; one to a case waiting for the customer hands it
    # back to Support. The reply's own audit record and email cover the change.
    if case.status == CaseStatus.RESOLVED:
        lifecycle.transition(case, to=CaseStatus.REOPENED, actor=actor, cause=Cause.CUSTOMER_REPLY)
    elif case.status == CaseStatus.PENDING_CUSTOMER_ACTION:
        lifecycle.transition(case, to=CaseStatus.OPENED, actor=actor, cause=Cause.CUSTOMER_REPLY)
    communication = _communication_add(
        case=case,
        actor=actor,
        body=clean_body,
        origin=CommunicationOrigin.CUSTOMER,
        attachment_set=attachment_set,
        now=now,
    )
    fields = [
        "last_customer_activity_at",
        "updated_at",
        *clocks.ensure_running(case, now),
        # A test case's script answers the reply.
        *testmode.scripted_case_replied(case, now),
    ]
    case.last_customer_activity_at = now
    if _cc_added(case, actor, merged_cc):
        fields.append("cc_email_addresses")
    case.save(update_fields=fields)
    # Whoever answers Support has read its answer (through the API as well as the page).
    if actor.user is not None:
        case_mark_read(case=case, user=actor.user)
    request_parameters: dict[str, object] = {"caseId": case.case_id}
    if attachment_set is not None:
        request_parameters["attachmentSetId"] = attachment_set.attachment_set_id
    audit.record(
        actor=actor,
        event_name=AuditEventName.ADD_COMMUNICATION_TO_CASE,
        account=case.account,
        request_parameters=request_parameters,
        response_elements={"result": True},
    )
    case_email_enqueue(
        case=case,
        kind="correspondence",
        body=clean_body,
        origin="customer",
        attachment_set=attachment_set,
    )
    alerts.alert_customer_activity(case, event=communication.communication_id)
    case_event_publish(
        case=case, event_name=CaseEventName.ADD_COMMUNICATION_TO_CASE, communication=communication
    )
    return communication


@audit_refusals(AuditEventName.ADD_COMMUNICATION_TO_CASE, describe=_describe_case)
@transaction.atomic
def case_support_reply(
    *,
    case: Case,
    actor: Principal,
    body: str,
    next_status: str,
    attachment_set: AttachmentSet | None = None,
) -> Communication:
    """A support engineer's reply, choosing the case's next status.

    The first support reply stops the first-response clock and records whether the deadline was
    met. An unassigned case is assigned to the replying engineer.
    The system principal replies too (test cases' scripted answers).
    Raises `InvalidParameterValueException` (not an engineer, bad body), `InvalidCaseTransition`.
    """
    if not _replies_as_support(actor):
        raise InvalidParameterValueException(MSG_NOT_SUPPORT)
    clean_body = _clean_body(body)
    _use_attachment_set(attachment_set, case.account)
    now = timezone.now()
    target = CaseStatus(next_status)
    # Read before the status change, which empties the clock when the case goes to the customer.
    next_reply_due = case.next_reply_due_at
    if target != CaseStatus(case.status):
        lifecycle.transition(case, to=target, actor=actor, cause=Cause.SUPPORT_REPLY)
    elif target == CaseStatus.PENDING_CUSTOMER_ACTION:
        # Asking the customer again restarts the auto-resolve clock, which counts from when
        # the case started waiting for them (status_changed_at).
        case.status_changed_at = now
    communication = _communication_add(
        case=case,
        actor=actor,
        body=clean_body,
        origin=CommunicationOrigin.SUPPORT,
        attachment_set=attachment_set,
        now=now,
    )
    case.last_support_reply_at = now
    fields = [
        "updated_at",
        "status_changed_at",
        "last_support_reply_at",
        *clocks.measure(case, actor, now, due=next_reply_due),
    ]
    if case.assignee_id is None:
        case.assignee = actor.user
        fields.append("assignee")
    fields += clocks.first_response(case, actor, now)
    fields += clocks.resume(case, now)
    case.save(update_fields=list(dict.fromkeys(fields)))
    audit.record(
        actor=actor,
        event_name=AuditEventName.ADD_COMMUNICATION_TO_CASE,
        account=case.account,
        request_parameters={"caseId": case.case_id, "status": target.value},
        response_elements={"result": True},
    )
    case_email_enqueue(
        case=case,
        kind="correspondence",
        body=clean_body,
        origin="support",
        attachment_set=attachment_set,
    )
    case_event_publish(
        case=case, event_name=CaseEventName.ADD_COMMUNICATION_TO_CASE, communication=communication
    )
    return communication


@audit_refusals(AuditEventName.ADD_CC_TO_CASE, describe=_describe_case)
@transaction.atomic
def case_add_cc(*, case: Case, actor: Principal, cc_email_addresses: Iterable[str]) -> Case:
    """Add CC addresses to a case (at most 10 in all)."""
    added = _cc_added(case, actor, _merged_cc(case, cc_email_addresses))
    if not added:
        return case
    case.save(update_fields=["cc_email_addresses", "updated_at"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.ADD_CC_TO_CASE,
        account=case.account,
        request_parameters={"caseId": case.case_id, "count": added},
    )
    return case


@audit_refusals(AuditEventName.ADD_COMMUNICATION_TO_CASE, describe=_describe_case)
def case_reply_with_files(
    *,
    case: Case,
    actor: Principal,
    body: str,
    files: Sequence[NewAttachment],
    cc_email_addresses: Iterable[str] = (),
) -> Communication:
    """`case_add_communication` with files uploaded in the same request (the web form)."""
    return _with_new_attachments(
        account=case.account,
        actor=actor,
        files=files,
        write=lambda attachment_set: case_add_communication(
            case=case,
            actor=actor,
            body=body,
            cc_email_addresses=cc_email_addresses,
            attachment_set=attachment_set,
        ),
    )


@audit_refusals(AuditEventName.ADD_INTERNAL_NOTE, describe=_describe_case)
@transaction.atomic
def case_internal_note_add(
    *,
    case: Case,
    actor: Principal,
    body: str,
    attachment_set: AttachmentSet | None = None,
) -> InternalNote:
    """A note for support engineers only (customers and the API never see it, nor its files:
    the customers' attachment loaders leave a note's set out).
    Raises `InvalidParameterValueException` (not an engineer, bad body), attachment-set errors."""
    if not actor.is_engineer:
        raise InvalidParameterValueException(MSG_NOT_SUPPORT)
    clean_body = _clean_body(body)
    _use_attachment_set(attachment_set, case.account)
    note = InternalNote.objects.create(
        case=case, author=actor.user, body=clean_body, attachment_set=attachment_set
    )
    parameters: dict[str, object] = {"caseId": case.case_id}
    if attachment_set is not None:
        parameters["attachmentSetId"] = attachment_set.attachment_set_id
    audit.record(
        actor=actor,
        event_name=AuditEventName.ADD_INTERNAL_NOTE,
        account=case.account,
        request_parameters=parameters,
    )
    return note


@audit_refusals(AuditEventName.ADD_COMMUNICATION_TO_CASE, describe=_describe_case)
def case_support_reply_with_files(
    *,
    case: Case,
    actor: Principal,
    body: str,
    next_status: str,
    files: Sequence[NewAttachment],
) -> Communication:
    """`case_support_reply` with files uploaded in the same request (the console), in the
    customers' limits (three files, 5 MB each) and storage."""
    if not actor.is_engineer:
        # Before any file is stored under the customer's account.
        raise InvalidParameterValueException(MSG_NOT_SUPPORT)
    return _with_new_attachments(
        account=case.account,
        actor=actor,
        files=files,
        write=lambda attachment_set: case_support_reply(
            case=case,
            actor=actor,
            body=body,
            next_status=next_status,
            attachment_set=attachment_set,
        ),
    )


@audit_refusals(AuditEventName.ADD_INTERNAL_NOTE, describe=_describe_case)
def case_internal_note_add_with_files(
    *, case: Case, actor: Principal, body: str, files: Sequence[NewAttachment]
) -> InternalNote:
    """`case_internal_note_add` with files uploaded in the same request (the console)."""
    if not actor.is_engineer:
        # Before any file is stored under the customer's account.
        raise InvalidParameterValueException(MSG_NOT_SUPPORT)
    return _with_new_attachments(
        account=case.account,
        actor=actor,
        files=files,
        write=lambda attachment_set: case_internal_note_add(
            case=case, actor=actor, body=body, attachment_set=attachment_set
        ),
    )


def case_mark_read(*, case: Case, user: User) -> None:
    """Note that `user` has read `case` as it is now (the case page, or its conversation
    refreshed): the case list stops marking it until Support answers again. One upsert, and
    none for a case Support has not answered (nothing there to mark). Not audited: reading is
    recorded by the read's own audit record."""
    if case.last_support_reply_at is None:
        return
    CaseReadMark.objects.bulk_create(
        [CaseReadMark(user=user, case=case, seen_at=timezone.now())],
        update_conflicts=True,
        unique_fields=["user", "case"],
        update_fields=["seen_at"],
    )
