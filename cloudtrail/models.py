"""Trails: an account's audit records delivered as CloudTrail log files, with a digest chain."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from accounts.models import Account


class TrailDestination(models.TextChoices):
    LOCAL = "local", "Local directory"
    S3 = "s3", "S3 bucket"


class DeliveryProblem(models.TextChoices):
    """Why a trail's last delivery failed, as its owner reads it. Only these words reach the
    page: what an endpoint answered (its body, its error codes and messages) never does, since
    the endpoint may be a service the tenant wanted to read through us; the details are logged
    for operators (`cloudtrail.services.trail_deliver`)."""

    NOT_CONNECTED = (
        "not_connected",
        _(
            "No AWS environment is connected to this account: connect one (Trusted Advisor, AWS "
            "connection) or disable the trail."
        ),
    )
    CONNECTION_FAILED = (
        "connection_failed",
        _(
            "The account's AWS connection could not be used: check its access key, or its role's "
            "trust policy and external ID."
        ),
    )
    OWN_ACCOUNT_ROLE = (
        "own_account_role",
        _(
            "The connected role belongs to the AWS account Support Center runs in, which it never "
            "uses for an account. Connect a role in your own AWS account."
        ),
    )
    BLOCKED_ENDPOINT = (
        "blocked_endpoint",
        _(
            "Nothing was sent: the S3 endpoint is not allowed. It must be a public internet host, "
            "reached over https."
        ),
    )
    UNRESOLVED = "unresolved", _("The S3 endpoint's host name did not resolve.")
    UNREACHABLE = "unreachable", _("The S3 endpoint could not be reached.")
    TIMED_OUT = "timed_out", _("The S3 endpoint did not answer in time.")
    BAD_ANSWER = "bad_answer", _("The S3 endpoint's answer could not be read.")
    NO_SUCH_BUCKET = "no_such_bucket", _("The bucket does not exist.")
    ACCESS_DENIED = (
        "access_denied",
        _(
            "Access denied: check the bucket policy and the permissions of the account's AWS "
            "connection."
        ),
    )
    REFUSED = "refused", _("The S3 endpoint refused the request (HTTP status {status}).")
    MISSING = "missing", _("The file is missing.")
    WRITE_FAILED = "write_failed", _("The files could not be written to the trail's folder.")
    FAILED = "failed", _("The delivery failed.")


def problem_text(code: str, status: int | None = None) -> str:
    """A delivery problem in the active language ("" for none)."""
    if not code:
        return ""
    problem = DeliveryProblem(code) if code in DeliveryProblem.values else DeliveryProblem.FAILED
    return str(problem.label).format(status=status or "?")


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
    # An S3-compatible endpoint instead of AWS's (vetted like webhooks: core.netguard). S3
    # trails deliver with the account's AWS connection (connections), never with the server's
    # own credentials.
    s3_endpoint_url = models.CharField(max_length=300, blank=True)
    # A disabled (paused) trail delivers nothing; enabling it again delivers what it missed.
    enabled = models.BooleanField(default=True)
    # The last audit record delivered (records are delivered in primary-key order).
    last_event_pk = models.BigIntegerField(default=0)
    last_digest_hash = models.CharField(max_length=64, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    # Why the last delivery failed (empty after a success), and the endpoint's HTTP status.
    last_error_code = models.CharField(max_length=32, choices=DeliveryProblem.choices, blank=True)
    last_error_status = models.PositiveSmallIntegerField(null=True, blank=True)
    failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["account", "name"], name="trail_name_unique_in_account"
            ),
            models.CheckConstraint(
                condition=models.Q(last_error_code__in=["", *DeliveryProblem.values]),
                name="trail_last_error_code_valid",
            ),
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def last_error_text(self) -> str:
        return problem_text(self.last_error_code, self.last_error_status)


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
