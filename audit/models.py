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

    class Meta:
        ordering = ["-event_time", "-id"]
        indexes = [
            models.Index(fields=["account", "-event_time"], name="audit_account_time"),
            models.Index(fields=["account", "event_name", "-event_time"], name="audit_acct_name"),
        ]

    def __str__(self) -> str:
        return f"{self.event_time:%Y-%m-%dT%H:%M:%SZ} {self.event_name} {self.principal_arn}"
