"""Trusted Advisor data: check results with their history (the AWS environment an account
connects is `connections.AwsConnection`).

`CheckState` is the live row per (account, check): the refresh status machine and a pointer to the
latest result. Every successful run adds a `CheckResult` (history, for the dashboard's chart) with
its `CheckResource` rows. Exclusions are kept per resource id so they survive later runs.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account
from core.models import TimestampedModel


class RefreshStatus(models.TextChoices):
    NONE = "none", _("Not refreshed")
    ENQUEUED = "enqueued", _("Enqueued")
    PROCESSING = "processing", _("Processing")
    SUCCESS = "success", _("Success")
    ABANDONED = "abandoned", _("Abandoned")


class CheckStatus(models.TextChoices):
    OK = "ok", _("No problems detected")
    WARNING = "warning", _("Investigation recommended")
    ERROR = "error", _("Action recommended")
    NOT_AVAILABLE = "not_available", _("Not available")


class CheckState(TimestampedModel):
    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="advisor_checks")
    check_id = models.CharField(max_length=16)
    refresh_status = models.CharField(
        max_length=12, choices=RefreshStatus.choices, default=RefreshStatus.NONE
    )
    refresh_requested_at = models.DateTimeField(null=True, blank=True)
    refresh_started_at = models.DateTimeField(null=True, blank=True)
    refresh_finished_at = models.DateTimeField(null=True, blank=True)
    next_refreshable_at = models.DateTimeField(null=True, blank=True)
    refresh_error = models.TextField(blank=True)
    latest_result = models.ForeignKey(
        "CheckResult", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "check_id"], name="check_state_unique"),
            models.CheckConstraint(
                condition=models.Q(refresh_status__in=RefreshStatus.values),
                name="check_state_refresh_status_valid",
            ),
        ]
        indexes = [
            models.Index(fields=["refresh_status", "refresh_requested_at"], name="check_state_due"),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.check_id} {self.refresh_status}"


class CheckResult(TimestampedModel):
    """One successful run of a check (the history). Counts follow the API's resourcesSummary."""

    account = models.ForeignKey(Account, on_delete=models.CASCADE, related_name="advisor_results")
    check_id = models.CharField(max_length=16)
    status = models.CharField(max_length=16, choices=CheckStatus.choices)
    computed_at = models.DateTimeField()
    resources_processed = models.PositiveIntegerField(default=0)
    resources_flagged = models.PositiveIntegerField(default=0)
    resources_ignored = models.PositiveIntegerField(default=0)
    resources_suppressed = models.PositiveIntegerField(default=0)
    # Rows stored, green ones included: the API's hasFlaggedResources is "the list is non-empty".
    resources_listed = models.PositiveIntegerField(default=0)
    estimated_monthly_savings = models.FloatField(default=0.0)
    estimated_percent_monthly_savings = models.FloatField(default=0.0)
    monthly_cost = models.FloatField(default=0.0)

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=models.Q(status__in=CheckStatus.values), name="check_result_status_valid"
            ),
        ]
        indexes = [
            models.Index(
                fields=["account", "check_id", "-computed_at"], name="check_result_history"
            ),
            models.Index(fields=["account", "-computed_at"], name="check_result_recent"),
        ]

    def __str__(self) -> str:
        return (
            f"{self.account_id}/{self.check_id} {self.status} @ {self.computed_at:%Y-%m-%d %H:%M}"
        )


class CheckResource(models.Model):
    """A resource a run listed. `resource_id` is the API's opaque, stable `resourceId`."""

    result = models.ForeignKey(CheckResult, on_delete=models.CASCADE, related_name="resources")
    resource_id = models.CharField(max_length=64)
    arn = models.TextField()
    region = models.CharField(max_length=32, blank=True)
    status = models.CharField(max_length=8)
    metadata = models.JSONField(default=list)
    is_suppressed = models.BooleanField(default=False)
    savings = models.FloatField(default=0.0)
    position = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["result", "resource_id"], name="check_resource_unique"),
        ]
        ordering = ["result", "position"]

    def __str__(self) -> str:
        return f"{self.resource_id} {self.status}"


class ResourceExclusion(TimestampedModel):
    """A resource the account excluded from a check; its rows are listed as suppressed."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="advisor_exclusions"
    )
    check_id = models.CharField(max_length=16)
    resource_id = models.CharField(max_length=64)
    created_by_arn = models.CharField(max_length=300, blank=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "check_id", "resource_id"], name="resource_exclusion_unique"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.account_id}/{self.check_id}/{self.resource_id}"


class WeeklyReport(TimestampedModel):
    """The weekly email about an account's checks, once per account and week (`week`: the
    Monday, UTC). The row is the job's proof that the week's email was queued, so a second run
    sends nothing; `figures` keeps what it said (this week's counts and savings and last
    week's), which the sender renders in each recipient's language. `run` marks the rows one
    run inserted: a concurrent run's conflicting insert leaves the row to the first."""

    account = models.ForeignKey(
        Account, on_delete=models.CASCADE, related_name="advisor_weekly_reports"
    )
    week = models.DateField()
    run = models.UUIDField()
    figures = models.JSONField(default=dict)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "week"], name="weekly_report_once"),
        ]
        indexes = [models.Index(fields=["week", "run"], name="weekly_report_run")]

    def __str__(self) -> str:
        return f"{self.account_id} week of {self.week:%Y-%m-%d}"


class WeeklyReportPreference(TimestampedModel):
    """A person's own choice about the weekly email (everyone gets it by default): whoever's
    address is among its recipients can stop it for that address."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="advisor_report_preference",
    )
    receives = models.BooleanField(default=True)

    def __str__(self) -> str:
        return f"{self.user_id}: {'receives' if self.receives else 'opted out'}"
