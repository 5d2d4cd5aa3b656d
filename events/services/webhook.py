"""Webhook targets: a signed POST of the event JSON, sent so that a customer's URL can never
reach our own network and one slow receiver cannot hold a worker.

- Signature: `X-SupportCenter-Signature: sha256=<hex HMAC-SHA256 of the body with the target's
  secret>` (`webhook_signature`), with X-SupportCenter-Timestamp and X-SupportCenter-Delivery.
  Any 2xx is delivered; redirects are not followed.
- SSRF: the response's first 1,000 characters are shown to the customer in the delivery log, so
  unless EVENTS_ALLOW_PRIVATE_WEBHOOKS is on, target creation refuses private hosts by name
  (`is_private_host`), and every attempt resolves the host once, refuses it if any address is
  not public (`is_public_address`), and connects to the vetted address itself, so DNS that
  changes between the check and the connection (rebinding) cannot redirect it. TLS still
  verifies the certificate for the URL's host name.
- Deadline: an attempt has an overall deadline (`WEBHOOK_DEADLINE_SECONDS`) for connecting,
  sending and reading the answer, and reads at most `MAX_RESPONSE_BYTES`, so a receiver that
  dribbles its answer cannot hold a row in "sending" until `delivery.STUCK_AFTER` releases it to
  a second worker.
"""

from __future__ import annotations

import hashlib
import hmac
import http.client
import io
import ipaddress
import logging
import socket
import ssl
import time as clock
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings

from core import crypto
from events.models import EventDelivery, EventTarget
from events.services.sending import EXCERPT_LIMIT, Outcome, error_text, event_body

logger = logging.getLogger(__name__)

# Each socket operation of a webhook attempt may take this long, within the overall deadline.
WEBHOOK_TIMEOUT_SECONDS = 10
# The whole webhook attempt (connect, TLS, send, read the answer). Read at call time, so tests
# can shorten it.
WEBHOOK_DEADLINE_SECONDS: float = 15
# At most this much of an answer is read (status line, headers and body); the body only up to
# EXCERPT_LIMIT anyway.
MAX_RESPONSE_BYTES = 64 * 1024
USER_AGENT = "SupportCenter-Events/1.0"
SIGNATURE_HEADER = "X-SupportCenter-Signature"
TIMESTAMP_HEADER = "X-SupportCenter-Timestamp"
DELIVERY_HEADER = "X-SupportCenter-Delivery"
MSG_BLOCKED_ADDRESS = (
    "Not sent: {host} resolves to {address}, which is not a public internet address "
    "(private, loopback, link-local and reserved addresses are refused)."
)
MSG_NO_ADDRESS = "Not sent: {host} did not resolve to any address."
MSG_DEADLINE = "No complete answer within {seconds:g} seconds."
MSG_TOO_LARGE = "The answer was longer than {limit} bytes."

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# One socket.getaddrinfo() answer: family, type, proto, canonical name, socket address.
AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]


def webhook_signature(secret: str, body: bytes) -> str:
    """The X-SupportCenter-Signature value for `body`; receivers compute the same and compare
    with hmac.compare_digest."""
    return "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()


# --- where a webhook may connect -----------------------------------------------------------------


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


# --- connecting and reading within the deadline --------------------------------------------------


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


# --- sending -------------------------------------------------------------------------------------


def _excerpt(raw: bytes) -> str:
    return raw[:EXCERPT_LIMIT].decode("utf-8", errors="replace")


def send_webhook(delivery: EventDelivery, target: EventTarget) -> Outcome:
    """POST the event to the target's URL (signed, within the deadline, to a vetted address);
    any 2xx is delivered. Never raises for a network error: it becomes a failed `Outcome`."""
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
        return Outcome(ok=False, error=error_text(error, target))
    finally:
        # The response holds the socket open after the connection lets go of it.
        if response is not None:
            response.close()
        if connection is not None:
            connection.close()
    if 200 <= status < 300:
        return Outcome(ok=True, http_status=status, response_excerpt=excerpt)
    return Outcome(ok=False, http_status=status, response_excerpt=excerpt, error=f"HTTP {status}")
