"""Periodic housekeeping for the API: thin tasks over services, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def idempotency_records_purge_task() -> int:
    from awsapi.services import idempotency_records_purge

    return idempotency_records_purge()
