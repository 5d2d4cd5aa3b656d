"""Trails: an account's audit records delivered as CloudTrail log files, with a digest chain."""

from __future__ import annotations

from django.db import models

from accounts.models import Account


class TrailDestination(models.TextChoices):
    LOCAL = "local", "Local directory"
    S3 = "s3", "S3 bucket"


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
    s3_endpoint_url = models.CharField(max_length=300, blank=True)
    s3_access_key_id = models.CharField(max_length=128, blank=True)
    s3_secret_encrypted = models.TextField(blank=True)
    enabled = models.BooleanField(default=True)
    # The last audit record delivered (records are delivered in primary-key order).
    last_event_pk = models.BigIntegerField(default=0)
    last_digest_hash = models.CharField(max_length=64, blank=True)
    last_delivery_at = models.DateTimeField(null=True, blank=True)
    last_error = models.CharField(max_length=1000, blank=True)
    failures = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["account", "name"], name="trail_name_unique_in_account")
        ]

    def __str__(self) -> str:
        return self.name


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
