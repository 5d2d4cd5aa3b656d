"""Fixtures for the events tests: a real HTTP server on loopback for webhooks, a moto server
standing in for the customer's AWS environment, and a rule helper."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import boto3
import pytest

from accounts.models import Account
from accounts.principals import Principal
from events import services
from events.forms import STARTERS
from events.models import EventRule, EventTarget
from tests import factories


class WebhookReceiver:
    """Records every POST; answers with the queued statuses, then 200."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.statuses: list[int] = []
        self.url = ""


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:  # noqa: N802 (http.server's hook name)
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            receiver.requests.append(
                {
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
            )
            status = receiver.statuses.pop(0) if receiver.statuses else 200
            payload = b"thanks" if status < 300 else b"upstream exploded"
            self.send_response(status)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    receiver.url = f"http://127.0.0.1:{server.server_port}/hooks/support"
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def moto_aws(monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[Any, str]]:
    """A moto server as the account's connected AWS environment (advisor.connection is
    replaced, so no AwsConnection is needed)."""
    moto_server = pytest.importorskip("moto.server")
    server = moto_server.ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    endpoint = f"http://{host}:{port}"
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    monkeypatch.setattr("advisor.connection.aws_session", lambda account: (session, endpoint))
    yield session, endpoint
    server.stop()


def make_rule(
    account: Account,
    actor: Principal | None = None,
    *,
    name: str = "support-updates",
    pattern: dict[str, Any] | str | None = None,
) -> EventRule:
    return services.rule_create(
        account=account,
        actor=actor or factories.principal(factories.root_of(account)),
        name=name,
        event_pattern=pattern if pattern is not None else STARTERS["support"],
    )


def add_webhook(
    rule: EventRule, url: str, actor: Principal | None = None
) -> tuple[EventTarget, str]:
    return services.target_create(
        rule=rule,
        actor=actor or factories.principal(factories.root_of(rule.account)),
        kind="webhook",
        url=url,
    )


@pytest.fixture
def root_client(client, business_account):  # type: ignore[no-untyped-def]
    client.force_login(factories.root_of(business_account))
    return client
