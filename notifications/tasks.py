"""Sending the outbox: thin tasks over the services, safe to run twice."""

from celery import shared_task


@shared_task(acks_late=True)
def notification_send_task(notification_id: str) -> bool:
    from notifications.services import notification_send

    return notification_send(notification_id=notification_id)


@shared_task(acks_late=True)
def notifications_drain_task() -> int:
    from notifications.services import notifications_drain

    return notifications_drain()


@shared_task(acks_late=True)
def notifications_send_task(notification_ids: list[str]) -> int:
    """Several messages queued together (a job's batch): one task, published once."""
    from notifications.services import notification_send

    return sum(notification_send(notification_id=key) for key in notification_ids)


@shared_task(acks_late=True)
def notifications_sweep_task() -> int:
    from notifications.services import notifications_sweep

    return notifications_sweep()
