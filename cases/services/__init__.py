"""Writes for cases: creation, correspondence, CC lists, attachments, assignment.

Every function is one transaction: it validates everything first and leaves nothing half-written.
Status changes go through `cases.lifecycle.transition`. Case text is redacted before it is stored.
"""

from __future__ import annotations

import mimetypes
import re
import unicodedata
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone

from accounts.models import Account, CaseType, ContactMethod, PlanSeverity, User
from accounts.principals import Principal
from audit import services as audit
from audit.services import AuditEventName
from cases import lifecycle, sla
from cases.models import (
    Attachment,
    AttachmentSet,
    AttachmentUpload,
    CallbackWhen,
    Case,
    CaseEvent,
    CaseEventKind,
    CaseStatus,
    Communication,
    CommunicationOrigin,
    InternalNote,
    Language,
    UploadStatus,
)
from catalog.models import Category, Service
from core import ids
from core.errors import (
    AttachmentLimitExceeded,
    AttachmentSetExpired,
    AttachmentSetIdNotFound,
    AttachmentSetSizeLimitExceeded,
    CaseCreationLimitExceeded,
    InvalidParameterValueException,
    UploadIdNotFound,
)
from core.redaction import redact
from core.services import sequence_next
from notifications.services import notification_enqueue_case_update

DISPLAY_ID_SEQUENCE = "case-display-id"
DISPLAY_ID_START = 1_000_001
MAX_CC = 10
MAX_BODY = 8000
MAX_SUBJECT = 250
# The API's issueType values and the case types they cover.
ISSUE_TYPES = {
    "technical": {CaseType.TECHNICAL},
    "customer-service": {CaseType.ACCOUNT_AND_BILLING, CaseType.SERVICE_LIMIT_INCREASE},
}

MSG_SERVICE = "Invalid service code: {code}."
MSG_CATEGORY = "Invalid category code {code} for service {service}."
MSG_SEVERITY = "Invalid severity code: {code}."
MSG_SEVERITY_PLAN = "Severity {code} is not available on the {plan} support plan."
MSG_CASE_TYPE_PLAN = "The {plan} support plan does not include {case_type} cases."
MSG_ISSUE_TYPE = "Invalid issue type {issue_type} for service {service}."
MSG_LANGUAGE = "Invalid language: {language}. Supported languages are en and ja."
MSG_CONTACT_METHOD = "Contact method {method} is not available on the {plan} support plan."
MSG_CALLBACK_NUMBER = "Enter the phone number we should call, in international format."
MSG_CALLBACK_WHEN = "Choose when we should call: now or in 5 minutes."
MSG_SUBJECT_EMPTY = "Enter a subject."
MSG_SUBJECT_LONG = "The subject can have at most {max} characters."
MSG_BODY_LENGTH = "The communication body must be 1 to {max} characters long."
MSG_CC_COUNT = "A case can have at most {max} CC addresses."
MSG_CC_INVALID = "Invalid email address in the CC list: {address}."
MSG_CC_PLAN = "The {plan} support plan does not include additional contacts (CC)."
MSG_SET_EXPIRED = "Attachment set {attachment_set_id} expired."
MSG_SET_USED = "Attachment set {attachment_set_id} has already been used."
MSG_ATTACHMENT_LIMIT = "An attachment set can hold at most {max} attachments."
MSG_ATTACHMENT_SIZE = "Attachment {name} is larger than the limit of {max_mb} MB."
MSG_ATTACHMENT_EMPTY = "Attachment {name} is empty."
MSG_ATTACHMENT_NONE = "Add at least one attachment."
MSG_NOT_SUPPORT = "Only support engineers can reply as Support."
MSG_CASE_LIMIT = "You have reached the limit of {limit} new cases per hour. Try again later."
MSG_UPLOAD_NOT_READY = "Upload {upload_id} is not ready; complete it first."
MSG_UPLOAD_USED = "Upload {upload_id} is already attached to a case."

_CALLBACK_RE = re.compile(r"^\+?[0-9][0-9 ()-]{5,30}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class NewAttachment:
    file_name: str
    data: bytes


# --- validation helpers ------------------------------------------------------------------------


def clean_cc_addresses(addresses: Iterable[str], *, existing: Sequence[str] = ()) -> list[str]:
    """Validate and merge CC addresses: plain addresses only (no display names, no CR/LF),
    de-duplicated case-insensitively, at most MAX_CC in all.
    """
    merged = list(existing)
    seen = {a.lower() for a in merged}
    for raw in addresses:
        address = raw.strip()
        if not address:
            continue
        if (
            _CONTROL_RE.search(address)
            or "<" in address
            or ">" in address
            or " " in address
            or "," in address
            or ";" in address
        ):
            raise InvalidParameterValueException(
                MSG_CC_INVALID.format(address=address[:100]), field="cc_email_addresses"
            )
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidParameterValueException(
                MSG_CC_INVALID.format(address=address[:100]), field="cc_email_addresses"
            ) from None
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        merged.append(address)
    if len(merged) > MAX_CC:
        raise InvalidParameterValueException(
            MSG_CC_COUNT.format(max=MAX_CC), field="cc_email_addresses"
        )
    return merged


def _clean_body(body: str) -> str:
    if not body or not body.strip() or len(body) > MAX_BODY:
        raise InvalidParameterValueException(MSG_BODY_LENGTH.format(max=MAX_BODY), field="body")
    return redact(body)


def _clean_subject(subject: str) -> str:
    subject = (subject or "").strip()
    if not subject:
        raise InvalidParameterValueException(MSG_SUBJECT_EMPTY, field="subject")
    if len(subject) > MAX_SUBJECT:
        raise InvalidParameterValueException(
            MSG_SUBJECT_LONG.format(max=MAX_SUBJECT), field="subject"
        )
    # A subject is one line: CR/LF would let it forge headers in notification emails. Redaction
    # can lengthen it (a card number gains its tag), so cut it back to the column's size.
    return redact(_CONTROL_RE.sub(" ", subject))[:MAX_SUBJECT]


def safe_file_name(name: str) -> str:
    """The user's file name reduced to a harmless display name (metadata only)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL_RE.sub("", name).strip().lstrip(".")
    return name[:255] or "attachment"


def _submitted_by(user: User | None) -> str:
    if user is None:
        return "Amazon Web Services"
    return user.email or user.identity_name


# --- attachments --------------------------------------------------------------------------------


def _check_set_usable(attachment_set: AttachmentSet) -> None:
    if attachment_set.used_at is not None:
        raise AttachmentSetIdNotFound(
            MSG_SET_USED.format(attachment_set_id=attachment_set.attachment_set_id)
        )
    if attachment_set.expires_at <= timezone.now():
        raise AttachmentSetExpired(
            MSG_SET_EXPIRED.format(attachment_set_id=attachment_set.attachment_set_id)
        )


def attachment_set_add(
    *,
    account: Account,
    attachments: Sequence[NewAttachment],
    actor: Principal,
    attachment_set: AttachmentSet | None = None,
    dry_run: bool = False,
) -> AttachmentSet | None:
    """Add files to a new or existing attachment set of `account`.

    Preconditions: an existing set was loaded with `access_attachment_set`.
    Raises `AttachmentSetExpired`, `AttachmentSetIdNotFound` (already used),
    `AttachmentLimitExceeded` (more than 3 files in the set), `AttachmentSetSizeLimitExceeded`
    (a file over 5 MB), `InvalidParameterValueException` (no or empty files).
    With `dry_run`, everything is validated and nothing is written (returns None).
    Side effects: files written through the default storage under generated keys (removed again
    if the transaction fails); an audit record.
    """
    max_files = settings.SUPPORTCENTER_ATTACHMENTS_PER_SET
    max_bytes = settings.SUPPORTCENTER_ATTACHMENT_MAX_BYTES
    if not attachments:
        raise InvalidParameterValueException(MSG_ATTACHMENT_NONE, field="attachments")
    for item in attachments:
        if len(item.data) > max_bytes:
            raise AttachmentSetSizeLimitExceeded(
                MSG_ATTACHMENT_SIZE.format(
                    name=safe_file_name(item.file_name), max_mb=max_bytes // (1024 * 1024)
                ),
                field="attachments",
            )
        if not item.data:
            raise InvalidParameterValueException(
                MSG_ATTACHMENT_EMPTY.format(name=safe_file_name(item.file_name)),
                field="attachments",
            )
    if dry_run:
        # Validate everything a real call would, store nothing.
        if attachment_set is not None:
            _check_set_usable(attachment_set)
        existing = attachment_set.attachments.count() if attachment_set is not None else 0
        if existing + len(attachments) > max_files:
            raise AttachmentLimitExceeded(
                MSG_ATTACHMENT_LIMIT.format(max=max_files), field="attachments"
            )
        return None
    written: list[str] = []
    try:
        with transaction.atomic():
            if attachment_set is None:
                now = timezone.now()
                ttl = timedelta(seconds=settings.SUPPORTCENTER_ATTACHMENT_SET_TTL_SECONDS)
                attachment_set = AttachmentSet.objects.create(
                    account=account,
                    attachment_set_id=ids.attachment_set_id_new(),
                    created_by=actor.user,
                    created_at=now,
                    expires_at=now + ttl,
                )
            else:
                # Lock the set so two concurrent additions cannot both pass the count check.
                attachment_set = AttachmentSet.objects.select_for_update().get(pk=attachment_set.pk)
                _check_set_usable(attachment_set)
            existing = attachment_set.attachments.count()
            if existing + len(attachments) > max_files:
                raise AttachmentLimitExceeded(
                    MSG_ATTACHMENT_LIMIT.format(max=max_files), field="attachments"
                )
            for item in attachments:
                file_name = safe_file_name(item.file_name)
                key = default_storage.save(
                    f"attachments/{account.account_id}/{uuid.uuid4().hex}", ContentFile(item.data)
                )
                written.append(key)
                Attachment.objects.create(
                    attachment_set=attachment_set,
                    attachment_id=ids.attachment_id_new(),
                    file_name=file_name,
                    storage_key=key,
                    size=len(item.data),
                    content_type=mimetypes.guess_type(file_name)[0] or "application/octet-stream",
                )
            audit.record(
                actor=actor,
                event_name=AuditEventName.ADD_ATTACHMENTS_TO_SET,
                account=account,
                request_parameters={
                    "attachmentSetId": attachment_set.attachment_set_id,
                    "attachmentCount": len(attachments),
                },
                response_elements={
                    "attachmentSetId": attachment_set.attachment_set_id,
                    "expiryTime": attachment_set.expires_at.isoformat(),
                },
            )
    except BaseException:
        for key in written:
            default_storage.delete(key)
        raise
    return attachment_set


def _use_attachment_set(attachment_set: AttachmentSet | None, account: Account) -> None:
    if attachment_set is None:
        return
    if attachment_set.account_id != account.pk:
        raise AttachmentSetIdNotFound(
            f"Attachment set {attachment_set.attachment_set_id} was not found."
        )
    _check_set_usable(attachment_set)
    now = timezone.now()
    # Conditional on "unused and unexpired" so a concurrent use or the expiry purge cannot race.
    used = AttachmentSet.objects.filter(
        pk=attachment_set.pk, used_at__isnull=True, expires_at__gt=now
    ).update(used_at=now)
    if not used:
        raise AttachmentSetIdNotFound(
            MSG_SET_USED.format(attachment_set_id=attachment_set.attachment_set_id)
        )


def _attach_uploads(
    uploads: Sequence[AttachmentUpload], account: Account, attachment_set: AttachmentSet | None
) -> AttachmentSet | None:
    """Turn ready multipart uploads into attachments of the communication's set (used once)."""
    if not uploads:
        return attachment_set
    now = timezone.now()
    # Lock the uploads and use their current state, so two cases cannot both claim one.
    uploads = list(
        AttachmentUpload.objects.select_for_update().filter(pk__in=[u.pk for u in uploads])
    )
    for upload in uploads:
        if upload.account_id != account.pk:
            raise UploadIdNotFound(f"Upload {upload.upload_id} was not found.")
        if upload.status != UploadStatus.READY:
            raise InvalidParameterValueException(
                MSG_UPLOAD_NOT_READY.format(upload_id=upload.upload_id), field="uploadIds"
            )
        if upload.attachment_id is not None:
            raise InvalidParameterValueException(
                MSG_UPLOAD_USED.format(upload_id=upload.upload_id), field="uploadIds"
            )
    if attachment_set is None:
        attachment_set = AttachmentSet.objects.create(
            account=account,
            attachment_set_id=ids.attachment_set_id_new(),
            expires_at=now,
            used_at=now,
            created_at=now,
        )
    for upload in uploads:
        attachment = Attachment.objects.create(
            attachment_set=attachment_set,
            attachment_id=ids.attachment_id_new(),
            file_name=upload.file_name,
            storage_key=upload.storage_key,
            size=upload.file_size,
            content_type=mimetypes.guess_type(upload.file_name)[0] or "application/octet-stream",
        )
        # Conditional, so two cases racing for one upload cannot both get it.
        claimed = AttachmentUpload.objects.filter(pk=upload.pk, attachment__isnull=True).update(
            attachment=attachment
        )
        if not claimed:
            raise InvalidParameterValueException(
                MSG_UPLOAD_USED.format(upload_id=upload.upload_id), field="uploadIds"
            )
    return attachment_set


def _refresh_cc_locked(case: Case) -> None:
    """Re-read the CC list under a row lock, so concurrent additions are merged, not lost."""
    case.cc_email_addresses = (
        Case.objects.select_for_update()
        .values_list("cc_email_addresses", flat=True)
        .get(pk=case.pk)
    )


def _check_case_creation_limit(account: Account) -> None:
    limit = settings.SUPPORTCENTER_CASE_CREATION_LIMIT
    if limit <= 0:
        return
    # Lock the account row so parallel creations cannot both pass the count.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    since = timezone.now() - timedelta(hours=1)
    if Case.objects.filter(account=account, created_at__gte=since).count() >= limit:
        raise CaseCreationLimitExceeded(MSG_CASE_LIMIT.format(limit=limit))


# --- cases --------------------------------------------------------------------------------------


def _resolve_catalog(
    *, account: Account, service_code: str, category_code: str, severity_code: str
) -> tuple[Service, Category, PlanSeverity]:
    plan = account.plan
    service = Service.objects.filter(code=service_code, is_active=True).first()
    if service is None:
        raise InvalidParameterValueException(
            MSG_SERVICE.format(code=service_code), field="service_code"
        )
    if service.case_type not in plan.case_types():
        raise InvalidParameterValueException(
            MSG_CASE_TYPE_PLAN.format(
                plan=plan.name, case_type=CaseType(service.case_type).label.lower()
            ),
            field="case_type",
        )
    category = Category.objects.filter(service=service, code=category_code, is_active=True).first()
    if category is None:
        raise InvalidParameterValueException(
            MSG_CATEGORY.format(code=category_code, service=service_code), field="category_code"
        )
    cell = (
        PlanSeverity.objects.select_related("severity")
        .filter(plan=plan, severity__code=severity_code)
        .first()
    )
    if cell is None:
        from accounts.models import Severity

        known = Severity.objects.filter(code=severity_code).exists()
        message = (
            MSG_SEVERITY_PLAN.format(code=severity_code, plan=plan.name)
            if known
            else MSG_SEVERITY.format(code=severity_code)
        )
        raise InvalidParameterValueException(message, field="severity_code")
    return service, category, cell


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
) -> Case:
    """Open a case for `account` with its first communication.

    Preconditions: `actor` was authorized for support:CreateCase on `account`; an attachment set
    was loaded with `access_attachment_set`.
    Validates service, category and severity against the account's plan, the case type, issue
    type, language, contact method (with callback details for phone), subject, body (1-8,000
    characters), CC list (at most 10 plain addresses) and the attachment set (unexpired, unused,
    this account's). Redacts subject and body.
    Side effects: a `CaseEvent` (created) and an audit record (CreateCase) in this transaction;
    the attachment set is marked used.
    Raises `InvalidParameterValueException`, `AttachmentSetExpired`, `AttachmentSetIdNotFound`,
    `UploadIdNotFound`, `CaseCreationLimitExceeded` (more than the configured cases per hour).
    """
    plan = account.plan
    service, category, cell = _resolve_catalog(
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
    _check_case_creation_limit(account)
    _use_attachment_set(attachment_set, account)
    attachment_set = _attach_uploads(uploads, account, attachment_set)

    now = timezone.now()
    case = Case.objects.create(
        account=account,
        case_id=ids.case_id_new(account.account_id, now),
        display_id=sequence_next(DISPLAY_ID_SEQUENCE, start=DISPLAY_ID_START),
        case_type=service.case_type,
        service=service,
        category=category,
        severity=cell.severity,
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
        first_response_due_at=sla.first_response_deadline(
            now,
            cell.response_minutes,
            business_hours_only=plan.business_hours_only,
            time_zone=account.time_zone,
            country=account.country,
        ),
        last_customer_activity_at=now,
        status_changed_at=now,
        created_at=now,
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
    notification_enqueue_case_update(case=case, kind="created", body=clean_body, origin="customer")
    return case


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
    return communication


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
    new_cc = list(cc_email_addresses)
    _refresh_cc_locked(case)
    merged_cc = clean_cc_addresses(new_cc, existing=case.cc_email_addresses)
    if len(merged_cc) > len(case.cc_email_addresses) and not case.account.plan.allows_cc:
        raise InvalidParameterValueException(
            MSG_CC_PLAN.format(plan=case.account.plan.name), field="cc_email_addresses"
        )
    _use_attachment_set(attachment_set, case.account)
    attachment_set = _attach_uploads(uploads, case.account, attachment_set)
    now = timezone.now()
    # The reply's own audit record covers the status change it causes.
    if case.status == CaseStatus.RESOLVED:
        lifecycle.transition(
            case, to=CaseStatus.REOPENED, actor=actor, reason="customer reply", audit_record=False
        )
    elif case.status == CaseStatus.PENDING_CUSTOMER_ACTION:
        lifecycle.transition(
            case, to=CaseStatus.OPENED, actor=actor, reason="customer reply", audit_record=False
        )
    communication = _communication_add(
        case=case,
        actor=actor,
        body=clean_body,
        origin=CommunicationOrigin.CUSTOMER,
        attachment_set=attachment_set,
        now=now,
    )
    fields = ["last_customer_activity_at", "updated_at"]
    case.last_customer_activity_at = now
    if merged_cc != case.cc_email_addresses:
        added = merged_cc[len(case.cc_email_addresses) :]
        case.cc_email_addresses = merged_cc
        fields.append("cc_email_addresses")
        CaseEvent.objects.create(
            case=case,
            kind=CaseEventKind.CC_ADDED,
            actor=actor.user,
            actor_arn=actor.arn,
            data={"count": len(added)},
        )
    case.save(update_fields=fields)
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
    notification_enqueue_case_update(
        case=case, kind="correspondence", body=clean_body, origin="customer"
    )
    return communication


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
    Raises `InvalidParameterValueException` (not an engineer, bad body), `InvalidCaseTransition`.
    """
    if not actor.is_engineer:
        raise InvalidParameterValueException(MSG_NOT_SUPPORT)
    clean_body = _clean_body(body)
    _use_attachment_set(attachment_set, case.account)
    now = timezone.now()
    target = CaseStatus(next_status)
    if target != CaseStatus(case.status):
        lifecycle.transition(case, to=target, actor=actor, reason="support reply")
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
    fields = ["updated_at", "status_changed_at"]
    if case.assignee_id is None:
        case.assignee = actor.user
        fields.append("assignee")
    if case.first_responded_at is None:
        case.first_responded_at = now
        case.first_response_met = (
            case.first_response_due_at is None or now <= case.first_response_due_at
        )
        fields += ["first_responded_at", "first_response_met"]
        CaseEvent.objects.create(
            case=case,
            kind=CaseEventKind.FIRST_RESPONSE,
            actor=actor.user,
            actor_arn=actor.arn,
            data={"met": case.first_response_met},
        )
    case.save(update_fields=fields)
    audit.record(
        actor=actor,
        event_name=AuditEventName.ADD_COMMUNICATION_TO_CASE,
        account=case.account,
        request_parameters={"caseId": case.case_id, "status": target.value},
        response_elements={"result": True},
    )
    notification_enqueue_case_update(
        case=case, kind="correspondence", body=clean_body, origin="support"
    )
    return communication


@transaction.atomic
def case_add_cc(*, case: Case, actor: Principal, cc_email_addresses: Iterable[str]) -> Case:
    """Add CC addresses to a case (at most 10 in all)."""
    _refresh_cc_locked(case)
    merged = clean_cc_addresses(cc_email_addresses, existing=case.cc_email_addresses)
    if len(merged) > len(case.cc_email_addresses) and not case.account.plan.allows_cc:
        raise InvalidParameterValueException(
            MSG_CC_PLAN.format(plan=case.account.plan.name), field="cc_email_addresses"
        )
    added = merged[len(case.cc_email_addresses) :]
    if not added:
        return case
    case.cc_email_addresses = merged
    case.save(update_fields=["cc_email_addresses", "updated_at"])
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.CC_ADDED,
        actor=actor.user,
        actor_arn=actor.arn,
        data={"count": len(added)},
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.ADD_CC_TO_CASE,
        account=case.account,
        request_parameters={"caseId": case.case_id, "count": len(added)},
    )
    return case


@transaction.atomic
def case_resolve(*, case: Case, actor: Principal) -> tuple[str, str]:
    """Resolve a case; returns (initialCaseStatus, finalCaseStatus) like ResolveCase.
    Notifies the case's contacts when the status changed."""
    old, new = lifecycle.transition(case, to=CaseStatus.RESOLVED, actor=actor)
    if old != new:
        notification_enqueue_case_update(case=case, kind="status")
    return old, new


@transaction.atomic
def case_reopen(*, case: Case, actor: Principal) -> tuple[str, str]:
    old, new = lifecycle.transition(case, to=CaseStatus.REOPENED, actor=actor)
    notification_enqueue_case_update(case=case, kind="status")
    return old, new


@transaction.atomic
def case_assign(*, case: Case, engineer: User, actor: Principal) -> Case:
    """Assign a case to an engineer; an unassigned case moves to work in progress."""
    if not engineer.is_engineer or not engineer.is_active:
        raise InvalidParameterValueException("Cases can only be assigned to support engineers.")
    if case.status in (CaseStatus.UNASSIGNED, CaseStatus.REOPENED):
        lifecycle.transition(case, to=CaseStatus.WORK_IN_PROGRESS, actor=actor, reason="assigned")
        notification_enqueue_case_update(case=case, kind="status")
    case.assignee = engineer
    case.save(update_fields=["assignee", "updated_at"])
    CaseEvent.objects.create(
        case=case,
        kind=CaseEventKind.ASSIGNED,
        actor=actor.user,
        actor_arn=actor.arn,
        data={"assignee": engineer.login},
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.ASSIGN_CASE,
        account=case.account,
        request_parameters={"caseId": case.case_id, "assignee": engineer.login},
    )
    return case


def attachment_sets_purge_expired(*, batch_size: int = 500) -> int:
    """Delete unused attachment sets past their expiry, with their files, in batches.

    Idempotent: a second run finds nothing to do. Returns how many sets were deleted.
    """
    deleted = 0
    cutoff = timezone.now()
    while True:
        with transaction.atomic():
            batch = list(
                AttachmentSet.objects.select_for_update()
                .filter(used_at__isnull=True, expires_at__lt=cutoff)
                .order_by("pk")
                .values_list("pk", flat=True)[:batch_size]
            )
            if not batch:
                return deleted
            keys = list(
                Attachment.objects.filter(attachment_set_id__in=batch).values_list(
                    "storage_key", flat=True
                )
            )
            AttachmentSet.objects.filter(pk__in=batch).delete()
        # Files go only after the rows are gone for good.
        for key in keys:
            default_storage.delete(key)
        deleted += len(batch)


def _with_new_attachments(
    *, account: Account, actor: Principal, files: Sequence[NewAttachment], write
):  # type: ignore[no-untyped-def]
    """Run `write(attachment_set)` in one transaction with a new set of `files`; if anything
    fails, the set's rows roll back and its files are removed from storage too."""
    keys: list[str] = []
    try:
        with transaction.atomic():
            attachment_set = None
            if files:
                attachment_set = attachment_set_add(account=account, attachments=files, actor=actor)
                assert attachment_set is not None
                keys = list(attachment_set.attachments.values_list("storage_key", flat=True))
            return write(attachment_set)
    except BaseException:
        for key in keys:
            default_storage.delete(key)
        raise


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


@transaction.atomic
def case_internal_note_add(*, case: Case, actor: Principal, body: str) -> InternalNote:
    """A note for support engineers only (customers and the API never see it)."""
    if not actor.is_engineer:
        raise InvalidParameterValueException(MSG_NOT_SUPPORT)
    note = InternalNote.objects.create(case=case, author=actor.user, body=_clean_body(body))
    audit.record(
        actor=actor,
        event_name="AddInternalNote",
        account=case.account,
        request_parameters={"caseId": case.case_id},
    )
    return note
