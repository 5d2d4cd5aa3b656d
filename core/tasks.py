"""Housekeeping for the database itself."""

from celery import shared_task


@shared_task(acks_late=True)
def database_optimize_task() -> None:
    from core.services import database_optimize

    database_optimize()
