"""What people are told: the email outbox (one row per message, written in the same transaction
as the change it reports, and sent afterwards by a task and by a periodic sweep, each message
once; see core.outbox) and the console's inbox with its per-person email preferences. What a
message says and whom it goes to is decided by the app that writes it."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core.models import TimestampedModel


class NotificationStatus(models.TextChoices):
    PENDING = "pending", _("Pending")
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")


class Notification(TimestampedModel):
    # Also the Message-ID's local part, so a duplicate delivery is recognisable.
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    # The account the message is about (none for messages to Support Center's own staff).
    account = models.ForeignKey(
        Account, null=True, blank=True, on_delete=models.CASCADE, related_name="notifications"
    )
    # What the message is about, e.g. a case id: messages go when their topic is purged.
    topic = models.CharField(max_length=128, blank=True, db_index=True)
    kind = models.CharField(max_length=32)
    recipients = models.JSONField(default=list)
    # Written by the sender, not the writer, when `template` names a renderer (jobs that queue
    # thousands of messages leave the rendering to the sender): empty until the first attempt.
    subject = models.CharField(max_length=300, blank=True)
    body_text = models.TextField(blank=True)
    body_html = models.TextField(blank=True)
    # A renderer registered with `notifications.services.renderer_register` and what it is
    # given; blank for a message written whole.
    template = models.CharField(max_length=64, blank=True)
    context = models.JSONField(default=dict, blank=True)
    status = models.CharField(
        max_length=16, choices=NotificationStatus.choices, default=NotificationStatus.PENDING
    )
    attempts = models.PositiveSmallIntegerField(default=0)
    next_attempt_at = models.DateTimeField(db_index=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    # Set just before the SMTP server is given the end of the message (core.outbox.hand_over):
    # a claim released after it is taken as sent instead of sent again.
    handed_over_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "next_attempt_at"], name="outbox_due")]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["pending", "sending", "sent", "failed"]),
                name="notification_status_valid",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} {self.id} ({self.status})"


class InboxItem(TimestampedModel):
    """Something a person should look at, shown in their console (the header's counter and the
    notifications page). Written in the transaction of the change it reports; one per
    recipient and event (`dedupe_key`), so a retried change never notifies twice."""

    recipient = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_items"
    )
    kind = models.CharField(max_length=32)
    # What it is about (a case id): items go when their topic is purged.
    topic = models.CharField(max_length=128, blank=True, db_index=True)
    title = models.CharField(max_length=300)
    url = models.CharField(max_length=500)
    dedupe_key = models.CharField(max_length=200)
    read_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(
                fields=["recipient", "dedupe_key"], name="inbox_item_once_per_event"
            )
        ]
        indexes = [
            # The notifications page, newest first, and the header's unread count.
            models.Index(fields=["recipient", "-created_at", "-id"], name="inbox_recent"),
            # The unread ones, in the same order (the "unread" view and the capped count).
            models.Index(
                fields=["recipient", "-created_at", "-id"],
                condition=Q(read_at__isnull=True),
                name="inbox_unread_recent",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} for {self.recipient_id}: {self.title}"


class InboxPreference(TimestampedModel):
    """Which kinds of inbox item a person also gets by email (all of them by default)."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="inbox_preference"
    )
    email_kinds = models.JSONField(default=list)

    def __str__(self) -> str:
        return f"{self.user_id}: {', '.join(self.email_kinds)}"
