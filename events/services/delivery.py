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

A webhook attempt has an overall deadline (`WEBHOOK_DEADLINE_SECONDS`) for connecting,
sending and reading the answer, and reads at most `MAX_RESPONSE_BYTES`, so a receiver that
dribbles its answer cannot hold a row in "sending" until `STUCK_AFTER` releases it to a second
worker. A delivery is therefore sent at least once, and more than once only when a worker dies
between sending and recording; receivers deduplicate on X-SupportCenter-Delivery (or the event
id).

Targets:
- webhook: POST of the event JSON, signed `X-SupportCenter-Signature: sha256=<hex HMAC-SHA256
  of the body with the target's secret>`; any 2xx is delivered; redirects are not followed.
  The response's first 1,000 characters are shown to the customer in the delivery log, so a
  webhook must never reach our own network (SSRF): unless EVENTS_ALLOW_PRIVATE_WEBHOOKS is on,
  target creation refuses private hosts by name, and every attempt resolves the host once,
  refuses it if any address is not public (`is_public_address`), and connects to the vetted
  address itself, so DNS that changes between the check and the connection (rebinding) cannot
  redirect it. TLS still verifies the certificate for the URL's host name.
- email: a plain-text summary with the event JSON, through Django's email backend, only once the
  address is confirmed; a delivery with purpose "confirmation" is the email asking for that
  (its signed link is made when it is sent, so it is valid for 3 days from then).
- sns / sqs: Publish / SendMessage of the event JSON in the account's connected AWS environment
  (`advisor.connection.aws_session`), in the region of the target's ARN.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
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
from django.core.mail import EmailMessage, send_mail
from django.db import transaction
from django.db.models import F, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from accounts.principals import Principal
from core import crypto
from core.errors import SupportApiError
from events.models import (
    ConfirmationStatus,
    DeliveryAttempt,
    DeliveryPurpose,
    DeliveryStatus,
    EventDelivery,
    EventTarget,
    TargetKind,
)
from events.redact import scrub_url
from events.services.publish import dispatch_deliveries

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
# attempt: the webhook deadline below (plus the resolver's own timeouts), and the SNS/SQS and
# SMTP clients' timeouts.
STUCK_AFTER = timedelta(minutes=10)
# Each socket operation of a webhook attempt may take this long, within the overall deadline.
WEBHOOK_TIMEOUT_SECONDS = 10
# The whole webhook attempt (connect, TLS, send, read the answer). Read at call time, so tests
# can shorten it.
WEBHOOK_DEADLINE_SECONDS: float = 15
EXCERPT_LIMIT = 1000
# At most this much of an answer is read (status line, headers and body); the body only up to
# EXCERPT_LIMIT anyway.
MAX_RESPONSE_BYTES = 64 * 1024
# The sweep queues at most this many due deliveries a run (the oldest first).
SWEEP_BATCH = 200
# A due delivery whose task was queued this long ago and has not run is queued again.
REQUEUE_AFTER = timedelta(minutes=5)
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
MSG_DEADLINE = "No complete answer within {seconds:g} seconds."
MSG_TOO_LARGE = "The answer was longer than {limit} bytes."
MSG_UNCONFIRMED = "Not sent: the email address has not confirmed that it wants these emails."

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
        outcome = Outcome(ok=False, error=_error_text(error, delivery.target))
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


# --- senders -------------------------------------------------------------------------------------


def _send(delivery: EventDelivery) -> Outcome:
    target = delivery.target
    if delivery.purpose == DeliveryPurpose.CONFIRMATION:
        return _send_confirmation(delivery, target)
    if target.kind == TargetKind.WEBHOOK:
        return _send_webhook(delivery, target)
    if target.kind == TargetKind.EMAIL:
        if target.confirmation_status != ConfirmationStatus.CONFIRMED:
            # Publishing creates no deliveries for these; this catches older rows (from before
            # confirmation was required) and anything else that slips through.
            return Outcome(ok=False, error=MSG_UNCONFIRMED)
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


class DeadlineExceeded(TimeoutError):
    """A webhook attempt ran past its overall deadline."""


class ResponseTooLarge(OSError):
    """A webhook's answer went on past MAX_RESPONSE_BYTES."""


class _Deadline:
    """The end of one webhook attempt, on the monotonic clock."""

    def __init__(self, seconds: float) -> None:
        self.seconds = seconds
        self.ends = clock.monotonic() + seconds

    def expired(self) -> bool:
        return clock.monotonic() >= self.ends

    def timeout(self) -> float:
        """The timeout for the next socket operation: the time left, at most
        WEBHOOK_TIMEOUT_SECONDS. Raises `DeadlineExceeded` when none is left."""
        left = self.ends - clock.monotonic()
        if left <= 0:
            raise DeadlineExceeded(MSG_DEADLINE.format(seconds=self.seconds))
        return min(WEBHOOK_TIMEOUT_SECONDS, left)


class _DeadlineSocket:
    """A connected (possibly TLS) socket for http.client whose every send and receive gets only
    the time left before the deadline (a socket timeout alone bounds each operation, so a
    receiver sending one byte every few seconds could hold the attempt for ever), and which
    stops reading after MAX_RESPONSE_BYTES."""

    def __init__(self, sock: socket.socket, deadline: _Deadline) -> None:
        self._sock = sock
        self._deadline = deadline
        self._received = 0
        # As socket.makefile() does: http.client closes the connection's socket as soon as it
        # has the headers of a last response, and reads the body through the file afterwards.
        self._readers = 0
        self._closed = False

    def sendall(self, data: bytes) -> None:
        # One timeout for the whole sendall (Python 3.5+), set to the time left.
        self._sock.settimeout(self._deadline.timeout())
        self._sock.sendall(data)

    def recv_into(self, buffer: memoryview) -> int:
        self._sock.settimeout(self._deadline.timeout())
        wanted = min(len(buffer), MAX_RESPONSE_BYTES - self._received + 1)
        count = self._sock.recv_into(buffer, wanted)
        self._received += count
        if self._received > MAX_RESPONSE_BYTES:
            raise ResponseTooLarge(MSG_TOO_LARGE.format(limit=MAX_RESPONSE_BYTES))
        return count

    def makefile(self, mode: str = "rb", *args: Any, **kwargs: Any) -> io.BufferedReader:
        # http.client reads the status line, headers and body through this file only.
        self._readers += 1
        return io.BufferedReader(_DeadlineReader(self))

    def reader_closed(self) -> None:
        self._readers -= 1
        if self._closed and self._readers == 0:
            self._sock.close()

    def close(self) -> None:
        self._closed = True
        if self._readers == 0:
            self._sock.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sock, name)


class _DeadlineReader(io.RawIOBase):
    def __init__(self, sock: _DeadlineSocket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._sock.recv_into(memoryview(buffer).cast("B"))

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()


def _open_socket(addresses: list[AddrInfo], deadline: _Deadline) -> socket.socket:
    """Connect to the first of the vetted `addresses` that answers, as socket.create_connection
    does, but without looking the name up again, and within the deadline."""
    last_error: OSError | None = None
    for family, kind, proto, _canonname, sockaddr in addresses:
        sock = socket.socket(family, kind, proto)
        try:
            sock.settimeout(deadline.timeout())
            sock.connect(sockaddr)
        except DeadlineExceeded:
            sock.close()
            raise
        except OSError as error:
            sock.close()
            last_error = error
            continue
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)  # as http.client does
        return sock
    raise last_error or OSError("no address to connect to")


class _PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain http to `host` over a socket to one of its vetted addresses; the Host header
    still names `host`. Everything happens within `deadline`."""

    def __init__(
        self, host: str, port: int, *, addresses: list[AddrInfo], deadline: _Deadline
    ) -> None:
        super().__init__(host, port, timeout=WEBHOOK_TIMEOUT_SECONDS)
        self.addresses = addresses
        self.deadline = deadline

    def connect(self) -> None:
        self.sock = _DeadlineSocket(_open_socket(self.addresses, self.deadline), self.deadline)


class _PinnedHTTPSConnection(http.client.HTTPSConnection):
    """https to `host` over a socket to one of its vetted addresses. The TLS handshake sends
    `host` as SNI and verifies the certificate (chain and name) against `host`, not the IP.
    Everything happens within `deadline` (the handshake as a whole gets the time left)."""

    def __init__(
        self, host: str, port: int, *, addresses: list[AddrInfo], deadline: _Deadline
    ) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=WEBHOOK_TIMEOUT_SECONDS, context=self.tls)
        self.addresses = addresses
        self.deadline = deadline

    def connect(self) -> None:
        sock = _open_socket(self.addresses, self.deadline)
        try:
            sock.settimeout(self.deadline.timeout())
            self.sock = _DeadlineSocket(
                self.tls.wrap_socket(sock, server_hostname=self.host), self.deadline
            )
        except BaseException:
            sock.close()
            raise


def _excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_LIMIT].decode("utf-8", errors="replace")


def _error_text(error: BaseException, target: EventTarget) -> str:
    """How an exception is logged in the attempt log, which read-only users see: never with the
    webhook's path or query (a library error can quote the request)."""
    text = f"{type(error).__name__}: {error}"
    return scrub_url(text, target.url) if target.kind == TargetKind.WEBHOOK else text


def _send_webhook(delivery: EventDelivery, target: EventTarget) -> Outcome:
    deadline = _Deadline(WEBHOOK_DEADLINE_SECONDS)
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
    response: http.client.HTTPResponse | None = None
    try:
        host = parts.hostname or ""
        port = parts.port or (443 if https else 80)  # ValueError for a port out of range
        # The lookup cannot be interrupted (the resolver's own timeouts bound it); the time it
        # took counts against the deadline.
        addresses = _resolve_webhook_host(host, port)
        deadline.timeout()
        pinned = _PinnedHTTPSConnection if https else _PinnedHTTPConnection
        connection = pinned(host, port, addresses=addresses, deadline=deadline)
        # http.client never follows redirects: a 3xx is an answer, not a new destination.
        connection.request("POST", path, body=body, headers=headers)
        response = connection.getresponse()
        status = response.status
        excerpt = _excerpt(response.read(EXCERPT_LIMIT))
    except BlockedAddress as error:
        logger.warning("delivery %s refused: %s", delivery.delivery_id, error)
        return Outcome(ok=False, error=str(error))
    except (OSError, http.client.HTTPException, ValueError) as error:  # DNS, refused, timeout, TLS
        if isinstance(error, TimeoutError) and deadline.expired():
            # A socket timeout cut short to the deadline is the deadline.
            return Outcome(ok=False, error=MSG_DEADLINE.format(seconds=deadline.seconds))
        return Outcome(ok=False, error=_error_text(error, target))
    finally:
        # The response holds the socket open after the connection lets go of it.
        if response is not None:
            response.close()
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


def _send_confirmation(delivery: EventDelivery, target: EventTarget) -> Outcome:
    """The email asking the recipient to confirm (its link is signed now, so it is valid for
    CONFIRMATION_MAX_AGE from this send)."""
    from events.services.confirmation import confirmation_email

    if target.confirmation_status != ConfirmationStatus.PENDING:
        # Confirmed while this waited: there is nothing to ask any more.
        return Outcome(ok=True, response_excerpt=_("Not sent: the address is already confirmed."))
    subject, text = confirmation_email(target)
    message = EmailMessage(
        subject,
        text,
        settings.DEFAULT_FROM_EMAIL,
        [target.email],
        headers={"Auto-Submitted": "auto-generated"},
    )
    try:
        message.send()
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
