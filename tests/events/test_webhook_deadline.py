"""A webhook attempt has an overall deadline and reads a bounded answer: a receiver that
dribbles its answer a byte at a time (each byte well within the per-operation socket timeout)
cannot hold the delivery in "sending" until the sweep hands it to a second worker.

The deadline is shortened to half a second here; the receivers are raw sockets on loopback.
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Callable, Iterator

import pytest

from accounts.principals import SYSTEM
from core import netguard
from events import services
from events.models import DeliveryAttempt, DeliveryStatus, EventDelivery
from events.services import delivery as delivery_module
from events.services import sending as sending_module
from events.services import webhook as webhook_module
from tests.events.conftest import add_webhook, make_rule

PATTERN = {"source": ["aws.support"]}
DEADLINE = 0.5

Reply = Callable[[socket.socket, threading.Event], None]


class RawReceiver:
    """Accepts one connection at a time, reads the request, then lets `reply` answer."""

    def __init__(self, reply: Reply) -> None:
        self.reply = reply
        self.stop = threading.Event()
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.listener.settimeout(0.1)
        self.url = f"http://127.0.0.1:{self.listener.getsockname()[1]}/hooks/T000/B000/secret"
        self.thread = threading.Thread(target=self.serve, daemon=True)
        self.thread.start()

    def serve(self) -> None:
        while not self.stop.is_set():
            try:
                connection, _address = self.listener.accept()
            except TimeoutError:
                continue
            with connection:
                connection.settimeout(2)
                request = b""
                try:
                    while b"\r\n\r\n" not in request:
                        request += connection.recv(65536)
                    self.reply(connection, self.stop)
                except OSError:  # the client gave up and closed the connection
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.listener.close()


def dribble(head: bytes) -> Reply:
    """Send `head`, then one byte every 50 ms until the client hangs up."""

    def reply(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(head)
        while not stop.wait(0.05):
            connection.sendall(b"x")

    return reply


def flood(head: bytes, chunk: bytes) -> Reply:
    def reply(connection: socket.socket, stop: threading.Event) -> None:
        connection.sendall(head)
        while not stop.is_set():
            connection.sendall(chunk)

    return reply


@pytest.fixture
def receiver(request: pytest.FixtureRequest) -> Iterator[RawReceiver]:
    server = RawReceiver(request.param)
    yield server
    server.close()


@pytest.fixture(autouse=True)
def short_deadline(monkeypatch: pytest.MonkeyPatch, allow_private_webhooks: None) -> None:
    monkeypatch.setattr(webhook_module, "WEBHOOK_DEADLINE_SECONDS", DEADLINE)


def attempt_once(account) -> tuple[bool, float]:  # type: ignore[no-untyped-def]
    """Publish one event and attempt its delivery: (delivered, seconds it took)."""
    services.event_publish(
        account=account, source="aws.support", detail_type="Support Case Update", detail={}
    )
    delivery = EventDelivery.objects.get()
    started = time.monotonic()
    delivered = delivery_module.delivery_attempt(
        delivery_id=str(delivery.delivery_id), actor=SYSTEM
    )
    return delivered, time.monotonic() - started


@pytest.mark.parametrize(
    "receiver",
    [
        pytest.param(dribble(b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n"), id="body"),
        pytest.param(dribble(b"HTTP/1.1 200 OK\r\nX-Slow: "), id="headers"),
        pytest.param(dribble(b"HTTP/1.1 2"), id="status-line"),
    ],
    indirect=True,
)
def test_a_dribbling_receiver_is_cut_off_at_the_deadline(receiver, business_account, root) -> None:
    add_webhook(make_rule(business_account, root, pattern=PATTERN), receiver.url, root)
    delivered, elapsed = attempt_once(business_account)
    assert not delivered
    # Every byte came well within the 10 s socket timeout; the deadline ended it.
    assert DEADLINE <= elapsed < DEADLINE + 1.5
    record = DeliveryAttempt.objects.get()
    assert not record.succeeded and record.http_status is None
    assert record.error == netguard.MSG_DEADLINE.format(seconds=DEADLINE)
    delivery = EventDelivery.objects.get()
    assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 1
    assert delivery.last_error == record.error


@pytest.mark.parametrize(
    "receiver",
    [pytest.param(flood(b"HTTP/1.1 200 OK\r\n", b"X-Pad: " + b"p" * 8000 + b"\r\n"), id="headers")],
    indirect=True,
)
def test_an_endless_answer_is_cut_off_after_max_response_bytes(
    receiver, business_account, root
) -> None:
    add_webhook(make_rule(business_account, root, pattern=PATTERN), receiver.url, root)
    delivered, _elapsed = attempt_once(business_account)
    assert not delivered
    record = DeliveryAttempt.objects.get()
    assert record.error == "ResponseTooLarge: " + netguard.MSG_TOO_LARGE.format(
        limit=webhook_module.MAX_RESPONSE_BYTES
    )


@pytest.mark.parametrize(
    "receiver",
    [
        pytest.param(
            flood(b"HTTP/1.1 200 OK\r\nContent-Length: 100000000\r\n\r\n", b"y" * 65536),
            id="large-body",
        )
    ],
    indirect=True,
)
def test_only_the_excerpt_of_a_long_body_is_read(receiver, business_account, root) -> None:
    add_webhook(make_rule(business_account, root, pattern=PATTERN), receiver.url, root)
    delivered, elapsed = attempt_once(business_account)
    assert delivered and elapsed < DEADLINE
    record = DeliveryAttempt.objects.get()
    assert record.succeeded and record.http_status == 200
    assert record.response_excerpt == "y" * sending_module.EXCERPT_LIMIT
