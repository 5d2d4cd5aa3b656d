"""Delivering events: thin tasks over the services, safe to run twice. Only the attempt task
sends; the sweep queues attempt tasks (see events.services.delivery)."""

from celery import shared_task

from accounts.principals import SYSTEM


@shared_task(acks_late=True)
def event_delivery_attempt_task(delivery_id: str) -> bool:
    from events.services import delivery_attempt

    return delivery_attempt(delivery_id=delivery_id, actor=SYSTEM)


@shared_task(acks_late=True)
def event_deliveries_sweep_task() -> int:
    from events.services import deliveries_sweep

    return deliveries_sweep(actor=SYSTEM)
