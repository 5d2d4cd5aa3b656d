"""Writes for cases: creation, status changes and assignment here; correspondence, CC lists and
notes in `communications`, attachment sets in `attachments`, input checks in `validation`,
large uploads in `uploads`, the jobs in `maintenance`.

Every function is one transaction: it validates everything first and leaves nothing half-written.
Status changes go through `cases.lifecycle.transition`. Case text is redacted before it is stored.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, User
from accounts.principals import Principal
from audit import services as audit
from audit.names import AuditEventName
from audit.refusals import audit_refusals
from cases import alerts, lifecycle, search, sla, testmode
from cases.effects import case_email_enqueue, case_event_publish
from cases.lifecycle import Cause
from cases.models import (
    AttachmentSet,
    AttachmentUpload,
    CallbackWhen,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Communication,
    CommunicationOrigin,
    Language,
)
from cases.services.attachments import (
    NewAttachment,
    _attach_uploads,
    _use_attachment_set,
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
    resolve_catalog,
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
from cases.services.severities import severity_fields
from cases.services.support import case_callback_record, case_reclassify
from cases.services.validation import (
    MSG_SUBJECT_EMPTY,
    _clean_body,
    _clean_subject,
    _describe_case,
    _submitted_by,
    clean_cc_addresses,
    safe_file_name,
)
from catalog.models import CaseType, ContactMethod
from core import ids
from core.errors import (
    CaseCreationLimitExceeded,
    InvalidParameterValueException,
)
from core.redaction import redact
from core.services import sequence_next
from events.kinds import CaseEventName

# The public face of the case services, whatever sub-module holds each piece.
__all__ = [
    "MSG_CASE_TYPE_PLAN",
    "MSG_CATEGORY",
    "MSG_SERVICE",
    "MSG_SEVERITY",
    "MSG_SEVERITY_PLAN",
    "case_callback_record",
    "case_reclassify",
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
    "case_reopen",
    "case_reply_with_files",
    "case_resolve",
    "case_support_reply",
    "case_support_reply_with_files",
    "clean_cc_addresses",
    "safe_file_name",
]

DISPLAY_ID_SEQUENCE = "case-display-id"
DISPLAY_ID_START = 1_000_001
# The API's issueType values and the case types they cover.
ISSUE_TYPES = {
    "technical": {CaseType.TECHNICAL},
    "customer-service": {CaseType.ACCOUNT_AND_BILLING, CaseType.SERVICE_LIMIT_INCREASE},
}

MSG_ISSUE_TYPE = "Invalid issue type {issue_type} for service {service}."
MSG_LANGUAGE = "Invalid language: {language}. Supported languages are en and ja."
MSG_CONTACT_METHOD = "Contact method {method} is not available on the {plan} support plan."
MSG_CALLBACK_NUMBER = "Enter the phone number we should call, in international format."
MSG_CALLBACK_WHEN = "Choose when we should call: now or in 5 minutes."
MSG_RELATED_CASE = "The related case must be one of this account's cases."
MSG_CASE_LIMIT = "You have reached the limit of {limit} new cases per hour. Try again later."
_CALLBACK_RE = re.compile(r"^\+?[0-9][0-9 ()-]{5,30}$")


def _check_case_creation_limit(account: Account) -> None:
    limit = settings.SUPPORTCENTER_CASE_CREATION_LIMIT
    if limit <= 0:
        return
    # Lock the account row so parallel creations cannot both pass the count.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    since = timezone.now() - timedelta(hours=1)
    if Case.objects.filter(account=account, created_at__gte=since).count() >= limit:
        raise CaseCreationLimitExceeded(MSG_CASE_LIMIT.format(limit=limit))


def _describe_new_case(
    *, account: Account, service_code: str = "", severity_code: str = "", **_: object
) -> tuple[Account, dict[str, object]]:
    return account, {"serviceCode": service_code, "severityCode": severity_code}


# --- cases --------------------------------------------------------------------------------------


@audit_refusals(AuditEventName.CREATE_CASE, describe=_describe_new_case)
@transaction.atomic
def case_create(
    *,
    actor: Principal,
    account: Account,
    subject: str,
    service_code: str,
    category_code: str,
    severity_code: str,
    body: str,
    language: str = Language.EN,
    issue_type: str | None = None,
    contact_method: str = ContactMethod.WEB,
    cc_email_addresses: Iterable[str] = (),
    attachment_set: AttachmentSet | None = None,
    callback_number: str = "",
    callback_when: str = "",
    extra_field_value: str = "",
    uploads: Sequence[AttachmentUpload] = (),
    related_case: Case | None = None,
) -> Case:
    """Open a case for `account` with its first communication.

    Preconditions: `actor` was authorized for support:CreateCase on `account`; an attachment set
    was loaded with `access_attachment_set`.
    Validates service, category and severity against the account's plan, the case type, issue
    type, language, contact method (with callback details for phone), subject, body (1-8,000
    characters), CC list (at most 10 plain addresses) and the attachment set (unexpired, unused,
    this account's). Redacts subject and body.
    `related_case` (the web form's; the API has no such member) is an earlier case of the same
    account, loaded through an access function.
    A case with AWS's test subject is a test case (`cases.services.testscript`): no response
    target, no engineer alert, and its scripted answer queued after commit.
    Side effects: a `CaseEvent` (created) and an audit record (CreateCase) in this transaction;
    the attachment set is marked used.
    Raises `InvalidParameterValueException`, `AttachmentSetExpired`, `AttachmentSetIdNotFound`,
    `UploadIdNotFound`, `CaseCreationLimitExceeded` (more than the configured cases per hour).
    """
    plan = account.plan
    service, category, cell = resolve_catalog(
        account=account,
        service_code=service_code,
        category_code=category_code,
        severity_code=severity_code,
    )
    if issue_type is not None and (
        issue_type not in ISSUE_TYPES or service.case_type not in ISSUE_TYPES[issue_type]
    ):
        raise InvalidParameterValueException(
            MSG_ISSUE_TYPE.format(issue_type=issue_type, service=service.code), field="issue_type"
        )
    if language not in Language.values:
        raise InvalidParameterValueException(
            MSG_LANGUAGE.format(language=language), field="language"
        )
    if contact_method not in plan.contact_methods():
        raise InvalidParameterValueException(
            MSG_CONTACT_METHOD.format(method=contact_method, plan=plan.name),
            field="contact_method",
        )
    if contact_method == ContactMethod.PHONE:
        if not _CALLBACK_RE.match(callback_number or ""):
            raise InvalidParameterValueException(MSG_CALLBACK_NUMBER, field="callback_number")
        if callback_when not in CallbackWhen.values:
            raise InvalidParameterValueException(MSG_CALLBACK_WHEN, field="callback_when")
    else:
        callback_number, callback_when = "", ""
    clean_subject = _clean_subject(subject)
    clean_body = _clean_body(body)
    cc = clean_cc_addresses(cc_email_addresses)
    # The submitter's own address is not an additional contact: IAM users must give it even on
    # plans without CC lists.
    own = (actor.user.email if actor.user is not None else "").lower()
    if [a for a in cc if a.lower() != own] and not plan.allows_cc:
        raise InvalidParameterValueException(
            MSG_CC_PLAN.format(plan=plan.name), field="cc_email_addresses"
        )
    if related_case is not None and related_case.account_id != account.pk:
        # The view loads it through the account's access function; this is the invariant.
        raise InvalidParameterValueException(MSG_RELATED_CASE, field="related_case")
    _check_case_creation_limit(account)
    _use_attachment_set(attachment_set, account)
    attachment_set = _attach_uploads(uploads, account, attachment_set)

    now = timezone.now()
    is_test = testmode.is_test_subject(clean_subject)
    due, warn = (
        # A test case never counts against the response targets.
        (None, None)
        if is_test
        else sla.first_response_clock(
            now,
            cell.response_minutes,
            warning_percent=cell.severity.sla_warning_percent,
            business_hours_only=plan.business_hours_only,
            time_zone=account.time_zone,
            country=account.country,
        )
    )
    case = Case.objects.create(
        account=account,
        case_id=ids.case_id_new(account.account_id, now),
        display_id=sequence_next(DISPLAY_ID_SEQUENCE, start=DISPLAY_ID_START),
        case_type=service.case_type,
        service=service,
        category=category,
        **severity_fields(cell.severity),
        subject=clean_subject,
        status=CaseStatus.UNASSIGNED,
        language=language,
        contact_method=contact_method,
        callback_number=callback_number.strip(),
        callback_when=callback_when,
        extra_field_value=redact(extra_field_value.strip())[:1000],
        submitter=actor.user,
        submitted_by=_submitted_by(actor.user),
        cc_email_addresses=cc,
        first_response_due_at=due,
        first_response_warn_at=warn,
        last_customer_activity_at=now,
        status_changed_at=now,
        created_at=now,
        is_test=is_test,
        test_step_due_at=testmode.first_step_due(now) if is_test else None,
        related_case=related_case,
    )
    Communication.objects.create(
        case=case,
        communication_id=ids.communication_id_new(),
        body=clean_body,
        origin=CommunicationOrigin.CUSTOMER,
        author=actor.user,
        submitted_by=case.submitted_by,
        attachment_set=attachment_set,
        created_at=now,
    )
    search.index_case(case, search.message_text(clean_body, attachment_set))
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.CREATED,
        actor=actor.user,
        actor_arn=actor.arn,
        to_status=CaseStatus.UNASSIGNED,
        data={"severity": cell.severity.code, "service": service.code},
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_CASE,
        account=account,
        request_parameters={
            "severityCode": cell.severity.code,
            "categoryCode": category.code,
            "language": language,
            "serviceCode": service.code,
            "issueType": issue_type
            or ("technical" if service.case_type == CaseType.TECHNICAL else "customer-service"),
        },
        response_elements={"caseId": case.case_id},
    )
    case_email_enqueue(
        case=case,
        kind="created",
        body=clean_body,
        origin="customer",
        attachment_set=attachment_set,
    )
    case_event_publish(case=case, event_name=CaseEventName.CREATE_CASE)
    if is_test:
        testmode.schedule_on_commit(case)
    else:
        alerts.alert_new_case(case)
    return case


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
def case_assign(*, case: Case, engineer: User, actor: Principal) -> Case:
    """Assign a case to an engineer; an unassigned case moves to work in progress."""
    if not engineer.is_engineer or not engineer.is_active:
        raise InvalidParameterValueException("Cases can only be assigned to support engineers.")
    if case.status in (CaseStatus.UNASSIGNED, CaseStatus.REOPENED):
        lifecycle.transition(
            case, to=CaseStatus.WORK_IN_PROGRESS, actor=actor, cause=Cause.ASSIGNMENT
        )
    case.assignee = engineer
    case.save(update_fields=["assignee", "updated_at"])
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
