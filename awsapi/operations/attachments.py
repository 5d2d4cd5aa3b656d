"""Attachment operations: sets of small files, multipart uploads, downloads."""

from __future__ import annotations

import time
from datetime import UTC, datetime
from typing import Any, cast

from django.conf import settings
from django.core.files.storage import default_storage
from django.urls import reverse
from django.utils.http import content_disposition_header

from awsapi.dispatch import CallContext, operation
from awsapi.operations.cases import iso
from cases import access as case_access
from cases import services as case_services
from cases.services import NewAttachment, uploads
from core import presign, throttling
from core.errors import DescribeAttachmentLimitExceeded, InvalidParameterValueException

# Three files of 5 MB travel base64-encoded (4/3 larger) in one JSON body, with some slack.
ADD_ATTACHMENTS_MAX_BODY = 22 * 1024 * 1024
DESCRIBE_ATTACHMENT_MAX_BYTES = 5 * 1024 * 1024
MSG_TOO_LARGE_TO_DESCRIBE = (
    "Attachment {attachment_id} is larger than 5 MB; use GetAttachmentDownloadLink to download it."
)
MSG_DESCRIBE_LIMIT = "The limit for DescribeAttachment calls in a short period has been exceeded."


@operation("AddAttachmentsToSet", max_body=ADD_ATTACHMENTS_MAX_BODY, idempotent=True)
def add_attachments_to_set(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    attachment_set = None
    if body.get("attachmentSetId"):
        attachment_set = case_access.access_attachment_set(
            ctx.principal, body["attachmentSetId"], action="support:AddAttachmentsToSet"
        )
    files = [
        NewAttachment(file_name=item.get("fileName") or "", data=item.get("data") or b"")
        for item in body["attachments"]
    ]
    attachment_set = case_services.attachment_set_add(
        account=ctx.account,
        attachments=files,
        actor=ctx.principal,
        attachment_set=attachment_set,
        dry_run=ctx.dry_run,
    )
    if attachment_set is None:  # dry run: validated, nothing stored
        return {}
    return {
        "attachmentSetId": attachment_set.attachment_set_id,
        "expiryTime": iso(attachment_set.expires_at),
    }


@operation("DescribeAttachment", read_only=True)
def describe_attachment(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    attachment = case_access.access_attachment(
        ctx.principal, body["attachmentId"], action="support:DescribeAttachment"
    )
    if not throttling.hit(
        f"describe-attachment:{ctx.access_key.access_key_id}",
        limit=settings.SUPPORTCENTER_DESCRIBE_ATTACHMENT_LIMIT,
        window_seconds=60,
    ):
        raise DescribeAttachmentLimitExceeded(MSG_DESCRIBE_LIMIT)
    if attachment.size > DESCRIBE_ATTACHMENT_MAX_BYTES:
        raise InvalidParameterValueException(
            MSG_TOO_LARGE_TO_DESCRIBE.format(attachment_id=attachment.attachment_id)
        )
    if ctx.dry_run:
        return {}
    with default_storage.open(attachment.storage_key, "rb") as handle:
        data = handle.read()
    return {"attachment": {"fileName": attachment.file_name, "data": data}}


def _base_url(ctx: CallContext) -> str:
    return ctx.extra.get("base_url") or settings.SITE_URL


def _expiry(timestamp: int) -> str:
    return datetime.fromtimestamp(timestamp, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


@operation("GetAttachmentUploadLinks", idempotent=True)
def get_attachment_upload_links(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    requested = body.get("uploadRange") or {}
    if body.get("uploadId"):
        upload = case_access.access_upload(
            ctx.principal, body["uploadId"], action="support:GetAttachmentUploadLinks"
        )
        start, end = uploads.upload_links_grant(
            upload=upload,
            actor=ctx.principal,
            start=requested.get("startIndex"),
            end=requested.get("endIndex"),
        )
    else:
        if body.get("fileSizeBytes") is None:
            raise InvalidParameterValueException(
                "Either uploadId or fileSizeBytes is required.", field="fileSizeBytes"
            )
        if ctx.dry_run:
            # Starting an upload is not undone by a rollback (S3 multipart uploads), so a dry
            # run only validates.
            uploads.upload_validate(
                file_name=body.get("fileName") or "", file_size=body["fileSizeBytes"]
            )
            return {}
        upload = uploads.upload_start(
            account=ctx.account,
            actor=ctx.principal,
            file_name=body.get("fileName") or "",
            file_size=body["fileSizeBytes"],
        )
        start, end = uploads.upload_range(
            upload, requested.get("startIndex"), requested.get("endIndex")
        )
    links = []
    ttl = settings.SUPPORTCENTER_PRESIGNED_URL_TTL_SECONDS
    for index in range(start, end):
        if upload.s3_upload_id:
            url, expires = uploads.s3_part_url(upload, index, ttl), int(time.time()) + ttl
        else:
            path = reverse("awsapi:upload-part", args=[upload.upload_id, index])
            url, expires = presign.presign(_base_url(ctx), "PUT", path, ttl)
        links.append({"url": url, "partIndex": index, "expiryDate": _expiry(expires)})
    result: dict[str, Any] = {
        "uploadId": upload.upload_id,
        "partSizeBytes": upload.part_size,
        "totalParts": upload.total_parts,
        "uploadUrls": links,
    }
    if end <= upload.total_parts:
        result["nextIndex"] = end
    return result


@operation("CompleteAttachmentUpload", idempotent=True)
def complete_attachment_upload(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    upload = case_access.access_upload(
        ctx.principal, body["uploadId"], action="support:CompleteAttachmentUpload"
    )
    status = uploads.upload_complete(
        upload=upload, completed=body["completedUploads"], actor=ctx.principal, dry_run=ctx.dry_run
    )
    return {"uploadStatus": status}


@operation("DescribeAttachmentUploadStatus", read_only=True)
def describe_attachment_upload_status(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    upload = case_access.access_upload(
        ctx.principal, body["uploadId"], action="support:DescribeAttachmentUploadStatus"
    )
    total, done = uploads.upload_progress(upload)
    return {
        "uploadStatus": upload.status,
        "fileName": upload.file_name,
        "uploadProgress": {"totalParts": total, "completedPartsCount": done},
    }


@operation("GetAttachmentDownloadLink", read_only=True)
def get_attachment_download_link(ctx: CallContext, body: dict[str, Any]) -> dict[str, Any]:
    attachment = case_access.access_attachment(
        ctx.principal, body["attachmentId"], action="support:GetAttachmentDownloadLink"
    )
    ttl = settings.SUPPORTCENTER_PRESIGNED_URL_TTL_SECONDS
    if settings.STORAGE_BACKEND == "s3":
        # django-storages signs a real S3 GET with the configured credentials (S3Storage.url
        # takes parameters and expire; django-storages is untyped).
        url = cast(Any, default_storage).url(
            attachment.storage_key,
            parameters={
                "ResponseContentDisposition": content_disposition_header(True, attachment.file_name)
            },
            expire=ttl,
        )
        expires = int(time.time()) + ttl
    else:
        path = reverse("awsapi:attachment-download", args=[attachment.attachment_id])
        url, expires = presign.presign(_base_url(ctx), "GET", path, ttl)
    return {
        "fileName": attachment.file_name,
        "downloadUrl": {"url": url, "expiryDate": _expiry(expires)},
    }
