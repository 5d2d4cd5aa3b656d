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
  The response's first 1,000 characters are shown to the customer in the delivery log, so a
  webhook must never reach our own network (SSRF): unless EVENTS_ALLOW_PRIVATE_WEBHOOKS is on,
  target creation refuses private hosts by name, and every attempt resolves the host once,
  refuses it if any address is not public (`is_public_address`), and connects to the vetted
  address itself, so DNS that changes between the check and the connection (rebinding) cannot
  redirect it. TLS still verifies the certificate for the URL's host name.
- email: a plain-text summary with the event JSON, through Django's email backend.
- sns / sqs: Publish / SendMessage of the event JSON in the account's connected AWS environment
  (`advisor.connection.aws_session`), in the region of the target's ARN.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import ipaddress
import json
import logging
import socket
import ssl
import time as clock
from dataclasses import dataclass
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

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
MSG_BLOCKED_ADDRESS = (
    "Not sent: {host} resolves to {address}, which is not a public internet address "
    "(private, loopback, link-local and reserved addresses are refused)."
)
MSG_NO_ADDRESS = "Not sent: {host} did not resolve to any address."

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# One socket.getaddrinfo() answer: family, type, proto, canonical name, socket address.
AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]


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


# --- webhooks: where they may connect --------------------------------------------------------


def is_public_address(address: IPAddress) -> bool:
    """Whether a webhook may connect to `address`: not private, loopback, link-local, reserved,
    multicast, unspecified or otherwise not globally routable (e.g. 100.64.0.0/10, where some
    clouds keep their metadata service). An IPv4-mapped address (::ffff:a.b.c.d) is judged by
    the IPv4 address it reaches, and a 6to4 one (2002::/16) must embed a public one too; NAT64
    (64:ff9b::/96) and IPv4-compatible addresses fall in ::/8, which is reserved."""
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return is_public_address(address.ipv4_mapped)
        if address.sixtofour is not None and not is_public_address(address.sixtofour):
            return False
    return not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_reserved
        or address.is_multicast
        or address.is_unspecified
        or not address.is_global
    )


def is_private_host(host: str) -> bool:
    """Whether a URL's host (as `urlsplit(url).hostname` gives it) names our own network
    without DNS: `localhost`, a `*.localhost` name (RFC 6761), or a literal IP address that is
    not public. Other names are checked when they are resolved, at every delivery attempt."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return not is_public_address(address)


class BlockedAddress(Exception):
    """A webhook's host resolved to an address webhooks may not reach (or to none at all)."""


def _resolve_webhook_host(host: str, port: int) -> list[AddrInfo]:
    """Resolve `host` once and return the addresses to connect to. Unless
    EVENTS_ALLOW_PRIVATE_WEBHOOKS is on, raises `BlockedAddress` if *any* of them is not public:
    connecting falls back from one address to the next, so one public answer among private ones
    must not vouch for the rest. Raises `OSError` (socket.gaierror) when the name does not
    resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    if not infos:
        raise BlockedAddress(MSG_NO_ADDRESS.format(host=host))
    if not settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS:
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not is_public_address(address):
                raise BlockedAddress(MSG_BLOCKED_ADDRESS.format(host=host, address=address))
    return infos


def _open_socket(addresses: list[AddrInfo], timeout: float | None) -> socket.socket:
    """Connect to the first of the vetted `addresses` that answers, as socket.create_connection
    does, but without looking the name up again."""
    last_error: OSError | None = None
    for family, kind, proto, _canonname, sockaddr in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(timeout)
            sock.connect(sockaddr)
        except OSError as error:
            sock.close()
            last_error = error
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as http.client does
        return sock
    raise last_error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain http to `host` over a socket to one of its vetted addresses; the Host header
    still names `host`."""

    def __init__(self, host: str, port: int, *, addresses: list[AddrInfo], timeout: float) -> None:
        super().__init__(host, port, timeout=timeout)
        self.addresses = addresses

    def connect(self) -> None:
        self.sock = _open_socket(self.addresses, self.timeout)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """https to `host` over a socket to one of its vetted addresses. The TLS handshake sends
    `host` as SNI and verifies the certificate (chain and name) against `host`, not the IP."""

    def __init__(self, host: str, port: int, *, addresses: list[AddrInfo], timeout: float) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=timeout, context=self.tls)
        self.addresses = addresses

    def connect(self) -> None:
        sock = _open_socket(self.addresses, self.timeout)
        try:
            self.sock = self.tls.wrap_socket(sock, server_hostname=self.host)
        except BaseException:
            sock.close()
            raise


def _excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_LIMIT].decode("utf-8", errors="replace")


def _send_webhook(delivery: EventDelivery, target: EventTarget) -> Outcome:
    body = event_body(delivery.event)
    headers = {
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        SIGNATURE_HEADER: webhook_signature(crypto.decrypt(target.secret_encrypted), body),
        TIMESTAMP_HEADER: str(int(clock.time())),
        DELIVERY_HEADER: str(delivery.delivery_id),
    }
    parts = urlsplit(target.url)
    https = parts.scheme == "https"
    path = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    connection: http.client.HTTPConnection | None = None
    try:
        host = parts.hostname or ""
        port = parts.port or (443 if https else 80)  # ValueError for a port out of range
        addresses = _resolve_webhook_host(host, port)
        pinned = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
        connection = pinned(host, port, addresses=addresses, timeout=WEBHOOK_TIMEOUT_SECONDS)
        # http.client never follows redirects: a 3xx is an answer, not a new destination.
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        excerpt = _excerpt(response.read(EXCERPT_LIMIT))
    except BlockedAddress as error:
        logger.warning("delivery %s refused: %s", delivery.delivery_id, error)
        return Outcome(ok=False, error=str(error))
    except (OSError, http.client.HTTPException, ValueError) as error:  # DNS, refused, timeout, TLS
        return Outcome(ok=False, error=f"{type(error).__name__}: {error}")
    finally:
        if connection is not None:
            connection.close()
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
