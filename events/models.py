"""EventBridge-style rules over Support Center's events, their targets, and the delivery outbox.

An `EventRule` belongs to an account and holds an event pattern (`events.pattern`). Each of its
`EventTarget`s receives every matching event: a webhook (signed POST), an email address, or an
SNS topic / SQS queue in the customer's connected AWS environment. Publishing writes one
`EventDelivery` per target in the publisher's transaction (the outbox); a task and a periodic
sweep deliver it, each try leaving a `DeliveryAttempt`.
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core.models import TimestampedModel

EVENTS_REGION = "us-east-1"


class EventRule(TimestampedModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="event_rules")
    # EventBridge rule names: 1-64 of letters, digits, ".", "-" and "_"; unique per account.
    name = models.CharField(max_length=64)
    description = models.CharField(max_length=512, blank=True)
    event_pattern = models.JSONField()
    enabled = models.BooleanField(default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_rules_created",
    )

    class Meta:
        ordering = ["name"]
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="event_rule_name_unique"),
            models.CheckConstraint(
                condition=Q(name__regex=r"^[.\-_A-Za-z0-9]{1,64}$"), name="event_rule_name_valid"
            ),
        ]
        indexes = [models.Index(fields=["account", "enabled"], name="event_rule_account_enabled")]

    def __str__(self) -> str:
        return self.name

    @property
    def arn(self) -> str:
        return f"arn:aws:events:{EVENTS_REGION}:{self.account.account_id}:rule/{self.name}"

    @property
    def state(self) -> str:
        """EventBridge's State value."""
        return "ENABLED" if self.enabled else "DISABLED"


class TargetKind(models.TextChoices):
    WEBHOOK = "webhook", _("Webhook (HTTPS POST)")
    EMAIL = "email", _("Email")
    SNS = "sns", _("Amazon SNS topic")
    SQS = "sqs", _("Amazon SQS queue")


class EventTarget(TimestampedModel):
    rule = models.ForeignKey(EventRule, on_delete=models.CASCADE, related_name="targets")
    # The target's Id (EventBridge's, unique within the rule); used in URLs and the audit trail.
    target_id = models.CharField(max_length=64)
    kind = models.CharField(max_length=16, choices=TargetKind.choices)
    url = models.URLField(max_length=2000, blank=True)
    # The webhook signing secret, encrypted with core.crypto (shown once, on creation).
    secret_encrypted = models.TextField(blank=True)
    email = models.EmailField(blank=True)
    # An SNS topic or SQS queue ARN.
    arn = models.CharField(max_length=300, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        constraints = [
            models.UniqueConstraint(fields=["rule", "target_id"], name="event_target_id_unique"),
            models.CheckConstraint(
                condition=Q(kind__in=["webhook", "email", "sns", "sqs"]),
                name="event_target_kind_valid",
            ),
            # Each kind carries its own destination.
            models.CheckConstraint(
                condition=(
                    Q(kind="webhook", secret_encrypted__gt="", url__gt="")
                    | Q(kind="email", email__gt="")
                    | Q(kind__in=["sns", "sqs"], arn__gt="")
                ),
                name="event_target_destination_set",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name}/{self.target_id}"

    @property
    def destination(self) -> str:
        """What the target delivers to, for people (never the secret)."""
        if self.kind == TargetKind.WEBHOOK:
            return self.url
        if self.kind == TargetKind.EMAIL:
            return self.email
        return self.arn


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class EventDelivery(TimestampedModel):
    """One event for one target: the outbox row. Claimed (pending -> sending) before each try."""

    # Public id: the X-SupportCenter-Delivery header and the console's replay URLs.
    delivery_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    target = models.ForeignKey(EventTarget, on_delete=models.CASCADE, related_name="deliveries")
    event = models.JSONField()
    # The envelope's id and detail-type, as columns for the delivery log.
    event_id = models.CharField(max_length=64)
    detail_type = models.CharField(max_length=128)
    status = models.CharField(
        max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField()
    claimed_at = models.DateTimeField(null=True, blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)
    replay_of = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.SET_NULL, related_name="replays"
    )

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "delivered", "failed"]),
                name="event_delivery_status_valid",
            )
        ]
        indexes = [
            # The sweep: due pending rows, and sending rows claimed too long ago.
            models.Index(fields=["status", "next_attempt_at"], name="event_delivery_due"),
            models.Index(fields=["status", "claimed_at"], name="event_delivery_claimed"),
            # The delivery log of one target, newest first.
            models.Index(fields=["target", "-created_at", "-id"], name="event_delivery_log"),
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} ({self.status})"


class DeliveryAttempt(TimestampedModel):
    delivery = models.ForeignKey(
        EventDelivery, on_delete=models.CASCADE, related_name="attempt_log"
    )
    number = models.PositiveSmallIntegerField()
    started_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField()
    succeeded = models.BooleanField()
    # Webhooks: the HTTP status (None when no response came); SNS/SQS: the API's status.
    http_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_excerpt = models.CharField(max_length=1000, blank=True)
    error = models.CharField(max_length=1000, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="delivery_attempt_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"
