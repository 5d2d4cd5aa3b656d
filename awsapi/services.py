"""Housekeeping of the API layer's own state."""

from __future__ import annotations

import functools
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone

from awsapi.models import IdempotencyRecord
from core.bulk import from_values, insert_row
from core.rawload import column, fetch_all, field_value, quote

IDEMPOTENCY_WINDOW = timedelta(hours=24)


def idempotency_record_store(
    *, access_key_id: str, invocation_id: str, operation: str, response: dict
) -> IdempotencyRecord:
    """Remember a mutating call's answer; call inside the call's transaction. A concurrent
    attempt of the same invocation raises IntegrityError (the unique constraint). One INSERT
    composed once (`core.bulk.insert_row`): every mutating API call writes one."""
    values = insert_row(
        IdempotencyRecord,
        {
            "access_key_id": access_key_id,
            "invocation_id": invocation_id,
            "operation": operation,
            "response": response,
            "created_at": timezone.now(),
        },
    )
    return from_values(IdempotencyRecord, values)


def idempotency_response(*, access_key_id: str, invocation_id: str, operation: str) -> Any:
    """The answer remembered for this invocation, or None. Every mutating call with an
    invocation id asks first; the lookup by the unique key is composed once (the ORM's
    building of it cost more than the read)."""
    rows = fetch_all(_response_sql(), [access_key_id, invocation_id, operation])
    if not rows:
        return None
    return field_value(IdempotencyRecord, "response", rows[0][0])


@functools.cache
def _response_sql() -> str:
    model = IdempotencyRecord
    return (
        f"SELECT {column(model, 'response')} FROM {quote(model._meta.db_table)} "
        f"WHERE {column(model, 'access_key_id')} = %s AND {column(model, 'invocation_id')} = %s "
        f"AND {column(model, 'operation')} = %s"
    )


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
