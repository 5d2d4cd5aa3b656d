"""Outbound connections to addresses a tenant chose (webhook targets, a trail's S3 endpoint), so
that a tenant's URL can never reach Support Center's own network and one slow receiver cannot
hold a worker. Webhooks (`events.services.webhook`) and trails (`cloudtrail.destinations`)
both go through here; neither has a second implementation.

- Vetting a URL when it is saved (`url_problem`): http or https, no credentials in it, no
  control characters, a host name DNS can be asked about, https unless plain http is allowed
  (`plain_http_allowed`), and unless private addresses are allowed, no host that names our own
  network without DNS (`is_private_host`). Then the host is resolved as a connection would
  resolve it (`lookup_url_host`, no connection made; webhooks and trails' endpoints alike): a
  name whose addresses every connection would refuse is refused at once; one that does not
  resolve now is not (a connection meets that as a failure it retries, and names are often
  published later).
- Vetting at every connection (`resolve_public`): the host is resolved once, refused if *any*
  of its addresses is not public (`is_public_address`), and the connection is made to a vetted
  address itself (`PinnedHTTPConnection`, `PinnedHTTPSConnection`), so DNS that changes between
  the check and the connection (rebinding) cannot redirect it. TLS still verifies the
  certificate for the URL's host name.
- Deadline: everything (connecting, TLS, sending, reading the answer) happens within an overall
  `Deadline`, and at most `Deadline.max_response_bytes` of an answer is read.
- `send_botocore_request` sends a request botocore prepared (signed) this way: registered on a
  client's `before-send` event, it makes every call of that client (retries and redirects
  included) go to vetted addresses only.

The switches are the operator's: SUPPORTCENTER_EVENTS_ALLOW_PRIVATE_WEBHOOKS (private
addresses, development only) and SUPPORTCENTER_EVENTS_ALLOW_HTTP_WEBHOOKS (plain http), read at
call time; they govern webhooks and trail endpoints alike.
"""

from __future__ import annotations

import enum
import http.client
import io
import ipaddress
import re
import socket
import ssl
import time as clock
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from botocore.awsrequest import AWSPreparedRequest, AWSResponse
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.utils.translation import gettext_noop

from core.errors import Phrase

# Shown in delivery logs, in their reader's language: each exception below carries its message
# as a `Phrase` too.
MSG_BLOCKED_ADDRESS = gettext_noop(
    "Not sent: {host} resolves to {address}, which is not a public internet address "
    "(private, loopback, link-local and reserved addresses are refused)."
)
MSG_NO_ADDRESS = gettext_noop("Not sent: {host} did not resolve to any address.")
MSG_DEADLINE = gettext_noop("No complete answer within {seconds:g} seconds.")
MSG_TOO_LARGE = gettext_noop("The answer was longer than {limit} bytes.")

# Hosts that may use plain http where private addresses are allowed at all (development).
LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1"})
CONTROL_CHARACTERS = re.compile(r"[\x00-\x20\x7f]")
MAX_URL_LENGTH = 2000

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# One socket.getaddrinfo() answer: family, type, proto, canonical name, socket address.
AddrInfo = tuple[socket.AddressFamily, socket.SocketKind, int, str, tuple[Any, ...]]


# --- the operator's switches ---------------------------------------------------------------------


def private_addresses_allowed() -> bool:
    """Whether tenants' URLs may reach localhost and non-public addresses (development only)."""
    return bool(settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS)


def plain_http_allowed(host: str) -> bool:
    """Whether a tenant's URL may use plain http: when DEBUG is on, when the operator allows it
    (EVENTS_ALLOW_HTTP_WEBHOOKS), or for this machine where private addresses are allowed."""
    local = private_addresses_allowed() and host.lower() in LOCAL_HOSTS
    return bool(settings.DEBUG or settings.EVENTS_ALLOW_HTTP_WEBHOOKS or local)


# --- where a tenant's URL may point --------------------------------------------------------------


def is_public_address(address: IPAddress) -> bool:
    """Whether a tenant's URL may connect to `address`: not private, loopback, link-local,
    reserved, multicast, unspecified or otherwise not globally routable (e.g. 100.64.0.0/10,
    where some clouds keep their metadata service). An IPv4-mapped address (::ffff:a.b.c.d) is
    judged by the IPv4 address it reaches, and a 6to4 one (2002::/16) must embed a public one
    too; NAT64 (64:ff9b::/96) and IPv4-compatible addresses fall in ::/8, which is reserved."""
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
    not public. Other names are checked when they are resolved, at every connection."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(".localhost"):
        return True
    try:
        address = ipaddress.ip_address(name)
    except ValueError:
        return False
    return not is_public_address(address)


class UrlProblem(enum.Enum):
    """Why a tenant's URL is refused when it is saved; each caller words it for its own form."""

    INVALID = "invalid"  # not an http(s) URL, too long, or with control characters
    CREDENTIALS = "credentials"  # a user name or password in the URL
    PRIVATE = "private"  # localhost or a non-public IP address
    PLAIN_HTTP = "plain_http"  # http where https is required


def url_problem(url: str) -> UrlProblem | None:
    """What is wrong with `url`'s text as a destination a tenant chose, or None. Its host name
    is resolved (and its addresses vetted) apart: when the URL is saved (`lookup_url_host`) and
    at every connection (`resolve_public`)."""
    try:
        URLValidator(schemes=["http", "https"])(url)
    except ValidationError:
        return UrlProblem.INVALID
    # Control characters pass URLValidator but no receiver wants them, and http.client would
    # refuse the request with an error quoting the path.
    if len(url) > MAX_URL_LENGTH or CONTROL_CHARACTERS.search(url):
        return UrlProblem.INVALID
    parts = urlsplit(url)
    try:
        parts.port  # noqa: B018 - read for its check: ValueError for a port out of range
    except ValueError:
        return UrlProblem.INVALID
    if parts.username or parts.password:
        return UrlProblem.CREDENTIALS
    host = parts.hostname or ""
    try:
        # What socket.getaddrinfo does with a name first: a label too long once in punycode
        # (URLValidator counts characters) fails every lookup, so every connection, for ever.
        host.encode("idna")
    except UnicodeError:
        return UrlProblem.INVALID
    if not private_addresses_allowed() and is_private_host(host):
        return UrlProblem.PRIVATE
    if parts.scheme == "http" and not plain_http_allowed(host):
        return UrlProblem.PLAIN_HTTP
    return None


class BlockedAddress(Exception):
    """A host resolved to an address tenants' URLs may not reach (`address`), or to none at
    all (`address` None)."""

    def __init__(self, phrase: Phrase, *, host: str, address: IPAddress | None = None) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase
        self.host = host
        self.address = address


def resolve_public(host: str, port: int) -> list[AddrInfo]:
    """Resolve `host` once and return the addresses to connect to. Unless private addresses
    are allowed, raises `BlockedAddress` if *any* of them is not public: connecting falls back
    from one address to the next, so one public answer among private ones must not vouch for
    the rest. Raises `OSError` (socket.gaierror) when the name does not resolve."""
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, proto=socket.IPPROTO_TCP)
    if not infos:
        raise BlockedAddress(Phrase(MSG_NO_ADDRESS, {"host": host}), host=host)
    if not private_addresses_allowed():
        for info in infos:
            address = ipaddress.ip_address(info[4][0])
            if not is_public_address(address):
                raise BlockedAddress(
                    Phrase(MSG_BLOCKED_ADDRESS, {"host": host, "address": str(address)}),
                    host=host,
                    address=address,
                )
    return infos


@dataclass(frozen=True)
class HostLookup:
    """What resolving a URL's host says about connecting to it now (`lookup_url_host`)."""

    host: str
    # The address every connection would be refused for (not public), if any.
    refused: IPAddress | None = None
    # False when the name did not resolve: a connection now fails, and is tried again later.
    resolved: bool = True


def lookup_url_host(url: str) -> HostLookup:
    """Resolve the host of `url` (a URL `url_problem` accepted) exactly as every connection to
    it does (`resolve_public`), without connecting: for vetting a URL when it is saved.

    A name that resolves to an address that is not public (unless private addresses are
    allowed) is `refused`: every connection to it would be, until its DNS changes. A name that
    does not resolve now (no such name, no answer, no address) is not refused, only not
    `resolved`: a connection meets that as a failure and tries again later, as it may be
    published after the URL is saved. The lookup takes what the resolver's own timeouts allow;
    call it outside any transaction."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        resolve_public(host, port)
    except BlockedAddress as blocked:
        if blocked.address is None:
            return HostLookup(host=host, resolved=False)
        return HostLookup(host=host, refused=blocked.address)
    except OSError:  # socket.gaierror and the like: DNS did not answer with an address
        return HostLookup(host=host, resolved=False)
    return HostLookup(host=host)


# --- connecting and reading within the deadline --------------------------------------------------


class DeadlineExceeded(TimeoutError):
    """An outbound attempt ran past its overall deadline."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


class ResponseTooLarge(OSError):
    """An answer went on past the deadline's `max_response_bytes`."""

    def __init__(self, phrase: Phrase) -> None:
        super().__init__(str(phrase))
        self.phrase = phrase


class Deadline:
    """The end of one outbound attempt, on the monotonic clock; each socket operation gets the
    time left, at most `step` seconds, and at most `max_response_bytes` of the answer is read."""

    def __init__(self, seconds: float, *, step: float, max_response_bytes: int) -> None:
        self.seconds = seconds
        self.step = step
        self.max_response_bytes = max_response_bytes
        self.ends = clock.monotonic() + seconds

    def expired(self) -> bool:
        return clock.monotonic() >= self.ends

    def timeout(self) -> float:
        """The timeout for the next socket operation. Raises `DeadlineExceeded` when no time
        is left."""
        left = self.ends - clock.monotonic()
        if left <= 0:
            raise DeadlineExceeded(Phrase(MSG_DEADLINE, {"seconds": self.seconds}))
        return min(self.step, left)


class DeadlineSocket:
    """A connected (possibly TLS) socket for http.client whose every send and receive gets only
    the time left before the deadline (a socket timeout alone bounds each operation, so a
    receiver sending one byte every few seconds could hold the attempt for ever), and which
    stops reading after the deadline's `max_response_bytes`."""

    def __init__(self, sock: socket.socket, deadline: Deadline) -> None:
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
        limit = self._deadline.max_response_bytes
        wanted = min(len(buffer), limit - self._received + 1)
        count = self._sock.recv_into(buffer, wanted)
        self._received += count
        if self._received > limit:
            raise ResponseTooLarge(Phrase(MSG_TOO_LARGE, {"limit": limit}))
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
    def __init__(self, sock: DeadlineSocket) -> None:
        self._sock = sock

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        return self._sock.recv_into(memoryview(buffer).cast("B"))

    def close(self) -> None:
        if not self.closed:
            self._sock.reader_closed()
        super().close()


def _open_socket(addresses: list[AddrInfo], deadline: Deadline) -> socket.socket:
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


class PinnedHTTPConnection(http.client.HTTPConnection):
    """Plain http to `host` over a socket to one of its vetted addresses; the Host header
    still names `host`. Everything happens within `deadline`."""

    def __init__(
        self, host: str, port: int, *, addresses: list[AddrInfo], deadline: Deadline
    ) -> None:
        super().__init__(host, port, timeout=deadline.step)
        self.addresses = addresses
        self.deadline = deadline

    def connect(self) -> None:
        self.sock = DeadlineSocket(_open_socket(self.addresses, self.deadline), self.deadline)


class PinnedHTTPSConnection(http.client.HTTPSConnection):
    """https to `host` over a socket to one of its vetted addresses. The TLS handshake sends
    `host` as SNI and verifies the certificate (chain and name) against `host`, not the IP.
    Everything happens within `deadline` (the handshake as a whole gets the time left)."""

    def __init__(
        self, host: str, port: int, *, addresses: list[AddrInfo], deadline: Deadline
    ) -> None:
        self.tls = ssl.create_default_context()
        super().__init__(host, port, timeout=deadline.step, context=self.tls)
        self.addresses = addresses
        self.deadline = deadline

    def connect(self) -> None:
        sock = _open_socket(self.addresses, self.deadline)
        try:
            sock.settimeout(self.deadline.timeout())
            self.sock = DeadlineSocket(
                self.tls.wrap_socket(sock, server_hostname=self.host), self.deadline
            )
        except BaseException:
            sock.close()
            raise


def pinned_connection(url: str, deadline: Deadline) -> tuple[http.client.HTTPConnection, str]:
    """A connection for `url` to a vetted address of its host, and the request target (path
    and query). Resolves the host now: raises `BlockedAddress`, `OSError` when it does not
    resolve, `ValueError` for a port out of range, `DeadlineExceeded` when the lookup used up
    the deadline. Nothing is connected until the first request."""
    parts = urlsplit(url)
    https = parts.scheme == "https"
    if parts.scheme not in ("http", "https"):
        raise ValueError(f"unsupported scheme: {parts.scheme!r}")
    host = parts.hostname or ""
    port = parts.port or (443 if https else 80)  # ValueError for a port out of range
    # The lookup cannot be interrupted (the resolver's own timeouts bound it); the time it took
    # counts against the deadline.
    addresses = resolve_public(host, port)
    deadline.timeout()
    pinned = PinnedHTTPSConnection if https else PinnedHTTPConnection
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    return pinned(host, port, addresses=addresses, deadline=deadline), target


# --- requests that botocore prepared -------------------------------------------------------------


class _ReadAnswer(io.BytesIO):
    """An answer read in full, offered to botocore the way urllib3's response is (`read`,
    `stream`): for error parsing and for streaming bodies (GetObject) alike."""

    def stream(self, amt: int = 64 * 1024, decode_content: bool | None = None) -> Iterator[bytes]:
        while chunk := self.read(amt):
            yield chunk


def _request_body(request: AWSPreparedRequest) -> bytes:
    body = request.body
    if body is None:
        return b""
    if isinstance(body, bytes | bytearray):
        return bytes(body)
    if isinstance(body, str):
        return body.encode("utf-8")
    return bytes(body.read())  # a file-like body (botocore wraps some payloads)


def send_botocore_request(request: AWSPreparedRequest, *, deadline: Deadline) -> AWSResponse:
    """Send a request botocore prepared and signed to a vetted address of its host, within
    `deadline`, and hand botocore the answer as its own transport would. Redirects are answers
    (botocore decides what to do with them, and any new request comes through here again).
    Raises `BlockedAddress`, `OSError` (DNS, refused, timeouts, `ResponseTooLarge`),
    `http.client.HTTPException` and `ValueError` like `pinned_connection`."""
    connection, target = pinned_connection(request.url, deadline)
    body = _request_body(request)
    # http.client cannot wait for "100 Continue"; the header is never signed.
    headers = {k: v for k, v in request.headers.items() if k.lower() != "expect"}
    chunked = any(
        k.lower() == "transfer-encoding" and "chunked" in str(v).lower() for k, v in headers.items()
    )
    try:
        if chunked:
            connection.request(
                request.method, target, body=iter([body]), headers=headers, encode_chunked=True
            )
        else:
            connection.request(request.method, target, body=body, headers=headers)
        response = connection.getresponse()
        try:
            content = response.read()
        finally:
            response.close()
    finally:
        connection.close()
    return AWSResponse(request.url, response.status, response.getheaders(), _ReadAnswer(content))
