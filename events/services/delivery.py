"""Delivering events to targets: the worker side of the outbox (as notifications.services does
for email).

`delivery_attempt` claims a due delivery with a conditional UPDATE (pending -> sending) before
it sends, so a task that runs twice, or a task and the sweep, never send the same delivery at
once; every later write is conditioned on that claim. A failed try is logged as a
`DeliveryAttempt` and retried with exponential backoff (1 min, 5 min, 30 min, 2 h, 6 h) until
`MAX_ATTEMPTS`, then the delivery is failed (the console can replay it). `deliveries_sweep`
releases deliveries stuck in "sending" (a worker died mid-send) and attempts every due one.
A delivery is therefore sent at least once, and more than once only when a worker dies between
sending and recording; receivers deduplicate on X-SupportCenter-Delivery (or the event id).

Targets:
- webhook: POST of the event JSON, signed `X-SupportCenter-Signature: sha256=<hex HMAC-SHA256
  of the body with the target's secret>`; any 2xx is delivered; redirects are not followed.
- email: a plain-text summary with the event JSON, through Django's email backend.
- sns / sqs: Publish / SendMessage of the event JSON in the account's connected AWS environment
  (`advisor.connection.aws_session`), in the region of the target's ARN.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time as clock
import urllib.error
import urllib.request
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import F
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.principals import Principal
from core import crypto
from core.errors import SupportApiError
from events.models import (
    DeliveryAttempt,
    DeliveryStatus,
    EventDelivery,
    EventTarget,
    TargetKind,
)

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
STUCK_AFTER = timedelta(minutes=10)
WEBHOOK_TIMEOUT_SECONDS = 10
EXCERPT_LIMIT = 1000
USER_AGENT = "SupportCenter-Events/1.0"
SIGNATURE_HEADER = "X-SupportCenter-Signature"
TIMESTAMP_HEADER = "X-SupportCenter-Timestamp"
DELIVERY_HEADER = "X-SupportCenter-Delivery"

MSG_GAVE_UP = "gave up after repeated interrupted attempts"


@dataclass(frozen=True)
class Outcome:
    ok: bool
    http_status: int | None = None
    response_excerpt: str = ""
    error: str = ""


def event_body(event: dict[str, Any]) -> bytes:
    """The bytes every target receives (and webhooks sign)."""
    return json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def webhook_signature(secret: str, body: bytes) -> str:
    """The X-SupportCenter-Signature value for `body`; receivers compute the same and compare
    with hmac.compare_digest."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


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
        outcome = Outcome(ok=False, error=f"{type(error).__name__}: {error}")
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


def deliveries_sweep(*, actor: Principal, batch_size: int = 200) -> int:
    """Attempt every due delivery, after releasing ones stuck in "sending" (their worker died).
    Returns how many this run delivered. `actor` is the system principal."""
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
    delivered = 0
    last_seen = None
    while True:
        due = EventDelivery.objects.filter(
            status=DeliveryStatus.PENDING, next_attempt_at__lte=now
        ).order_by("next_attempt_at", "id")
        if last_seen is not None:
            due = due.filter(next_attempt_at__gte=last_seen[0]).exclude(pk__in=last_seen[1])
        batch = list(due.values_list("pk", "delivery_id", "next_attempt_at")[:batch_size])
        if not batch:
            return delivered
        for _pk, delivery_id, _due in batch:
            delivered += delivery_attempt(delivery_id=str(delivery_id), actor=actor)
        last_seen = (batch[-1][2], [pk for pk, _id, _due in batch])


# --- senders -------------------------------------------------------------------------------------


def _send(delivery: EventDelivery) -> Outcome:
    target = delivery.target
    if target.kind == TargetKind.WEBHOOK:
        return _send_webhook(delivery, target)
    if target.kind == TargetKind.EMAIL:
        return _send_email(delivery, target)
    if target.kind == TargetKind.SNS:
        return _send_sns(delivery, target)
    return _send_sqs(delivery, target)


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    """A redirect is an answer, not a new destination (and a POST must not become a GET)."""

    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None


def _excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_LIMIT].decode("utf-8", errors="replace")


def _send_webhook(delivery: EventDelivery, target: EventTarget) -> Outcome:
    body = event_body(delivery.event)
    request = urllib.request.Request(
        target.url,
        data=body,
        method="POST",
        headers={
            "Content-Type": "application/json",
            "User-Agent": USER_AGENT,
            SIGNATURE_HEADER: webhook_signature(crypto.decrypt(target.secret_encrypted), body),
            TIMESTAMP_HEADER: str(int(clock.time())),
            DELIVERY_HEADER: str(delivery.delivery_id),
        },
    )
    opener = urllib.request.build_opener(_NoRedirects())
    try:
        with opener.open(request, timeout=WEBHOOK_TIMEOUT_SECONDS) as response:
            status = response.status
            excerpt = _excerpt(response.read(EXCERPT_LIMIT))
    except urllib.error.HTTPError as error:  # 3xx (not followed), 4xx, 5xx
        excerpt = _excerpt(error.read(EXCERPT_LIMIT) or b"")
        return Outcome(
            ok=False, http_status=error.code, response_excerpt=excerpt, error=f"HTTP {error.code}"
        )
    except (urllib.error.URLError, OSError, ValueError) as error:  # DNS, refused, timeout, TLS
        reason = getattr(error, "reason", error)
        return Outcome(ok=False, error=f"{type(error).__name__}: {reason}")
    if 200 <= status < 300:
        return Outcome(ok=True, http_status=status, response_excerpt=excerpt)
    return Outcome(ok=False, http_status=status, response_excerpt=excerpt, error=f"HTTP {status}")


def _summary_lines(event: dict[str, Any]) -> list[str]:
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    lines = [
        _("Event: %(type)s") % {"type": event.get("detail-type", "")},
        _("Source: %(source)s") % {"source": event.get("source", "")},
        _("Time: %(time)s") % {"time": event.get("time", "")},
        _("Account: %(account)s") % {"account": event.get("account", "")},
        _("Event ID: %(id)s") % {"id": event.get("id", "")},
    ]
    if event.get("resources"):
        lines.append(_("Resources: %(resources)s") % {"resources": ", ".join(event["resources"])})
    if detail:
        lines.append(_("Details:"))
        for key, value in detail.items():
            shown = value if isinstance(value, str) else json.dumps(value, ensure_ascii=False)
            lines.append(f"  {key}: {shown}")
    return lines


def _email_subject(event: dict[str, Any]) -> str:
    detail = event.get("detail") if isinstance(event.get("detail"), dict) else {}
    if "event-name" in detail and "display-id" in detail:
        about = _("case %(id)s, %(name)s") % {
            "id": detail["display-id"],
            "name": detail["event-name"],
        }
    elif "check-name" in detail:
        about = f"{detail['check-name']}: {detail.get('status', '')}"
    else:
        about = str(event.get("source", ""))
    return " ".join(f"[Support Center] {event.get('detail-type', '')} ({about})".split())[:300]


def _send_email(delivery: EventDelivery, target: EventTarget) -> Outcome:
    event = delivery.event
    rule = target.rule
    link = settings.SITE_URL.rstrip("/") + reverse("events:rule", args=[rule.name])
    text = "\n".join(
        [
            _('An event matched your rule "%(rule)s".') % {"rule": rule.name},
            "",
            *_summary_lines(event),
            "",
            _("The event (JSON):"),
            json.dumps(event, indent=2, ensure_ascii=False),
            "",
            _("Delivery %(id)s. Manage the rule: %(link)s")
            % {"id": delivery.delivery_id, "link": link},
        ]
    )
    try:
        send_mail(
            _email_subject(event),
            text,
            settings.DEFAULT_FROM_EMAIL,
            [target.email],
            fail_silently=False,
        )
    except Exception as error:  # SMTP, network: retried later
        return Outcome(ok=False, error=f"{type(error).__name__}: {error}")
    return Outcome(ok=True, response_excerpt=_("Sent to %(email)s") % {"email": target.email})


def _aws_client(target: EventTarget, service: str) -> Any:
    """A client for the target's region in the account's connected AWS environment."""
    from botocore.config import Config

    from advisor.connection import aws_session  # the advisor app owns the connection

    session, endpoint_url = aws_session(target.rule.account)
    region = target.arn.split(":")[3]
    return session.client(
        service,
        region_name=region,
        endpoint_url=endpoint_url,
        config=Config(connect_timeout=5, read_timeout=10, retries={"max_attempts": 2}),
    )


def _aws_call(call: Any) -> Outcome:
    from botocore.exceptions import BotoCoreError, ClientError

    try:
        response = call()
    except SupportApiError as error:  # AwsConnectionNotConfigured and the like
        return Outcome(ok=False, error=f"{error.code}: {error.message}")
    except ClientError as error:
        info = error.response.get("Error", {})
        status = error.response.get("ResponseMetadata", {}).get("HTTPStatusCode")
        return Outcome(
            ok=False,
            http_status=status,
            error=f"{info.get('Code', 'ClientError')}: {info.get('Message', '')}",
        )
    except BotoCoreError as error:  # endpoint unreachable, credentials missing
        return Outcome(ok=False, error=f"{type(error).__name__}: {error}")
    status = response.get("ResponseMetadata", {}).get("HTTPStatusCode")
    return Outcome(
        ok=True, http_status=status, response_excerpt=f"MessageId: {response['MessageId']}"
    )


def _fifo_fields(delivery: EventDelivery, target: EventTarget) -> dict[str, str]:
    # FIFO topics and queues need a group; the delivery id deduplicates a repeated send.
    if not target.arn.endswith(".fifo"):
        return {}
    return {
        "MessageGroupId": target.rule.name,
        "MessageDeduplicationId": delivery.delivery_id.hex,
    }


def _send_sns(delivery: EventDelivery, target: EventTarget) -> Outcome:
    def call() -> Any:
        client = _aws_client(target, "sns")
        return client.publish(
            TopicArn=target.arn,
            Message=event_body(delivery.event).decode("utf-8"),
            **_fifo_fields(delivery, target),
        )

    return _aws_call(call)


def _send_sqs(delivery: EventDelivery, target: EventTarget) -> Outcome:
    def call() -> Any:
        client = _aws_client(target, "sqs")
        _arn, _partition, _service, _region, owner, queue_name = target.arn.split(":", 5)
        queue_url = client.get_queue_url(QueueName=queue_name, QueueOwnerAWSAccountId=owner)[
            "QueueUrl"
        ]
        return client.send_message(
            QueueUrl=queue_url,
            MessageBody=event_body(delivery.event).decode("utf-8"),
            **_fifo_fields(delivery, target),
        )

    return _aws_call(call)
