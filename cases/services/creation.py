"""Opening a case, in two steps so that its transaction holds only writes.

`case_create_prepare` validates the input and reads everything the writes need (the catalog
snapshot, the email's recipients, the engineers to alert and whom of them to email, the
account's event rules), writing nothing; `case_create_commit` writes the case, its first
message, search text, event, audit record, emails, inbox items and event deliveries in one
transaction, re-checking there what another transaction could change meanwhile (the attachment
set's use, the uploads, the creation limit). On SQLite a transaction takes the database's one
write lock at its BEGIN IMMEDIATE, and every other writer queues for it: reads inside it are
paid for by all of them. `case_create` runs both steps; the API's CreateCase runs the first
before the call's transaction (`awsapi.dispatch`, a prepared operation), so the call's
idempotency record shares the case's transaction.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.principals import Principal
from audit import services as audit
from audit.names import AuditEventName
from audit.refusals import audit_refusals
from cases import alerts, search, sla, testmode
from cases.effects import case_created_email_enqueue, case_event_publish, case_recipients
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
from cases.services.attachments import _attach_uploads, _use_attachment_set
from cases.services.catalog import resolve_catalog
from cases.services.communications import MSG_CC_PLAN
from cases.services.severities import severity_fields, severity_level_at_commit
from cases.services.validation import (
    _clean_body,
    _clean_subject,
    _submitted_by,
    clean_cc_addresses,
)
from catalog.models import CaseType, ContactMethod, PlanSeverity
from core import ids
from core.bulk import insert_instance, insert_row
from core.errors import CaseCreationLimitExceeded, InvalidParameterValueException
from core.redaction import redact
from core.services import sequence_next
from events.kinds import CaseEventName
from events.services import EventTargets, event_targets_for
from notifications.inbox import Audience
from notifications.services import notifications_batch

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
# A page shows it in the reader's language: the template is translated, then filled in.
MSG_CASE_LIMIT = gettext_noop(
    "You have reached the limit of {limit} new cases per hour. Try again later."
)
_CALLBACK_RE = re.compile(r"^\+?[0-9][0-9 ()-]{5,30}$")


def _check_case_creation_limit(account: Account) -> None:
    limit = settings.SUPPORTCENTER_CASE_CREATION_LIMIT
    if limit <= 0:
        return
    # Lock the account row so parallel creations cannot both pass the count.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    since = timezone.now() - timedelta(hours=1)
    if Case.objects.filter(account=account, created_at__gte=since).count() >= limit:
        raise CaseCreationLimitExceeded(MSG_CASE_LIMIT, params={"limit": limit})


def _describe_new_case(
    *, account: Account, service_code: str = "", severity_code: str = "", **_: object
) -> tuple[Account, dict[str, object]]:
    return account, {"serviceCode": service_code, "severityCode": severity_code}


@dataclass
class CaseDraft:
    """A validated new case (`case`, not saved: no display id, times or SLA clock yet) and what
    its writes need, read by `case_create_prepare`."""

    actor: Principal
    case: Case
    cell: PlanSeverity
    body: str
    issue_type: str
    attachment_set: AttachmentSet | None
    uploads: Sequence[AttachmentUpload]
    # The case email's addresses; the engineers to alert (none for a test case); the account's
    # event rules' targets.
    recipients: list[str]
    audience: Audience | None
    targets: EventTargets


@audit_refusals(AuditEventName.CREATE_CASE, describe=_describe_new_case)
def case_create_prepare(
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
) -> CaseDraft:
    """The first step of `case_create` (see there for the arguments and checks): validates and
    reads, writes nothing, so it may run before the transaction `case_create_commit` opens.
    Raises `InvalidParameterValueException` naming the field."""
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
    is_test = testmode.is_test_subject(clean_subject)
    case = Case(
        account=account,
        case_id=ids.case_id_new(account.account_id, timezone.now()),
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
        is_test=is_test,
        related_case=related_case,
    )
    return CaseDraft(
        actor=actor,
        case=case,
        cell=cell,
        body=clean_body,
        issue_type=issue_type
        or ("technical" if service.case_type == CaseType.TECHNICAL else "customer-service"),
        attachment_set=attachment_set,
        uploads=uploads,
        recipients=case_recipients(case),
        # A test case alerts nobody.
        audience=None if is_test else alerts.new_case_audience(case),
        targets=event_targets_for([account.pk]),
    )


@transaction.atomic
def case_create_commit(draft: CaseDraft) -> Case:
    """The second step of `case_create`: its writes, in one transaction, after what the draft
    read. Checks here what could have changed since (the attachment set still unused and
    unexpired, the uploads still ready and unclaimed, the hourly creation limit); raises
    `AttachmentSetExpired`, `AttachmentSetIdNotFound`, `UploadIdNotFound`,
    `InvalidParameterValueException`, `CaseCreationLimitExceeded`. Its refusals are recorded
    as `case_create`'s (or by the API's dispatcher, which records every failed call)."""
    case, actor, cell = draft.case, draft.actor, draft.cell
    account = case.account
    plan = account.plan
    _check_case_creation_limit(account)
    _use_attachment_set(draft.attachment_set, account)
    attachment_set = _attach_uploads(draft.uploads, account, draft.attachment_set)

    # The case's moment is its commit's (as near as can be): the ids and times of concurrent
    # creations keep one order.
    now = timezone.now()
    due, warn = (
        # A test case never counts against the response targets.
        (None, None)
        if case.is_test
        else sla.first_response_clock(
            now,
            cell.response_minutes,
            warning_percent=cell.severity.sla_warning_percent,
            business_hours_only=plan.business_hours_only,
            time_zone=account.time_zone,
            country=account.country,
        )
    )
    case.display_id = sequence_next(DISPLAY_ID_SEQUENCE, start=DISPLAY_ID_START)
    case.first_response_due_at = due
    case.first_response_warn_at = warn
    case.last_customer_activity_at = case.status_changed_at = case.created_at = now
    case.test_step_due_at = testmode.first_step_due(now) if case.is_test else None
    insert_instance(
        case, expressions={"severity_level": severity_level_at_commit(case.severity_id)}
    )
    insert_instance(
        Communication(
            case=case,
            communication_id=ids.communication_id_new(),
            body=draft.body,
            origin=CommunicationOrigin.CUSTOMER,
            author=actor.user,
            submitted_by=case.submitted_by,
            attachment_set=attachment_set,
            created_at=now,
        )
    )
    search.index_case(case, search.message_text(draft.body, attachment_set))
    insert_row(
        CaseEvent,
        {
            "case_id": case.pk,
            "kind": CaseEventKind.CREATED,
            "actor_id": actor.user.pk if actor.user is not None else None,
            "actor_arn": actor.arn,
            "to_status": CaseStatus.UNASSIGNED,
            "data": {"severity": cell.severity.code, "service": case.service.code},
        },
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.CREATE_CASE,
        account=account,
        request_parameters={
            "severityCode": cell.severity.code,
            "categoryCode": case.category.code,
            "language": case.language,
            "serviceCode": case.service.code,
            "issueType": draft.issue_type,
        },
        response_elements={"caseId": case.case_id},
    )
    case_event_publish(case=case, event_name=CaseEventName.CREATE_CASE, targets=draft.targets)
    # The customers' email and the engineers' alerts, composed by the sender after commit: one
    # INSERT, one drain.
    with notifications_batch():
        case_created_email_enqueue(case=case, recipients=draft.recipients)
        if draft.audience is not None:
            alerts.alert_new_case(case, audience=draft.audience)
    if draft.audience is None:
        testmode.schedule_on_commit(case)
    return case


@audit_refusals(AuditEventName.CREATE_CASE, describe=_describe_new_case)
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
    The writes are one transaction (`case_create_commit`); the reads before it are not in it
    unless the caller's own transaction holds them.
    Side effects: a `CaseEvent` (created) and an audit record (CreateCase) in that transaction;
    the case email, the engineers' alerts and the Support Case Update event in their outboxes;
    the attachment set is marked used.
    Raises `InvalidParameterValueException`, `AttachmentSetExpired`, `AttachmentSetIdNotFound`,
    `UploadIdNotFound`, `CaseCreationLimitExceeded` (more than the configured cases per hour).
    A caller that can read before its transaction runs `case_create_prepare` there and
    `case_create_commit` in it (the API does), so the transaction holds only writes.
    """
    return case_create_commit(
        case_create_prepare(
            actor=actor,
            account=account,
            subject=subject,
            service_code=service_code,
            category_code=category_code,
            severity_code=severity_code,
            body=body,
            language=language,
            issue_type=issue_type,
            contact_method=contact_method,
            cc_email_addresses=cc_email_addresses,
            attachment_set=attachment_set,
            callback_number=callback_number,
            callback_when=callback_when,
            extra_field_value=extra_field_value,
            uploads=uploads,
            related_case=related_case,
        )
    )
