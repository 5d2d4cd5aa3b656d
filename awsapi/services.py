"""Housekeeping of the API layer's own state."""

from __future__ import annotations

from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from awsapi.models import IdempotencyRecord

IDEMPOTENCY_WINDOW = timedelta(hours=24)


def idempotency_records_purge(*, batch_size: int = 5000) -> int:
    """Delete remembered answers older than a day, in batches; safe to run twice."""
    cutoff = timezone.now() - IDEMPOTENCY_WINDOW
    deleted = 0
    while True:
        batch = list(
            IdempotencyRecord.objects.filter(created_at__lt=cutoff).values_list("pk", flat=True)[
                :batch_size
            ]
        )
        if not batch:
            return deleted
        with transaction.atomic():
            IdempotencyRecord.objects.filter(pk__in=batch).delete()
        deleted += len(batch)
