"""State of the AWS API layer itself (not domain data)."""

from __future__ import annotations

from django.db import models


class IdempotencyRecord(models.Model):
    """The answer to a mutating call, keyed by the SDK's invocation id.

    botocore retries a call after a 5xx, a throttle or a lost connection with the same
    `amz-sdk-invocation-id`; a repeat of a committed call gets the stored answer instead of a
    second case or reply. Written in the same transaction as the change. Purged after a day.
    """

    access_key_id = models.CharField(max_length=32)
    invocation_id = models.CharField(max_length=100)
    operation = models.CharField(max_length=64)
    response = models.JSONField()
    created_at = models.DateTimeField(db_index=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["access_key_id", "invocation_id", "operation"],
                name="idempotency_unique_invocation",
            )
        ]

    def __str__(self) -> str:
        return f"{self.operation} {self.invocation_id}"
