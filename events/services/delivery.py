"""Delivering events to targets: the worker side of the outbox (as notifications.services does
for email).

`delivery_attempt` claims a due delivery with a conditional UPDATE (pending -> sending) before
it sends, so a task that runs twice, or two queued copies of it, never send the same delivery at
once; every later write is conditioned on that claim. A failed try is logged as a
`DeliveryAttempt` and retried with exponential backoff (1 min, 5 min, 30 min, 2 h, 6 h) until
`MAX_ATTEMPTS`, then the delivery is failed (the console can replay it).

Sending happens only in `event_delivery_attempt_task`, one delivery per task. `deliveries_sweep`
(every minute) sends nothing itself: it releases deliveries stuck in "sending" (a worker died
mid-send) and queues an attempt task for the oldest due ones (at most `SWEEP_BATCH` a run), so
one slow receiver holds one worker for one attempt at most, and overlapping sweeps cannot take
every worker slot. A due row is queued again only when it became due after its last queueing
(a retry) or that queueing is older than `REQUEUE_AFTER` (the broker lost the task); duplicates
are harmless anyway, the claim makes them no-ops.

Every attempt is bounded in time (a webhook by its overall deadline and answer size, see
`events.services.webhook`; email and AWS by their clients' timeouts), so it ends well before
`STUCK_AFTER` releases its row to a second worker. A delivery is therefore sent at least once,
and more than once only when a worker dies between sending and recording; receivers deduplicate
on X-SupportCenter-Delivery (or the event id).

`_send` picks the sender by purpose and target kind:
- webhook: `events.services.webhook` (signed POST, SSRF-safe, deadline-bounded);
- email, and the confirmation email of a pending address: `events.services.channels`, only once
  the address is confirmed;
- sns / sqs: `events.services.channels` (Publish / SendMessage in the account's connected AWS
  environment).
What they share (`Outcome`, the event body) is `events.services.sending`.
"""

from __future__ import annotations

import logging
import time as clock
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from accounts.principals import Principal
from events.models import (
    ConfirmationStatus,
    DeliveryAttempt,
    DeliveryPurpose,
    DeliveryStatus,
    EventDelivery,
    TargetKind,
)
from events.services.channels import send_confirmation, send_email, send_sns, send_sqs
from events.services.publish import dispatch_deliveries
from events.services.sending import EXCERPT_LIMIT, Outcome, error_text
from events.services.webhook import send_webhook

logger = logging.getLogger(__name__)

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

MSG_GAVE_UP = "gave up after repeated interrupted attempts"
MSG_UNCONFIRMED = "Not sent: the email address has not confirmed that it wants these emails."


def backoff_after(attempts: int) -> timedelta:
    """The wait after `attempts` failed attempts."""
    return BACKOFF[min(attempts, len(BACKOFF)) - 1]


def delivery_attempt(*, delivery_id: str, actor: Principal) -> bool:
    """Attempt one delivery if it is due and nobody else holds it; returns whether this call
    delivered it. Safe to call twice: the second call finds it claimed or done.

    `actor` is the system principal (Celery); attempts are logged as `DeliveryAttempt` rows,
    not in the audit trail. Network and AWS errors never escape: they become a failed attempt.
    """
    now = timezone.now()
    claimed = EventDelivery.objects.filter(
        delivery_id=delivery_id,
        status=DeliveryStatus.PENDING,
        next_attempt_at__lte=now,
        attempts__lt=MAX_ATTEMPTS,
    ).update(
        status=DeliveryStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1, updated_at=now
    )
    if not claimed:
        return False
    delivery = (
        EventDelivery.objects.select_related("target", "target__rule", "target__rule__account")
        .filter(delivery_id=delivery_id)
        .first()
    )
    if delivery is None:  # its target or rule was deleted in between
        return False
    started = timezone.now()
    tick = clock.monotonic()
    try:
        outcome = _send(delivery)
    except Exception as error:  # a bug in a sender must not leave the row stuck in "sending"
        logger.exception("delivery %s raised", delivery_id)
        outcome = Outcome(ok=False, error=error_text(error, delivery.target))
    duration_ms = int((clock.monotonic() - tick) * 1000)
    _record(delivery, claimed_at=now, started=started, duration_ms=duration_ms, outcome=outcome)
    return outcome.ok


@transaction.atomic
def _record(
    delivery: EventDelivery,
    *,
    claimed_at: Any,
    started: Any,
    duration_ms: int,
    outcome: Outcome,
) -> None:
    # Conditioned on this worker's claim: a claim released by the sweep and taken by another
    # worker is never overwritten by this one (and a deleted delivery is left alone).
    mine = EventDelivery.objects.filter(
        pk=delivery.pk, status=DeliveryStatus.SENDING, claimed_at=claimed_at
    )
    finished = timezone.now()
    if outcome.ok:
        updated = mine.update(
            status=DeliveryStatus.DELIVERED,
            delivered_at=finished,
            last_error="",
            updated_at=finished,
        )
    else:
        gave_up = delivery.attempts >= MAX_ATTEMPTS
        updated = mine.update(
            status=DeliveryStatus.FAILED if gave_up else DeliveryStatus.PENDING,
            next_attempt_at=finished + backoff_after(delivery.attempts),
            last_error=outcome.error[:500] or f"HTTP {outcome.http_status}",
            updated_at=finished,
        )
        logger.info("delivery %s attempt %d failed", delivery.delivery_id, delivery.attempts)
    if updated:
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started,
            duration_ms=duration_ms,
            succeeded=outcome.ok,
            http_status=outcome.http_status,
            response_excerpt=outcome.response_excerpt[:EXCERPT_LIMIT],
            error=outcome.error[:1000],
        )


def deliveries_sweep(*, actor: Principal, batch_size: int | None = None) -> int:
    """Release deliveries stuck in "sending" (their worker died), then queue an attempt task for
    the oldest due ones, at most `batch_size` (default `SWEEP_BATCH`). Sends nothing itself.

    `actor` is the system principal. Returns how many tasks this run queued. A due delivery is
    queued unless its task was queued after it became due and less than `REQUEUE_AFTER` ago
    (still waiting for a worker); the attempt task's claim makes a duplicate a no-op anyway.
    Side effects: deliveries' `queued_at`; tasks on the broker (none if it is down: the next
    run tries again).
    """
    now = timezone.now()
    stuck = EventDelivery.objects.filter(
        status=DeliveryStatus.SENDING, claimed_at__lt=now - STUCK_AFTER
    )
    stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=DeliveryStatus.FAILED, last_error=MSG_GAVE_UP, updated_at=now
    )
    stuck.filter(attempts__lt=MAX_ATTEMPTS).update(
        status=DeliveryStatus.PENDING, next_attempt_at=now, updated_at=now
    )
    not_waiting = (
        Q(queued_at__isnull=True)
        | Q(queued_at__lt=F("next_attempt_at"))
        | Q(queued_at__lt=now - REQUEUE_AFTER)
    )
    due = (
        EventDelivery.objects.filter(status=DeliveryStatus.PENDING, next_attempt_at__lte=now)
        .filter(not_waiting)
        .order_by("next_attempt_at", "id")
    )
    batch = list(due.values_list("pk", "delivery_id")[: batch_size or SWEEP_BATCH])
    if not batch:
        return 0
    EventDelivery.objects.filter(pk__in=[pk for pk, _id in batch]).update(queued_at=now)
    dispatch_deliveries([str(delivery_id) for _pk, delivery_id in batch])
    return len(batch)


# --- dispatch by target kind ---------------------------------------------------------------------


def _send(delivery: EventDelivery) -> Outcome:
    target = delivery.target
    if delivery.purpose == DeliveryPurpose.CONFIRMATION:
        return send_confirmation(delivery, target)
    if target.kind == TargetKind.WEBHOOK:
        return send_webhook(delivery, target)
    if target.kind == TargetKind.EMAIL:
        if target.confirmation_status != ConfirmationStatus.CONFIRMED:
            # Publishing creates no deliveries for these; this catches older rows (from before
            # confirmation was required) and anything else that slips through.
            return Outcome(ok=False, error=MSG_UNCONFIRMED)
        return send_email(delivery, target)
    if target.kind == TargetKind.SNS:
        return send_sns(delivery, target)
    return send_sqs(delivery, target)
