"""What accumulates on a case: its correspondence with attachments, its history, engineers'
notes, its search text and who has read it."""

from __future__ import annotations

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, User
from cases.models.case import Case
from core.models import TimestampedModel


class CommunicationOrigin(models.TextChoices):
    CUSTOMER = "customer", _("Customer")
    SUPPORT = "support", _("Support")


class AttachmentSet(TimestampedModel):
    """Up to three files, usable once, for one hour after creation."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="attachment_sets", verbose_name=_("account")
    )
    attachment_set_id = models.CharField(_("attachment set ID"), max_length=128, unique=True)
    created_by = models.ForeignKey(
        User,
        null=True,
        on_delete=models.SET_NULL,
        related_name="attachment_sets",
        verbose_name=_("created by"),
    )
    expires_at = models.DateTimeField(_("expires at"), db_index=True)
    used_at = models.DateTimeField(_("used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("attachment set")
        verbose_name_plural = _("attachment sets")

    def __str__(self) -> str:
        return self.attachment_set_id


class Communication(TimestampedModel):
    # Served by communication_case_time, which starts with the case.
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="communications",
        db_index=False,
        verbose_name=_("case"),
    )
    communication_id = models.CharField(_("communication ID"), max_length=64, unique=True)
    body = models.TextField(_("body"))
    origin = models.CharField(_("origin"), max_length=16, choices=CommunicationOrigin.choices)
    author = models.ForeignKey(
        User,
        null=True,
        on_delete=models.SET_NULL,
        related_name="communications",
        verbose_name=_("author"),
    )
    # The API's submittedBy: the author's address or name at the time of writing.
    submitted_by = models.CharField(_("submitted by"), max_length=254)
    attachment_set = models.OneToOneField(
        AttachmentSet,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="communication",
        verbose_name=_("attachment set"),
    )

    # Only on communications loaded by cases.selectors (one query for a page's attachments).
    attachment_list: list[Attachment]

    class Meta:
        ordering = ["-created_at", "-id"]
        verbose_name = _("communication")
        verbose_name_plural = _("communications")
        indexes = [models.Index(fields=["case", "-created_at"], name="communication_case_time")]
        constraints = [
            models.CheckConstraint(
                condition=Q(origin__in=["customer", "support"]), name="communication_origin_valid"
            )
        ]

    def __str__(self) -> str:
        return f"{self.case.display_id} {self.origin} {self.created_at:%Y-%m-%d %H:%M}"


class Attachment(TimestampedModel):
    attachment_set = models.ForeignKey(
        AttachmentSet,
        on_delete=models.CASCADE,
        related_name="attachments",
        verbose_name=_("attachment set"),
    )
    attachment_id = models.CharField(_("attachment ID"), max_length=128, unique=True)
    # The user's file name is metadata only; the file lives under `storage_key`.
    file_name = models.CharField(_("file name"), max_length=255)
    storage_key = models.CharField(_("storage key"), max_length=255, unique=True)
    size = models.PositiveIntegerField(
        _("size"),
    )
    content_type = models.CharField(
        _("content type"), max_length=255, default="application/octet-stream"
    )

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("attachment")
        verbose_name_plural = _("attachments")

    def __str__(self) -> str:
        return self.file_name


class CaseEventKind(models.TextChoices):
    CREATED = "created", _("Case created")
    STATUS_CHANGED = "status-changed", _("Status changed")
    COMMUNICATION_ADDED = "communication-added", _("Correspondence added")
    CC_ADDED = "cc-added", _("CC addresses added")
    ASSIGNED = "assigned", _("Assigned")
    RELEASED = "released", _("Released to the queue")
    FIRST_RESPONSE = "first-response", _("First response")
    RECLASSIFIED = "reclassified", _("Severity, service or category changed")
    CALLBACK = "callback", _("Phone callback")
    NEXT_REPLY = "next-reply", _("Next reply")
    LEGAL_HOLD = "legal-hold", _("Legal hold placed")
    LEGAL_HOLD_RELEASED = "legal-hold-released", _("Legal hold released")


class CaseEvent(TimestampedModel):
    """Case history (product data, shown to people); separate from the audit trail."""

    # Served by caseevent_case_time, which starts with the case.
    case = models.ForeignKey(
        Case,
        on_delete=models.CASCADE,
        related_name="events",
        db_index=False,
        verbose_name=_("case"),
    )
    kind = models.CharField(_("kind"), max_length=32, choices=CaseEventKind.choices)
    actor = models.ForeignKey(
        User, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("actor")
    )
    # "system" for Celery and beat work, else the actor's ARN at the time.
    actor_arn = models.CharField(_("actor ARN"), max_length=300)
    from_status = models.CharField(_("from status"), max_length=32, blank=True)
    to_status = models.CharField(_("to status"), max_length=32, blank=True)
    reason = models.CharField(_("reason"), max_length=500, blank=True)
    data = models.JSONField(_("data"), default=dict, blank=True)

    class Meta:
        ordering = ["created_at", "id"]
        verbose_name = _("case event")
        verbose_name_plural = _("case events")
        indexes = [models.Index(fields=["case", "created_at"], name="caseevent_case_time")]

    def __str__(self) -> str:
        return f"{self.case.display_id} {self.kind}"


class InternalNote(TimestampedModel):
    """A note between support engineers; never shown to customers or returned by the API."""

    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="internal_notes")
    author = models.ForeignKey(User, null=True, on_delete=models.SET_NULL, related_name="+")
    body = models.TextField()
    # Files for engineers only: customers' attachment loaders leave these sets out.
    attachment_set = models.OneToOneField(
        AttachmentSet,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="internal_note",
    )

    # Only on notes loaded by cases.selectors (one query for their attachments).
    attachment_list: list[Attachment]

    class Meta:
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"note on {self.case.display_id}"


class CaseSearch(models.Model):
    """A case's searchable text, as `cases.search` prepares it (lower-cased words separated by
    spaces, CJK characters one word each): the subject and the correspondence customers see,
    never internal notes. The database's full-text engine indexes it: an FTS5 table kept by
    triggers on SQLite (migration 0008), on PostgreSQL a stored tsvector with its GIN index,
    written by a trigger with the case's account as a lexeme (0011, 0016)."""

    case = models.OneToOneField(
        Case, primary_key=True, on_delete=models.CASCADE, related_name="search_text"
    )
    subject = models.TextField()
    body = models.TextField()

    def __str__(self) -> str:
        return f"search text of case {self.pk}"


class CaseReadMark(models.Model):
    """When a user last opened a case's page: the case list marks the cases Support answered
    after it. Kept only for answered cases (nothing is unread before an answer)."""

    user = models.ForeignKey(User, on_delete=models.CASCADE, related_name="case_read_marks")
    case = models.ForeignKey(Case, on_delete=models.CASCADE, related_name="read_marks")
    seen_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "case"], name="case_read_mark_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user_id} read {self.case_id} at {self.seen_at:%Y-%m-%d %H:%M}"
