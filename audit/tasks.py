"""Audit trail jobs: thin tasks over services, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def audit_events_purge_task() -> int:
    from audit.services import audit_events_purge

    return audit_events_purge()
