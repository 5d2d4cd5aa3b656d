"""The only way to load cases and their files.

Every loader scopes by the principal's account (engineers and the system see every account's),
checks the principal's policies for the action (`accounts.access.authorize`), and answers "not
yours" exactly like "does not exist" (`CaseIdNotFound`, `AttachmentIdNotFound`, ...). Each
condition sits on its own line so coverage shows that every branch is tested.
"""

from __future__ import annotations

from django.db.models import Q, QuerySet

from accounts.access import authorize, customer_account
from accounts.principals import Principal
from cases.models import (
    Attachment,
    AttachmentSet,
    AttachmentUpload,
    Case,
    Communication,
    InternalNote,
)
from core.errors import (
    AttachmentIdNotFound,
    AttachmentSetIdNotFound,
    CaseIdNotFound,
    UploadIdNotFound,
)

MSG_CASE_NOT_FOUND = "Case {case_id} was not found."
MSG_ATTACHMENT_SET_NOT_FOUND = "Attachment set {attachment_set_id} was not found."
MSG_ATTACHMENT_NOT_FOUND = "Attachment {attachment_id} was not found."
MSG_UPLOAD_NOT_FOUND = "Upload {upload_id} was not found."


def cases_for_principal(principal: Principal) -> QuerySet[Case]:
    """Every case `principal` may see: its account's, or all of them for engineers."""
    queryset = Case.objects.all()
    if principal.is_system or principal.is_engineer:
        return queryset
    account = customer_account(principal)
    if account is None:
        return queryset.none()
    return queryset.filter(account=account)


def cases_account(principal: Principal) -> int | None:
    """The id of the one account whose cases `principal` sees (`cases_for_principal` filtered
    by it and nothing else); None when that is not one account: engineers and the system see
    every account's, a principal with no account none. No query."""
    if principal.is_system or principal.is_engineer:
        return None
    account = customer_account(principal)
    return account.pk if account is not None else None


def _case(principal: Principal, action: str, **lookup: object) -> Case:
    authorize(principal, action)
    try:
        return (
            cases_for_principal(principal)
            .select_related(
                "account", "account__plan", "service", "category", "severity", "assignee"
            )
            .get(**lookup)
        )
    except Case.DoesNotExist:
        shown = next(iter(lookup.values()))
        raise CaseIdNotFound(MSG_CASE_NOT_FOUND.format(case_id=shown)) from None


def access_case_by_case_id(
    principal: Principal, case_id: str, *, action: str = "support:DescribeCases"
) -> Case:
    """Load a case by its public id; raises `CaseIdNotFound` for missing and not-yours alike."""
    return _case(principal, action, case_id=case_id)


def access_case_by_display_id(
    principal: Principal, display_id: int, *, action: str = "support:DescribeCases"
) -> Case:
    return _case(principal, action, display_id=display_id)


def access_attachment_set(
    principal: Principal, attachment_set_id: str, *, action: str = "support:AddAttachmentsToSet"
) -> AttachmentSet:
    """An attachment set of the principal's account; `AttachmentSetIdNotFound` otherwise (and
    for the sets of engineers' internal notes, which customers never see)."""
    authorize(principal, action)
    account = customer_account(principal)
    queryset = AttachmentSet.objects.select_related("account")
    if not (principal.is_system or principal.is_engineer):
        if account is None:
            queryset = queryset.none()
        else:
            queryset = queryset.filter(account=account, internal_note__isnull=True)
    try:
        return queryset.get(attachment_set_id=attachment_set_id)
    except AttachmentSet.DoesNotExist:
        raise AttachmentSetIdNotFound(
            MSG_ATTACHMENT_SET_NOT_FOUND.format(attachment_set_id=attachment_set_id)
        ) from None


def access_attachment(
    principal: Principal, attachment_id: str, *, action: str = "support:DescribeAttachment"
) -> Attachment:
    """An attachment of the principal's account; `AttachmentIdNotFound` otherwise (and for the
    files of engineers' internal notes, which customers never see)."""
    authorize(principal, action)
    account = customer_account(principal)
    queryset = Attachment.objects.select_related("attachment_set", "attachment_set__account")
    if not (principal.is_system or principal.is_engineer):
        if account is None:
            queryset = queryset.none()
        else:
            queryset = queryset.filter(
                attachment_set__account=account, attachment_set__internal_note__isnull=True
            )
    try:
        return queryset.get(attachment_id=attachment_id)
    except Attachment.DoesNotExist:
        raise AttachmentIdNotFound(
            MSG_ATTACHMENT_NOT_FOUND.format(attachment_id=attachment_id)
        ) from None


def access_upload(principal: Principal, upload_id: str, *, action: str) -> AttachmentUpload:
    """A multipart upload of the principal's account; `UploadIdNotFound` otherwise."""
    authorize(principal, action)
    account = customer_account(principal)
    try:
        return AttachmentUpload.objects.select_related("account").get(
            upload_id=upload_id, account=account
        )
    except AttachmentUpload.DoesNotExist:
        raise UploadIdNotFound(MSG_UPLOAD_NOT_FOUND.format(upload_id=upload_id)) from None


def access_upload_for_link(upload_id: str) -> AttachmentUpload:
    """The upload a presigned part link names; the link's signature is the authorization."""
    try:
        return AttachmentUpload.objects.select_related("account").get(upload_id=upload_id)
    except AttachmentUpload.DoesNotExist:
        raise UploadIdNotFound(MSG_UPLOAD_NOT_FOUND.format(upload_id=upload_id)) from None


def access_attachment_for_link(attachment_id: str) -> Attachment:
    """The attachment a presigned download link names; the signature is the authorization."""
    try:
        return Attachment.objects.get(attachment_id=attachment_id)
    except Attachment.DoesNotExist:
        raise AttachmentIdNotFound(
            MSG_ATTACHMENT_NOT_FOUND.format(attachment_id=attachment_id)
        ) from None


def access_case_attachment(
    principal: Principal,
    case: Case,
    attachment_id: str,
    *,
    action: str = "support:DescribeAttachment",
) -> Attachment:
    """An attachment of `case`'s correspondence, or, for engineers, of its internal notes
    (`case` loaded with an access function for `principal`); `AttachmentIdNotFound` for another
    case's attachment as for a missing one."""
    attachment = access_attachment(principal, attachment_id, action=action)
    in_case = Q(case=case, attachment_set_id=attachment.attachment_set_id)
    belongs = Communication.objects.filter(in_case).exists() or (
        principal.is_engineer and InternalNote.objects.filter(in_case).exists()
    )
    if not belongs:
        raise AttachmentIdNotFound(MSG_ATTACHMENT_NOT_FOUND.format(attachment_id=attachment_id))
    return attachment
