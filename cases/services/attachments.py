"""Attachment sets (three files, 5 MB each, one hour, used once) and attaching uploads.

Errors as botocore's model documents them: a set over its three files or a file over 5 MB is
`AttachmentSetSizeLimitExceeded` ("three attachments and 5 MB per attachment"); too many new
sets in a short period is `AttachmentLimitExceeded` (`SUPPORTCENTER_ATTACHMENT_SET_CREATION_LIMIT`
per account and hour, web and API together).
"""

from __future__ import annotations

import mimetypes
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

from django.conf import settings
from django.core.files.base import ContentFile, File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.principals import Principal
from audit import services as audit
from audit.services import AuditEventName
from cases.models import (
    Attachment,
    AttachmentSet,
    AttachmentUpload,
    UploadStatus,
)
from cases.services.validation import safe_file_name
from core import ids
from core.errors import (
    AttachmentIdNotFound,
    AttachmentLimitExceeded,
    AttachmentSetExpired,
    AttachmentSetIdNotFound,
    AttachmentSetSizeLimitExceeded,
    InvalidParameterValueException,
    UploadIdNotFound,
)

if TYPE_CHECKING:
    from typing import TypeVar

    _T = TypeVar("_T")

MSG_SET_EXPIRED = "Attachment set {attachment_set_id} expired."
MSG_SET_USED = "Attachment set {attachment_set_id} has already been used."
MSG_ATTACHMENT_LIMIT = "An attachment set can hold at most {max} attachments."
MSG_SET_RATE = gettext_noop(
    "You have reached the limit of {limit} new attachment sets per hour. Try again later."
)
MSG_ATTACHMENT_SIZE = "Attachment {name} is larger than the limit of {max_mb} MB."
MSG_ATTACHMENT_EMPTY = gettext_noop("Attachment {name} is empty.")
MSG_ATTACHMENT_NONE = "Add at least one attachment."
MSG_UPLOAD_NOT_READY = "Upload {upload_id} is not ready; complete it first."
MSG_UPLOAD_USED = "Upload {upload_id} is already attached to a case."
MSG_FILE_GONE = "The file {name} is no longer available."


@dataclass(frozen=True)
class NewAttachment:
    file_name: str
    data: bytes


# --- validation helpers ------------------------------------------------------------------------


def _check_set_usable(attachment_set: AttachmentSet) -> None:
    if attachment_set.used_at is not None:
        raise AttachmentSetIdNotFound(
            MSG_SET_USED.format(attachment_set_id=attachment_set.attachment_set_id)
        )
    if attachment_set.expires_at <= timezone.now():
        raise AttachmentSetExpired(
            MSG_SET_EXPIRED.format(attachment_set_id=attachment_set.attachment_set_id)
        )


def _check_set_creation_limit(account: Account, actor: Principal) -> None:
    """Raise `AttachmentLimitExceeded` if the account created its limit of attachment sets in
    the last hour. The limit is the customers': engineers' replies with files are never held
    back by it. Locks the account row, so parallel creations cannot both pass."""
    limit = settings.SUPPORTCENTER_ATTACHMENT_SET_CREATION_LIMIT
    if limit <= 0 or actor.is_engineer or actor.is_system:
        return
    Account.objects.select_for_update().filter(pk=account.pk).first()
    # The limit-th newest set, read through the account's index (no count over its history).
    oldest_counted = (
        AttachmentSet.objects.filter(account=account)
        .order_by("-pk")
        .values_list("created_at", flat=True)[limit - 1 : limit]
        .first()
    )
    if oldest_counted is not None and oldest_counted > timezone.now() - timedelta(hours=1):
        raise AttachmentLimitExceeded(MSG_SET_RATE, params={"limit": limit}, field="attachments")


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
    `AttachmentSetSizeLimitExceeded` (more than 3 files in the set, or a file over 5 MB),
    `AttachmentLimitExceeded` (a new set over the account's hourly limit),
    `InvalidParameterValueException` (no or empty files). Locks the account row for a new set.
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
                MSG_ATTACHMENT_EMPTY,
                params={"name": safe_file_name(item.file_name)},
                field="attachments",
            )
    if dry_run:
        # Validate everything a real call would, store nothing.
        if attachment_set is not None:
            _check_set_usable(attachment_set)
        else:
            _check_set_creation_limit(account, actor)
        existing = attachment_set.attachments.count() if attachment_set is not None else 0
        if existing + len(attachments) > max_files:
            raise AttachmentSetSizeLimitExceeded(
                MSG_ATTACHMENT_LIMIT.format(max=max_files), field="attachments"
            )
        return None
    written: list[str] = []
    try:
        with transaction.atomic():
            if attachment_set is None:
                _check_set_creation_limit(account, actor)
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
                raise AttachmentSetSizeLimitExceeded(
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
    # Lock the uploads and use their current state, so two cases cannot both claim one; one the
    # expiry purge deleted since the caller read it is not found, not silently left out.
    requested = uploads
    uploads = list(
        AttachmentUpload.objects.select_for_update().filter(pk__in=[u.pk for u in uploads])
    )
    found = {upload.pk for upload in uploads}
    for upload in requested:
        if upload.pk not in found:
            raise UploadIdNotFound(f"Upload {upload.upload_id} was not found.")
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


def attachment_open(*, attachment: Attachment, actor: Principal) -> File:
    """The attachment's file, opened for reading, for a download or a preview on a page.

    Preconditions: `attachment` was loaded with an access function for `actor` (a customer of
    its account, or a support engineer). Side effect: a DescribeAttachment audit record (read
    only) naming who opened which file, in the account's trail: customers see when Support
    opened their files. Raises `AttachmentIdNotFound` when the file is gone from storage.
    """
    try:
        handle = default_storage.open(attachment.storage_key, "rb")
    except OSError:
        raise AttachmentIdNotFound(MSG_FILE_GONE.format(name=attachment.file_name)) from None
    audit.record(
        actor=actor,
        event_name=AuditEventName.DESCRIBE_ATTACHMENT,
        account=attachment.attachment_set.account,
        request_parameters={"attachmentId": attachment.attachment_id},
        read_only=True,
    )
    return handle


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
    *,
    account: Account,
    actor: Principal,
    files: Sequence[NewAttachment],
    write: Callable[[AttachmentSet | None], _T],
) -> _T:
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
