"""The AWS environment an account connects: an access key, a role Support Center assumes with the
account's own external id, or the moto sample environment. Trusted Advisor computes its checks
there and event rules deliver to its SNS topics and SQS queues."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core.models import TimestampedModel


class ConnectionMode(models.TextChoices):
    KEYS = "keys", _("Access key")
    ROLE = "role", _("Role to assume")
    SAMPLE = "sample", _("Sample environment")


class AwsConnection(TimestampedModel):
    """How Support Center reaches an account's AWS environment. Secrets are encrypted at rest."""

    account = models.OneToOneField(Account, on_delete=models.CASCADE, related_name="aws_connection")
    mode = models.CharField(max_length=8, choices=ConnectionMode.choices)
    access_key_id = models.CharField(max_length=128, blank=True)
    secret_access_key_encrypted = models.TextField(blank=True)
    role_arn = models.CharField(max_length=2048, blank=True)
    external_id = models.CharField(max_length=1224, blank=True)
    regions = models.JSONField(default=list)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(mode__in=ConnectionMode.values), name="aws_connection_mode_valid"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id} ({self.mode})"
