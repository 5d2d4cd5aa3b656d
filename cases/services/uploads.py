"""Large attachments uploaded in parts: GetAttachmentUploadLinks, the part PUTs,
CompleteAttachmentUpload, DescribeAttachmentUploadStatus.

Parts are streamed to the default storage as they arrive (never held in memory). When the client
has reported every part, the parts are joined into one file and the upload becomes
`attachment-ready`; CreateCase and AddCommunicationToCase then attach it once.
"""

from __future__ import annotations

import hashlib
import math
import secrets
import shutil
import tempfile
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING, Any, cast

from django.conf import settings
from django.core.files import File
from django.core.files.storage import default_storage
from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from accounts.principals import Principal
from audit import services as audit
from audit.names import AuditEventName
from cases.models import AttachmentUpload, AttachmentUploadPart, UploadStatus
from cases.services.validation import safe_file_name
from core.errors import InvalidParameterValueException

if TYPE_CHECKING:
    from _typeshed import SupportsRead

MAX_FILE_SIZE = 157_286_400  # 150 MB, the model's FileSize maximum
MAX_PART_SIZE = 104_857_600  # 100 MB, the model's PartSizeBytes maximum
MAX_URLS_PER_CALL = 10
UPLOAD_TTL = timedelta(hours=24)
CHUNK = 1024 * 1024

MSG_RANGE = "The upload range must lie within parts 1 to {total} and span at most 10 parts."
MSG_PART_INDEX = "Part {index} is outside this upload's {total} parts."
MSG_PART_SIZE = "Part {index} must be exactly {size} bytes."
MSG_PART_MISSING = "Part {index} has not been uploaded."
MSG_ETAG = "The ETag of part {index} does not match the uploaded part."
MSG_CLOSED = "Upload {upload_id} is no longer accepting parts."
MSG_FILE_SIZE = "fileSizeBytes must be between 1 and 157286400 bytes."
MSG_FILE_NAME = "A fileName is required to start an upload."
MSG_S3_PART = "Part {index} was not found in storage with that ETag."


def s3_mode() -> bool:
    """Whether attachments live in S3, where parts are uploaded to S3 presigned URLs."""
    return settings.STORAGE_BACKEND == "s3"


def _s3() -> tuple[Any, str]:
    """(boto3 S3 client, bucket name) of the default storage (django-storages' S3Storage)."""
    # In S3 mode the default storage is S3Storage, which django-storages does not type.
    storage = cast(Any, default_storage)
    return storage.connection.meta.client, storage.bucket_name


def _s3_key(name: str) -> str:
    return cast(Any, default_storage)._normalize_name(name)  # S3Storage in S3 mode


def s3_part_url(upload: AttachmentUpload, index: int, ttl: int) -> str:
    client, bucket = _s3()
    return client.generate_presigned_url(
        "upload_part",
        Params={
            "Bucket": bucket,
            "Key": _s3_key(upload.storage_key),
            "UploadId": upload.s3_upload_id,
            "PartNumber": index,
        },
        ExpiresIn=ttl,
    )


def part_size_for(file_size: int) -> int:
    configured = min(settings.SUPPORTCENTER_UPLOAD_PART_SIZE, MAX_PART_SIZE)
    return max(1, min(configured, file_size))


def expected_part_size(upload: AttachmentUpload, index: int) -> int:
    if index < upload.total_parts:
        return upload.part_size
    return upload.file_size - upload.part_size * (upload.total_parts - 1)


def upload_validate(*, file_name: str, file_size: object) -> None:
    """Check a new upload's name and size (1 byte to 150 MB)."""
    if not file_name or not file_name.strip():
        raise InvalidParameterValueException(MSG_FILE_NAME, field="fileName")
    if not isinstance(file_size, int) or not 1 <= file_size <= MAX_FILE_SIZE:
        raise InvalidParameterValueException(MSG_FILE_SIZE, field="fileSizeBytes")


@transaction.atomic
def upload_start(
    *, account: Account, actor: Principal, file_name: str, file_size: int
) -> AttachmentUpload:
    """Begin a multipart upload. Raises `InvalidParameterValueException` for a missing name or a
    size outside 1 byte to 150 MB. Writes an audit record."""
    upload_validate(file_name=file_name, file_size=file_size)
    part_size = part_size_for(file_size)
    now = timezone.now()
    storage_key, s3_upload_id = "", ""
    if s3_mode():
        storage_key = f"attachments/{account.account_id}/{secrets.token_hex(16)}"
        client, bucket = _s3()
        s3_upload_id = client.create_multipart_upload(
            Bucket=bucket, Key=_s3_key(storage_key), ContentType="application/octet-stream"
        )["UploadId"]
    upload = AttachmentUpload.objects.create(
        storage_key=storage_key,
        s3_upload_id=s3_upload_id,
        account=account,
        upload_id="upload-" + secrets.token_urlsafe(32),
        created_by=actor.user,
        file_name=safe_file_name(file_name),
        file_size=file_size,
        part_size=part_size,
        total_parts=math.ceil(file_size / part_size),
        expires_at=now + UPLOAD_TTL,
        created_at=now,
    )
    audit.record(
        actor=actor,
        event_name=AuditEventName.GET_ATTACHMENT_UPLOAD_LINKS,
        account=account,
        request_parameters={"fileSizeBytes": file_size},
        response_elements={"uploadId": upload.upload_id},
    )
    return upload


def upload_range(
    upload: AttachmentUpload, start: int | None = None, end: int | None = None
) -> tuple[int, int]:
    """The half-open part range [start, end) to hand out links for (at most 10 parts).

    Without a start, the range begins at the first part not yet received.
    """
    total = upload.total_parts
    if start is None:
        received = set(upload.parts.values_list("part_index", flat=True))
        start = next((i for i in range(1, total + 1) if i not in received), total + 1)
        if start > total:
            return total + 1, total + 1
    if end is None:
        end = min(start + MAX_URLS_PER_CALL, total + 1)
    if not (1 <= start <= total and start < end <= total + 1 and end - start <= MAX_URLS_PER_CALL):
        raise InvalidParameterValueException(MSG_RANGE.format(total=total), field="uploadRange")
    return start, end


@transaction.atomic
def upload_links_grant(
    *, upload: AttachmentUpload, actor: Principal, start: int | None, end: int | None
) -> tuple[int, int]:
    """Hand out more part links for an upload that was started earlier: returns the part
    range (see `upload_range`) and writes an audit record, as `upload_start` does for the first
    links. Raises `InvalidParameterValueException` for a range outside the upload."""
    start, end = upload_range(upload, start, end)
    audit.record(
        actor=actor,
        event_name=AuditEventName.GET_ATTACHMENT_UPLOAD_LINKS,
        account=upload.account,
        request_parameters={
            "uploadId": upload.upload_id,
            "uploadRange": {"startIndex": start, "endIndex": end},
        },
    )
    return start, end


def _check_open(upload: AttachmentUpload) -> None:
    if upload.status != UploadStatus.NOT_READY or upload.expires_at <= timezone.now():
        raise InvalidParameterValueException(MSG_CLOSED.format(upload_id=upload.upload_id))


def upload_part_store(
    *,
    upload: AttachmentUpload,
    part_index: int,
    stream: SupportsRead[bytes],
    content_length: int,
) -> str:
    """Stream one part into storage and return its ETag (the MD5 of the part, as S3 does).

    Preconditions: the caller verified the presigned link. The declared length must equal the
    part's size; the body is read in 1 MB chunks and never held in memory. A part sent again
    replaces the earlier one.
    """
    _check_open(upload)
    if upload.s3_upload_id:
        raise InvalidParameterValueException(MSG_CLOSED.format(upload_id=upload.upload_id))
    if not 1 <= part_index <= upload.total_parts:
        raise InvalidParameterValueException(
            MSG_PART_INDEX.format(index=part_index, total=upload.total_parts)
        )
    size = expected_part_size(upload, part_index)
    if content_length != size:
        raise InvalidParameterValueException(MSG_PART_SIZE.format(index=part_index, size=size))
    digest = hashlib.md5(usedforsecurity=False)
    received = 0
    with tempfile.TemporaryFile() as spool:
        while received < size:
            chunk = stream.read(min(CHUNK, size - received))
            if not chunk:
                break
            digest.update(chunk)
            spool.write(chunk)
            received += len(chunk)
        if received != size:
            raise InvalidParameterValueException(MSG_PART_SIZE.format(index=part_index, size=size))
        spool.seek(0)
        key = default_storage.save(
            f"uploads/{upload.account.account_id}/{upload.pk}-{part_index}-{secrets.token_hex(4)}",
            File(spool),
        )
    etag = digest.hexdigest()
    with transaction.atomic():
        previous = AttachmentUploadPart.objects.filter(upload=upload, part_index=part_index).first()
        if previous is not None:
            old_key = previous.storage_key
            AttachmentUploadPart.objects.filter(pk=previous.pk).update(
                size=size, etag=etag, storage_key=key, completed=False, updated_at=timezone.now()
            )
            transaction.on_commit(lambda: default_storage.delete(old_key))
        else:
            AttachmentUploadPart.objects.create(
                upload=upload, part_index=part_index, size=size, etag=etag, storage_key=key
            )
    return etag


def _assemble(upload: AttachmentUpload, parts: list[AttachmentUploadPart]) -> str:
    with tempfile.TemporaryFile() as whole:
        for part in parts:
            with default_storage.open(part.storage_key, "rb") as handle:
                shutil.copyfileobj(handle, whole, CHUNK)
        if whole.tell() != upload.file_size:
            raise ValueError("assembled size does not match")
        whole.seek(0)
        return default_storage.save(
            f"attachments/{upload.account.account_id}/{secrets.token_hex(16)}", File(whole)
        )


@transaction.atomic
def upload_complete(
    *,
    upload: AttachmentUpload,
    completed: Iterable[dict[str, Any]],
    actor: Principal,
    dry_run: bool = False,
) -> str:
    """Record parts as complete (checking their ETags); when every part is in, join them into the
    attachment file. Returns the upload status. Raises `InvalidParameterValueException`.

    The upload row is locked first, so two concurrent calls cannot both join the parts. With
    `dry_run` the ETags are checked and nothing is joined or sent to S3.
    """
    upload = (
        AttachmentUpload.objects.select_for_update().select_related("account").get(pk=upload.pk)
    )
    if upload.status == UploadStatus.READY:
        return upload.status
    _check_open(upload)
    if upload.s3_upload_id:
        return _s3_complete(upload=upload, completed=completed, actor=actor, dry_run=dry_run)
    parts = {p.part_index: p for p in upload.parts.select_for_update()}
    for item in completed:
        index = int(item["partIndex"])
        etag = str(item["eTag"]).strip('"')
        part = parts.get(index)
        if part is None:
            raise InvalidParameterValueException(MSG_PART_MISSING.format(index=index))
        if etag != part.etag:
            raise InvalidParameterValueException(MSG_ETAG.format(index=index))
        if not part.completed:
            AttachmentUploadPart.objects.filter(pk=part.pk).update(completed=True)
            part.completed = True
    ready = len(parts) == upload.total_parts and all(p.completed for p in parts.values())
    if ready and not dry_run:
        ordered = [parts[i] for i in range(1, upload.total_parts + 1)]
        try:
            key = _assemble(upload, ordered)
        except (OSError, ValueError) as exc:
            upload.status = UploadStatus.FAILED
            upload.failure_reason = str(exc)[:500]
            upload.save(update_fields=["status", "failure_reason", "updated_at"])
        else:
            upload.status = UploadStatus.READY
            upload.storage_key = key
            upload.save(update_fields=["status", "storage_key", "updated_at"])
            part_keys = [p.storage_key for p in ordered]
            # The list comprehension only runs the deletes (Storage.delete returns None).
            transaction.on_commit(
                lambda: [default_storage.delete(k) for k in part_keys]  # type: ignore[func-returns-value]
            )
    audit.record(
        actor=actor,
        event_name=AuditEventName.COMPLETE_ATTACHMENT_UPLOAD,
        account=upload.account,
        request_parameters={"uploadId": upload.upload_id},
        response_elements={"uploadStatus": upload.status},
    )
    return upload.status


def _s3_complete(
    *,
    upload: AttachmentUpload,
    completed: Iterable[dict[str, Any]],
    actor: Principal,
    dry_run: bool = False,
) -> str:
    """CompleteAttachmentUpload for parts uploaded straight to S3: check each reported ETag
    against S3's own list of parts, and complete the S3 multipart upload once all are in."""
    client, bucket = _s3()
    key = _s3_key(upload.storage_key)
    in_s3: dict[int, dict[str, Any]] = {}
    paginator = client.get_paginator("list_parts")
    for page in paginator.paginate(Bucket=bucket, Key=key, UploadId=upload.s3_upload_id):
        for part in page.get("Parts", []):
            in_s3[part["PartNumber"]] = part
    known = {p.part_index: p for p in upload.parts.select_for_update()}
    for item in completed:
        index = int(item["partIndex"])
        etag = str(item["eTag"]).strip('"')
        stored = in_s3.get(index)
        if stored is None or stored["ETag"].strip('"') != etag:
            raise InvalidParameterValueException(MSG_S3_PART.format(index=index))
        if not 1 <= index <= upload.total_parts:
            raise InvalidParameterValueException(
                MSG_PART_INDEX.format(index=index, total=upload.total_parts)
            )
        if index not in known:
            known[index] = AttachmentUploadPart.objects.create(
                upload=upload,
                part_index=index,
                size=stored["Size"],
                etag=etag,
                storage_key="",
                completed=True,
            )
    if len(known) == upload.total_parts and not dry_run:
        try:
            client.complete_multipart_upload(
                Bucket=bucket,
                Key=key,
                UploadId=upload.s3_upload_id,
                MultipartUpload={
                    "Parts": [
                        {"PartNumber": i, "ETag": f'"{known[i].etag}"'}
                        for i in range(1, upload.total_parts + 1)
                    ]
                },
            )
        except Exception as exc:  # botocore ClientError and connection errors alike
            upload.status = UploadStatus.FAILED
            upload.failure_reason = str(exc)[:500]
            upload.save(update_fields=["status", "failure_reason", "updated_at"])
        else:
            upload.status = UploadStatus.READY
            upload.save(update_fields=["status", "updated_at"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.COMPLETE_ATTACHMENT_UPLOAD,
        account=upload.account,
        request_parameters={"uploadId": upload.upload_id},
        response_elements={"uploadStatus": upload.status},
    )
    return upload.status


def upload_progress(upload: AttachmentUpload) -> tuple[int, int]:
    """(total parts, parts reported complete)."""
    done = upload.parts.filter(completed=True).count()
    return upload.total_parts, done


@dataclass(frozen=True)
class PartLink:
    part_index: int
    url: str
    expires_at: int


def uploads_purge_expired(*, batch_size: int = 200) -> int:
    """Delete expired uploads never attached to a case, with their part and joined files."""
    deleted = 0
    while True:
        with transaction.atomic():
            batch = list(
                AttachmentUpload.objects.select_for_update()
                .filter(attachment__isnull=True, expires_at__lt=timezone.now())
                .order_by("pk")[:batch_size]
            )
            if not batch:
                return deleted
            keys = [u.storage_key for u in batch if u.storage_key]
            s3_pending = [(u.storage_key, u.s3_upload_id) for u in batch if u.s3_upload_id]
            keys += list(
                AttachmentUploadPart.objects.filter(upload__in=batch).values_list(
                    "storage_key", flat=True
                )
            )
            AttachmentUpload.objects.filter(pk__in=[u.pk for u in batch]).delete()
        for key in keys:
            default_storage.delete(key)
        for key, s3_upload_id in s3_pending:
            client, bucket = _s3()
            try:
                client.abort_multipart_upload(
                    Bucket=bucket, Key=_s3_key(key), UploadId=s3_upload_id
                )
            except Exception:  # already completed or aborted: nothing left to free
                pass
        deleted += len(batch)
