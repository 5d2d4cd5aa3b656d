"""The audit trail: one record per call or action, in CloudTrail's record format.

Records name their account by its 12-digit number (CloudTrail's `recipientAccountId`), not by a
foreign key: the audit trail sits below every app that writes to it, accounts and reference
data included, and a record outlives the row it names until the retention purge takes it.
"""

from __future__ import annotations

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from core.safejson import StoredDecoder


class AuditEventType(models.TextChoices):
    API_CALL = "AwsApiCall", _("API call")
    CONSOLE_ACTION = "AwsConsoleAction", _("Console action")
    CONSOLE_SIGN_IN = "AwsConsoleSignIn", _("Console sign-in")
    SERVICE_EVENT = "AwsServiceEvent", _("Service event")


class AuditEvent(models.Model):
    # The JSON columns are decoded with `StoredDecoder`: a record too deeply nested to decode
    # (written directly, or before requests were checked) must not break the lists and exports
    # it falls in; `audit.selectors.to_cloudtrail` sanitizes what it shows.
    event_id = models.UUIDField(_("event ID"), default=uuid.uuid4, unique=True, editable=False)
    event_time = models.DateTimeField(_("event time"), db_index=True)
    event_version = models.CharField(_("event version"), max_length=8, default="1.11")
    event_source = models.CharField(_("event source"), max_length=100)
    event_name = models.CharField(_("event name"), max_length=100)
    event_type = models.CharField(_("event type"), max_length=32, choices=AuditEventType.choices)
    aws_region = models.CharField(_("AWS region"), max_length=32)
    # The account the record belongs to (recipientAccountId); blank for operator actions.
    recipient_account_id = models.CharField(_("recipient account ID"), max_length=12, blank=True)
    user_identity = models.JSONField(_("user identity"), default=dict, decoder=StoredDecoder)
    principal_arn = models.CharField(_("principal ARN"), max_length=300, blank=True)
    user_name = models.CharField(_("user name"), max_length=254, blank=True)
    access_key_id = models.CharField(_("access key ID"), max_length=32, blank=True)
    source_ip = models.CharField(_("source IP address"), max_length=64, blank=True)
    user_agent = models.CharField(_("user agent"), max_length=1000, blank=True)
    request_id = models.CharField(_("request ID"), max_length=64, blank=True)
    request_parameters = models.JSONField(
        _("request parameters"), null=True, blank=True, decoder=StoredDecoder
    )
    response_elements = models.JSONField(
        _("response elements"), null=True, blank=True, decoder=StoredDecoder
    )
    error_code = models.CharField(_("error code"), max_length=100, blank=True)
    error_message = models.CharField(_("error message"), max_length=1000, blank=True)
    read_only = models.BooleanField(_("read only"), default=False)
    resources = models.JSONField(_("resources"), default=list, blank=True, decoder=StoredDecoder)
    # The first resource, as a column: CloudTrail's lookup filters on its name.
    resource_type = models.CharField(_("resource type"), max_length=100, blank=True)
    resource_name = models.CharField(_("resource name"), max_length=300, blank=True)

    class Meta:
        ordering = ["-event_time", "-id"]
        verbose_name = _("audit event")
        verbose_name_plural = _("audit events")
        indexes = [
            models.Index(
                fields=["recipient_account_id", "-event_time", "-id"], name="audit_account_time"
            ),
            models.Index(
                fields=["recipient_account_id", "event_name", "-event_time", "-id"],
                name="audit_acct_name",
            ),
            models.Index(
                fields=["recipient_account_id", "user_name", "-event_time", "-id"],
                name="audit_acct_user",
            ),
            models.Index(
                fields=["recipient_account_id", "resource_name", "-event_time", "-id"],
                name="audit_acct_res",
            ),
            models.Index(
                fields=["recipient_account_id", "resource_type", "-event_time", "-id"],
                name="audit_acct_res_type",
            ),
            models.Index(
                fields=["recipient_account_id", "access_key_id", "-event_time", "-id"],
                name="audit_acct_key",
            ),
            models.Index(
                fields=["recipient_account_id", "event_source", "-event_time", "-id"],
                name="audit_acct_src",
            ),
            models.Index(
                fields=["recipient_account_id", "read_only", "-event_time", "-id"],
                name="audit_acct_ro",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_time:%Y-%m-%dT%H:%M:%SZ} {self.event_name} {self.principal_arn}"
