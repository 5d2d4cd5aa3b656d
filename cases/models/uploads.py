"""Large attachments uploaded in parts through the API, before they join a communication."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, User
from cases.models.records import Attachment
from core.models import TimestampedModel


class UploadStatus(models.TextChoices):
    NOT_READY = "attachment-not-ready", _("Not ready")
    READY = "attachment-ready", _("Ready")
    FAILED = "failed", _("Failed")


class AttachmentUpload(TimestampedModel):
    """A large file uploaded in parts (GetAttachmentUploadLinks), up to 150 MB."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="uploads")
    upload_id = models.CharField(max_length=128, unique=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    file_name = models.CharField(max_length=255)
    file_size = models.BigIntegerField()
    part_size = models.BigIntegerField()
    total_parts = models.PositiveIntegerField()
    status = models.CharField(
        max_length=32, choices=UploadStatus.choices, default=UploadStatus.NOT_READY
    )
    failure_reason = models.CharField(max_length=500, blank=True)
    # The assembled file, once every part is in (with S3 storage: the object key from the start).
    storage_key = models.CharField(max_length=255, blank=True)
    # With S3 storage the parts go straight to S3 as a native multipart upload.
    s3_upload_id = models.CharField(max_length=1024, blank=True)
    expires_at = models.DateTimeField(db_index=True)
    # Set when the upload becomes an attachment of a communication (usable once).
    attachment = models.OneToOneField(
        Attachment, null=True, blank=True, on_delete=models.SET_NULL, related_name="upload"
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["attachment-not-ready", "attachment-ready", "failed"]),
                name="upload_status_valid",
            )
        ]

    def __str__(self) -> str:
        return self.upload_id


class AttachmentUploadPart(TimestampedModel):
    upload = models.ForeignKey(AttachmentUpload, on_delete=models.CASCADE, related_name="parts")
    part_index = models.PositiveIntegerField()
    size = models.BigIntegerField()
    etag = models.CharField(max_length=64)
    storage_key = models.CharField(max_length=255)
    # Reported by the client through CompleteAttachmentUpload.
    completed = models.BooleanField(default=False)

    class Meta:
        ordering = ["part_index"]
        constraints = [
            models.UniqueConstraint(fields=["upload", "part_index"], name="upload_part_unique")
        ]

    def __str__(self) -> str:
        return f"{self.upload.upload_id}#{self.part_index}"
