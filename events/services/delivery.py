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
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.principals import Principal
from core.errors import Phrase
from events.models import (
    ConfirmationStatus,
    DeliveryAttempt,
    DeliveryPurpose,
    EventDelivery,
    TargetKind,
)
from events.services.channels import send_confirmation, send_email, send_sns, send_sqs
from events.services.outbox import (
    BACKOFF,
    DELIVERIES,
    MAX_ATTEMPTS,
    MSG_GAVE_UP,
    REQUEUE_AFTER,
    STUCK_AFTER,
    SWEEP_BATCH,
    backoff_after,
)
from events.services.sending import EXCERPT_LIMIT, Outcome, as_json, error_text
from events.services.webhook import send_webhook

logger = logging.getLogger(__name__)

__all__ = [
    "BACKOFF",
    "MAX_ATTEMPTS",
    "MSG_GAVE_UP",
    "REQUEUE_AFTER",
    "STUCK_AFTER",
    "SWEEP_BATCH",
    "backoff_after",
    "deliveries_sweep",
    "delivery_attempt",
]

MSG_UNCONFIRMED = gettext_noop(
    "Not sent: the email address has not confirmed that it wants these emails."
)


def delivery_attempt(*, delivery_id: str, actor: Principal) -> bool:
    """Attempt one delivery if it is due and nobody else holds it; returns whether this call
    delivered it. Safe to call twice: the second call finds it claimed or done.

    `actor` is the system principal (Celery); attempts are logged as `DeliveryAttempt` rows,
    not in the audit trail. Network and AWS errors never escape: they become a failed attempt.
    """
    now = timezone.now()
    if not DELIVERIES.claim(delivery_id, now):
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
    updated = DELIVERIES.settle(
        delivery,
        claimed_at=claimed_at,
        ok=outcome.ok,
        error=outcome.error or f"HTTP {outcome.http_status}",
        done_fields={"delivered_at": timezone.now()},
    )
    if not outcome.ok:
        logger.info("delivery %s attempt %d failed", delivery.delivery_id, delivery.attempts)
    if updated:
        DeliveryAttempt.objects.create(
            delivery=delivery,
            number=delivery.attempts,
            started_at=started,
            duration_ms=duration_ms,
            succeeded=outcome.ok,
            http_status=outcome.http_status,
            response_excerpt=str(outcome.response_excerpt)[:EXCERPT_LIMIT],
            response_excerpt_phrase=as_json(outcome.response_excerpt),
            error=str(outcome.error)[:1000],
            error_phrase=as_json(outcome.error),
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
    return DELIVERIES.sweep_queue(batch_size=batch_size)


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
            return Outcome(ok=False, error=Phrase(MSG_UNCONFIRMED))
        return send_email(delivery, target)
    if target.kind == TargetKind.SNS:
        return send_sns(delivery, target)
    return send_sqs(delivery, target)
