"""EventBridge-style rules over Support Center's events, their targets, and the delivery outbox.

An `EventRule` belongs to an account and holds an event pattern (`events.pattern`). Each of its
`EventTarget`s receives every matching event: a webhook (signed POST), an email address, or an
SNS topic / SQS queue in the customer's connected AWS environment. Publishing writes one
`EventDelivery` per target in the publisher's transaction (the outbox); a task delivers it (the
periodic sweep only re-queues what the broker lost or what is due for a retry), each try leaving
a `DeliveryAttempt`.

Email targets must be confirmed by their recipient first, as SNS email subscriptions are
(otherwise any tenant could make the operator's domain mail anyone): a new one is "pending
confirmation" and gets one confirmation email (an `EventDelivery` with purpose "confirmation"),
and until its link is followed no event deliveries are created for it at all (events published
meanwhile are not kept for later, like SNS's pending subscriptions).
"""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core.errors import stored_message
from core.models import TimestampedModel
from events.redact import webhook_origin

EVENTS_REGION = "us-east-1"


class EventRule(TimestampedModel):
    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="event_rules", verbose_name=_("account")
    )
    # EventBridge rule names: 1-64 of letters, digits, ".", "-" and "_"; unique per account.
    name = models.CharField(_("name"), max_length=64)
    description = models.CharField(_("description"), max_length=512, blank=True)
    event_pattern = models.JSONField(_("event pattern"))
    enabled = models.BooleanField(_("enabled"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="event_rules_created",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["name"]
        verbose_name = _("event rule")
        verbose_name_plural = _("event rules")
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


class ConfirmationStatus(models.TextChoices):
    # Webhooks, SNS and SQS: the customer owns the destination (or signs it); no confirmation.
    NONE = "none", _("Not needed")
    PENDING = "pending", _("Pending confirmation")
    CONFIRMED = "confirmed", _("Confirmed")


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
    # Email targets: pending until the recipient follows the emailed link, then confirmed.
    confirmation_status = models.CharField(
        max_length=16, choices=ConfirmationStatus.choices, default=ConfirmationStatus.NONE
    )
    # When the latest confirmation email was asked for (creation or "resend"): the resend limit.
    confirmation_requested_at = models.DateTimeField(null=True, blank=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

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
            # Email targets are confirmed or waiting to be; the other kinds need no confirmation.
            models.CheckConstraint(
                condition=(
                    Q(kind="email", confirmation_status__in=["pending", "confirmed"])
                    | (~Q(kind="email") & Q(confirmation_status="none"))
                ),
                name="event_target_confirmation_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.rule.name}/{self.target_id}"

    @property
    def destination(self) -> str:
        """What the target delivers to, for people allowed to change it (never the secret).
        A webhook URL may carry a secret in its path (Slack, Teams, Discord): others get
        `redacted_destination`."""
        if self.kind == TargetKind.WEBHOOK:
            return self.url
        if self.kind == TargetKind.EMAIL:
            return self.email
        return self.arn

    @property
    def redacted_destination(self) -> str:
        """`destination` with a webhook URL cut to its scheme, host and port."""
        if self.kind == TargetKind.WEBHOOK:
            return webhook_origin(self.url) + "/…"
        return self.destination


class DeliveryPurpose(models.TextChoices):
    EVENT = "event", _("Event")
    # The email asking an email target's recipient to confirm (sent whatever its status).
    CONFIRMATION = "confirmation", _("Confirmation request")


class DeliveryStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class EventDelivery(TimestampedModel):
    """One event for one target: the outbox row. Claimed (pending -> sending) before each try."""

    # Public id: the X-SupportCenter-Delivery header and the console's replay URLs.
    delivery_id = models.UUIDField(
        _("delivery ID"), default=uuid.uuid4, unique=True, editable=False
    )
    target = models.ForeignKey(
        EventTarget, on_delete=models.CASCADE, related_name="deliveries", verbose_name=_("target")
    )
    purpose = models.CharField(
        _("purpose"), max_length=16, choices=DeliveryPurpose.choices, default=DeliveryPurpose.EVENT
    )
    event = models.JSONField(_("event"))
    # The envelope's id and detail-type, as columns for the delivery log.
    event_id = models.CharField(_("event ID"), max_length=64)
    detail_type = models.CharField(_("detail type"), max_length=128)
    status = models.CharField(
        _("status"), max_length=16, choices=DeliveryStatus.choices, default=DeliveryStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt at"))
    claimed_at = models.DateTimeField(_("claimed at"), null=True, blank=True)
    # When an attempt task was last handed to the broker for it: the sweep queues a due row
    # again only if it became due after that (a retry) or the task seems lost.
    queued_at = models.DateTimeField(_("queued at"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("delivered at"), null=True, blank=True)
    last_error = models.CharField(_("last error"), max_length=500, blank=True)
    # `last_error` as its msgid and values (`core.errors.Phrase`) when it is one of our
    # messages, so the delivery log shows it in its reader's language; null for a library's or
    # receiver's words (shown as written). `last_error` keeps the English.
    last_error_phrase = models.JSONField(
        _("last error (message and values)"), null=True, blank=True
    )
    replay_of = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="replays",
        verbose_name=_("replay of"),
    )

    class Meta:
        verbose_name = _("event delivery")
        verbose_name_plural = _("event deliveries")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "delivered", "failed"]),
                name="event_delivery_status_valid",
            ),
            models.CheckConstraint(
                condition=Q(purpose__in=["event", "confirmation"]),
                name="event_delivery_purpose_valid",
            ),
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

    @property
    def last_error_shown(self) -> str:
        """`last_error` in the active language (the reader's)."""
        return stored_message(self.last_error, self.last_error_phrase)


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
    # Our own messages among the two, as msgid and values (see EventDelivery.last_error_phrase).
    response_excerpt_phrase = models.JSONField(null=True, blank=True)
    error_phrase = models.JSONField(null=True, blank=True)

    class Meta:
        ordering = ["delivery", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["delivery", "number"], name="delivery_attempt_number_unique"
            )
        ]

    def __str__(self) -> str:
        return f"{self.delivery_id} #{self.number}"

    @property
    def response_excerpt_shown(self) -> str:
        return stored_message(self.response_excerpt, self.response_excerpt_phrase)

    @property
    def error_shown(self) -> str:
        return stored_message(self.error, self.error_phrase)
