"""A case: what it is about, who opened it, where it stands (`cases.lifecycle` is the only
writer of its status) and the clocks that run on it."""

from __future__ import annotations

from datetime import datetime

from django.db import models
from django.db.models import Q
from django.db.models.functions import Lower
from django.utils.translation import gettext_lazy as _

from accounts.models import Account, User
from catalog.models import CaseType, Category, ContactMethod, Service, Severity
from core.models import TimestampedModel


class CaseStatus(models.TextChoices):
    UNASSIGNED = "unassigned", _("Unassigned")
    WORK_IN_PROGRESS = "work-in-progress", _("Work in progress")
    PENDING_CUSTOMER_ACTION = "pending-customer-action", _("Pending customer action")
    # The API's value for what people see as "Pending Amazon Action".
    OPENED = "opened", _("Pending Amazon action")
    RESOLVED = "resolved", _("Resolved")
    REOPENED = "reopened", _("Reopened")


class Language(models.TextChoices):
    EN = "en", _("English")
    JA = "ja", _("Japanese")


class CallbackWhen(models.TextChoices):
    NOW = "now", _("Now")
    IN_5_MINUTES = "in-5-minutes", _("In 5 minutes")


class LegalHoldBy(models.TextChoices):
    SUPPORT = "support", _("Support")
    CUSTOMER = "customer", _("Customer")


# AWS's documentation asks API users to test with a case of this subject; such a case gets a
# scripted answer and is resolved (cases.testmode).
TEST_CASE_SUBJECT = "TEST CASE--Please ignore"


class Case(TimestampedModel):
    # No index of its own: every index below that starts with the account serves its lookups
    # (and the database's foreign-key checks), and each index more is one more write per case
    # created, changed or purged.
    account = models.ForeignKey(
        Account,
        on_delete=models.CASCADE,
        related_name="cases",
        db_index=False,
        verbose_name=_("account"),
    )
    case_id = models.CharField(_("case ID"), max_length=64, unique=True)
    display_id = models.BigIntegerField(_("display ID"), unique=True)
    case_type = models.CharField(_("case type"), max_length=32, choices=CaseType.choices)
    service = models.ForeignKey(
        Service, on_delete=models.PROTECT, related_name="cases", verbose_name=_("service")
    )
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="cases", verbose_name=_("category")
    )
    severity = models.ForeignKey(
        Severity, on_delete=models.PROTECT, related_name="cases", verbose_name=_("severity")
    )
    # The severity's level, copied so that the list's "highest severity" order reads an index
    # (case_account_level) instead of sorting the account's cases through a join. Written with
    # `severity` by the services that set it (`cases.services.severities`), and followed when
    # the catalog changes a level (`catalog.services.severity_save`).
    severity_level = models.PositiveSmallIntegerField(_("severity level"))
    subject = models.CharField(_("subject"), max_length=250)
    status = models.CharField(
        _("status"), max_length=32, choices=CaseStatus.choices, default=CaseStatus.UNASSIGNED
    )
    language = models.CharField(
        _("language"), max_length=2, choices=Language.choices, default=Language.EN
    )
    contact_method = models.CharField(
        _("contact method"), max_length=8, choices=ContactMethod.choices, default=ContactMethod.WEB
    )
    callback_number = models.CharField(_("callback number"), max_length=32, blank=True)
    callback_when = models.CharField(
        _("callback time"), max_length=16, choices=CallbackWhen.choices, blank=True
    )
    # The answer to the category's extra prompt, e.g. instance ids.
    extra_field_value = models.CharField(_("extra field value"), max_length=1000, blank=True)
    submitter = models.ForeignKey(
        User,
        null=True,
        on_delete=models.SET_NULL,
        related_name="submitted_cases",
        verbose_name=_("submitter"),
    )
    # What the API returns as submittedBy (an email address or user name), kept even if the
    # user is deleted.
    submitted_by = models.CharField(_("submitted by"), max_length=254)
    cc_email_addresses = models.JSONField(_("CC email addresses"), default=list, blank=True)
    assignee = models.ForeignKey(
        User,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="assigned_cases",
        verbose_name=_("assignee"),
    )
    first_response_due_at = models.DateTimeField(_("first response due at"), null=True, blank=True)
    # When engineers are warned that the first response is due (the severity's share of the
    # target), and when they were: each case's warning goes out once.
    first_response_warn_at = models.DateTimeField(
        _("first response warning at"), null=True, blank=True
    )
    sla_warned_at = models.DateTimeField(_("SLA warned at"), null=True, blank=True)
    first_responded_at = models.DateTimeField(_("first responded at"), null=True, blank=True)
    # None until the first engineer response; then whether it came before the deadline.
    first_response_met = models.BooleanField(_("first response met"), null=True, blank=True)
    # The next-reply clock (`cases.clocks`): after the first response, it runs while the case
    # waits for Support and is empty while it waits for the customer or is resolved. The warning
    # time is emptied once engineers have been warned.
    next_reply_started_at = models.DateTimeField(_("next reply started at"), null=True, blank=True)
    next_reply_due_at = models.DateTimeField(_("next reply due at"), null=True, blank=True)
    next_reply_warn_at = models.DateTimeField(_("next reply warning at"), null=True, blank=True)
    # Replies measured against the next-reply target, and how many of them came late.
    next_replies = models.PositiveIntegerField(_("next replies"), default=0)
    next_replies_missed = models.PositiveIntegerField(_("next replies missed"), default=0)
    last_customer_activity_at = models.DateTimeField(
        _("last customer activity at"), null=True, blank=True
    )
    # When Support last answered: the case list marks cases whose latest answer a user has not
    # read since (`CaseReadMark`).
    last_support_reply_at = models.DateTimeField(_("last support reply at"), null=True, blank=True)
    status_changed_at = models.DateTimeField(_("status changed at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    # A test case (cases.testmode): answered by a script, never in engineers' queues or SLAs.
    # `test_step_due_at` is when the script's next step is due (empty when it is done).
    is_test = models.BooleanField(_("test case"), default=False)
    test_step_due_at = models.DateTimeField(_("test step due at"), null=True, blank=True)
    # A legal hold keeps the case from the retention purge and from auto-resolve until it is
    # released; who placed it decides who may release it (cases.services.holds).
    legal_hold_at = models.DateTimeField(_("legal hold at"), null=True, blank=True)
    legal_hold_by = models.CharField(
        _("legal hold by"), max_length=16, choices=LegalHoldBy.choices, blank=True
    )
    # An earlier case of the same account this one follows up (web only: the API has no such
    # member).
    # Indexed only where set (case_related): nearly every case has none, and with a full index
    # SQLite's statistics count all those NULLs as one value, judge the index useless, and the
    # purge's SET NULL of its cases' follow-ups read every case (0.2 s a batch at a million).
    related_case = models.ForeignKey(
        "self",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="follow_ups",
        db_index=False,
        verbose_name=_("related case"),
    )

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        indexes = [
            models.Index(fields=["account", "-created_at"], name="case_account_created"),
            # The case list's filters, each read newest first from its own index (and the
            # account panel's count of open cases).
            models.Index(
                fields=["account", "status", "-created_at"], name="case_account_status_created"
            ),
            models.Index(
                fields=["account", "severity", "-created_at"], name="case_account_severity_created"
            ),
            # The list's other orders (subject A to Z, recently updated), read from an index
            # rather than sorting the account's cases; ties newest display id first.
            models.Index(fields=["account", "subject", "-display_id"], name="case_account_subject"),
            models.Index(
                fields=["account", "-updated_at", "-display_id"], name="case_account_updated"
            ),
            models.Index(
                fields=["account", "-severity_level", "-display_id"], name="case_account_level"
            ),
            models.Index(fields=["status", "first_response_due_at"], name="case_queue"),
            # Auto-resolve's batches walk it in (status_changed_at, id) order: with the id in
            # the index, cases that changed at the same instant (an import, a bulk change)
            # come in order too; without it PostgreSQL sorted every such case for each batch.
            models.Index(fields=["status", "status_changed_at", "id"], name="case_status_age"),
            # The SLA-warning job: unanswered cases not warned yet, by when they are due one.
            models.Index(
                fields=["first_response_warn_at"],
                condition=Q(first_responded_at__isnull=True, sla_warned_at__isnull=True),
                name="case_sla_warning_due",
            ),
            # The same job's next-reply warnings.
            models.Index(
                fields=["next_reply_warn_at"],
                condition=Q(next_reply_warn_at__isnull=False),
                name="case_next_reply_warning_due",
            ),
            # The test-mode sweep: test cases whose scripted step is due.
            models.Index(
                fields=["test_step_due_at"],
                condition=Q(test_step_due_at__isnull=False),
                name="case_test_step_due",
            ),
            # The purge's batches, oldest first: resolved cases not on hold, by creation. Without
            # it a run that found nothing walked every resolved case (0.3 s at a million).
            # The status leads (not a condition of the index): with a status equality the
            # planner otherwise prefers case_status_age and sorts, lacking statistics.
            models.Index(
                fields=["status", "created_at", "id"],
                condition=Q(legal_hold_at__isnull=True),
                name="case_purge_due",
            ),
            # The purge's count of the cases it keeps for a legal hold.
            models.Index(
                fields=["created_at"],
                condition=Q(legal_hold_at__isnull=False),
                name="case_legal_hold",
            ),
            # The console's search by submitter address (compared lower-cased).
            models.Index(Lower("submitted_by"), name="case_submitter_lower"),
            models.Index(
                fields=["related_case"],
                condition=Q(related_case__isnull=False),
                name="case_related",
            ),
            # case_engineer_queue (first_responded_at NULLS FIRST, first_response_due_at,
            # created_at, display_id) is created per database in migration 0002: SQLite puts
            # NULLs first on its own and refuses the NULLS FIRST clause in an index.
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=[s.value for s in CaseStatus]), name="case_status_valid"
            ),
            models.CheckConstraint(
                condition=Q(language__in=[s.value for s in Language]), name="case_language_valid"
            ),
            models.CheckConstraint(
                condition=Q(contact_method__in=[s.value for s in ContactMethod]),
                name="case_contact_method_valid",
            ),
            models.CheckConstraint(
                condition=Q(case_type__in=[s.value for s in CaseType]),
                name="case_type_valid",
            ),
            models.CheckConstraint(
                condition=Q(legal_hold_at__isnull=True, legal_hold_by="")
                | Q(legal_hold_at__isnull=False, legal_hold_by__in=[s.value for s in LegalHoldBy]),
                name="case_legal_hold_valid",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.display_id}: {self.subject}"

    @property
    def response_due_at(self) -> datetime | None:
        """When Support's next answer is due: the first response until there is one, then the
        next reply while the case waits for Support; None when nothing is due (resolved, or
        waiting for the customer)."""
        if self.status == CaseStatus.RESOLVED:
            return None
        if self.first_responded_at is None:
            return self.first_response_due_at
        return self.next_reply_due_at
