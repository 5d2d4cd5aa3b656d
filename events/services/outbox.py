"""The event-delivery outbox (core.outbox) and its policy: one `EventDelivery` per event and
target, named to tasks by its public `delivery_id`."""

from __future__ import annotations

from datetime import timedelta

from core.outbox import MSG_GAVE_UP, Outbox, OutboxPolicy
from events.models import DeliveryStatus, EventDelivery
from events.tasks import event_delivery_attempt_task

__all__ = [
    "BACKOFF",
    "DELIVERIES",
    "MAX_ATTEMPTS",
    "MSG_GAVE_UP",
    "REQUEUE_AFTER",
    "STUCK_AFTER",
    "SWEEP_BATCH",
    "backoff_after",
]

MAX_ATTEMPTS = 6
# The wait after the 1st, 2nd, ... failed attempt.
BACKOFF = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=30),
    timedelta(hours=2),
    timedelta(hours=6),
)
# A claim older than this is taken to be a dead worker's. It must comfortably exceed the longest
# attempt: the webhook deadline (webhook.WEBHOOK_DEADLINE_SECONDS, plus the resolver's own
# timeouts), and the SNS/SQS and SMTP clients' timeouts.
STUCK_AFTER = timedelta(minutes=10)
# The sweep queues at most this many due deliveries a run (the oldest first).
SWEEP_BATCH = 200
# A due delivery whose task was queued this long ago and has not run is queued again.
REQUEUE_AFTER = timedelta(minutes=5)


def backoff_after(attempts: int) -> timedelta:
    """The wait after `attempts` failed attempts."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


DELIVERIES = Outbox(
    EventDelivery,
    task=event_delivery_attempt_task,
    key="delivery_id",
    done=DeliveryStatus.DELIVERED,
    policy=OutboxPolicy(
        max_attempts=MAX_ATTEMPTS,
        backoff=backoff_after,
        stuck_after=STUCK_AFTER,
        # Webhooks can be slow: the sweep only queues, one task per delivery.
        sweep_batch=SWEEP_BATCH,
        requeue_after=REQUEUE_AFTER,
        # The delivery log is the customer's: its messages are shown in the reader's language.
        error_phrase_field="last_error_phrase",
    ),
)
