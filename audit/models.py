"""The audit trail: one record per call or action, in CloudTrail's record format."""

from __future__ import annotations

import uuid

from django.db import models

from accounts.models import Account


class AuditEventType(models.TextChoices):
    API_CALL = "AwsApiCall"
    CONSOLE_ACTION = "AwsConsoleAction"
    CONSOLE_SIGN_IN = "AwsConsoleSignIn"
    SERVICE_EVENT = "AwsServiceEvent"


class AuditEvent(models.Model):
    event_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    event_time = models.DateTimeField(db_index=True)
    event_version = models.CharField(max_length=8, default="1.11")
    event_source = models.CharField(max_length=100)
    event_name = models.CharField(max_length=100)
    event_type = models.CharField(max_length=32, choices=AuditEventType.choices)
    aws_region = models.CharField(max_length=32)
    # The account the record belongs to (recipientAccountId); None for operator actions.
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="audit_events"
    )
    user_identity = models.JSONField(default=dict)
    principal_arn = models.CharField(max_length=300, blank=True)
    user_name = models.CharField(max_length=254, blank=True)
    access_key_id = models.CharField(max_length=32, blank=True)
    source_ip = models.CharField(max_length=64, blank=True)
    user_agent = models.CharField(max_length=1000, blank=True)
    request_id = models.CharField(max_length=64, blank=True)
    request_parameters = models.JSONField(null=True, blank=True)
    response_elements = models.JSONField(null=True, blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.CharField(max_length=1000, blank=True)
    read_only = models.BooleanField(default=False)
    resources = models.JSONField(default=list, blank=True)
    # The first resource, as a column: CloudTrail's lookup filters on its name.
    resource_type = models.CharField(max_length=100, blank=True)
    resource_name = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["-event_time", "-id"]
        indexes = [
            models.Index(fields=["account", "-event_time", "-id"], name="audit_account_time"),
            models.Index(
                fields=["account", "event_name", "-event_time", "-id"], name="audit_acct_name"
            ),
            models.Index(
                fields=["account", "user_name", "-event_time", "-id"], name="audit_acct_user"
            ),
            models.Index(
                fields=["account", "resource_name", "-event_time", "-id"], name="audit_acct_res"
            ),
            models.Index(
                fields=["account", "access_key_id", "-event_time", "-id"], name="audit_acct_key"
            ),
            models.Index(
                fields=["account", "event_source", "-event_time", "-id"], name="audit_acct_src"
            ),
            models.Index(
                fields=["account", "read_only", "-event_time", "-id"], name="audit_acct_ro"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_time:%Y-%m-%dT%H:%M:%SZ} {self.event_name} {self.principal_arn}"


class TrailDestination(models.TextChoices):
    LOCAL = "local", "Local directory"
    S3 = "s3", "S3 bucket"


class Trail(models.Model):
    """Delivers an account's records as gzipped CloudTrail log files, with a digest chain."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="trails")
    name = models.CharField(max_length=128)
    destination = models.CharField(max_length=8, choices=TrailDestination.choices)
    # Local: a folder under SUPPORTCENTER_DATA_DIR/trails/<account id>/; S3: bucket and prefix.
    folder = models.CharField(max_length=128, blank=True)
    s3_bucket = models.CharField(max_length=63, blank=True)
    s3_prefix = models.CharField(max_length=200, blank=True)
    s3_region = models.CharField(max_length=32, blank=True, default="us-east-1")
    s3_endpoint_url = models.CharField(max_length=300, blank=True)
    s3_access_key_id = models.CharField(max_length=128, blank=True)
    s3_secret_encrypted = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    # The last audit record delivered (records are delivered in primary-key order).
    last_event_pk = models.BigIntegerField(default=0)
    last_digest_hash = models.CharField(max_length=64, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="trail_name_unique_in_account")
        ]

    def __str__(self) -> str:
        return self.name


class TrailDelivery(models.Model):
    trail = models.ForeignKey(Trail, on_delete=models.CASCADE, related_name="deliveries")
    log_key = models.CharField(max_length=500)
    digest_key = models.CharField(max_length=500)
    record_count = models.PositiveIntegerField()
    log_hash = models.CharField(max_length=64)
    digest_hash = models.CharField(max_length=64)
    previous_digest_hash = models.CharField(max_length=64, blank=True)
    first_event_pk = models.BigIntegerField()
    last_event_pk = models.BigIntegerField()
    delivered_at = models.DateTimeField()

    class Meta:
        ordering = ["delivered_at", "id"]

    def __str__(self) -> str:
        return self.log_key
