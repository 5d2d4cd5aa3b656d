"""Fixtures for the events tests: real HTTP and HTTPS servers on loopback for webhooks, a moto
server standing in for the customer's AWS environment, rule and target helpers, and for the
console: `root_client` and the `HTMX` request headers. The fake resolver for host names
(`fake_dns`) is shared: tests/conftest.py.

Webhooks to loopback are refused unless EVENTS_ALLOW_PRIVATE_WEBHOOKS is on (the SSRF guard),
so tests that deliver to the `webhook` receiver also ask for `allow_private_webhooks`.
"""

from __future__ import annotations

import datetime
import ssl
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
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
        self.port = 0
        self.server_names: list[str | None] = []  # TLS SNI, for the https receiver
        self.ca_file = ""  # the CA that signed the https receiver's certificate


@pytest.fixture
def allow_private_webhooks(settings) -> None:  # type: ignore[no-untyped-def]
    """Webhooks may reach loopback (where the test receivers listen)."""
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True


def _serve(receiver: WebhookReceiver, tls: ssl.SSLContext | None = None) -> ThreadingHTTPServer:
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
    if tls is not None:
        server.socket = tls.wrap_socket(server.socket, server_side=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    receiver.port = server.server_port
    return server


@pytest.fixture
def webhook() -> Iterator[WebhookReceiver]:
    receiver = WebhookReceiver()
    server = _serve(receiver)
    receiver.url = f"http://127.0.0.1:{receiver.port}/hooks/support"
    yield receiver
    server.shutdown()
    server.server_close()


TLS_HOST = "hooks.example.com"


def _certificates(directory: Path) -> tuple[Path, Path, Path]:
    """A test CA and a certificate it signed for TLS_HOST: (ca, cert, key) PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

    now = datetime.datetime.now(datetime.UTC)

    def build(
        subject: str, key: ec.EllipticCurvePrivateKey, issuer: x509.Name | None
    ) -> x509.CertificateBuilder:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)])
        return (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(issuer or name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(days=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), False)
        )

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_usage = x509.KeyUsage(
        digital_signature=True,
        content_commitment=False,
        key_encipherment=False,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=True,
        crl_sign=True,
        encipher_only=False,
        decipher_only=False,
    )
    ca = (
        build("Support Center test CA", ca_key, None)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(ca_usage, critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    authority = x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key())
    cert = (
        build(TLS_HOST, key, ca.subject)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.SubjectAlternativeName([x509.DNSName(TLS_HOST)]), critical=False)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(authority, critical=False)
        .sign(ca_key, hashes.SHA256())
    )
    paths = (directory / "ca.pem", directory / "cert.pem", directory / "key.pem")
    paths[0].write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    paths[1].write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    paths[2].write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return paths


@pytest.fixture
def tls_webhook(tmp_path: Path) -> Iterator[WebhookReceiver]:
    """An https receiver on loopback whose certificate (from a test CA, in `ca_file`) names
    TLS_HOST only; it records the server name (SNI) of every handshake."""
    receiver = WebhookReceiver()
    ca_file, cert_file, key_file = _certificates(tmp_path)
    tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    tls.load_cert_chain(cert_file, key_file)

    def record_server_name(sock: Any, server_name: str | None, context: Any) -> None:
        receiver.server_names.append(server_name)

    tls.sni_callback = record_server_name
    server = _serve(receiver, tls)
    receiver.ca_file = str(ca_file)
    receiver.url = f"https://{TLS_HOST}:{receiver.port}/hooks/support"
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def moto_aws(moto_server_url: str, monkeypatch: pytest.MonkeyPatch) -> tuple[Any, str]:
    """The run's moto server, wiped, as the account's connected AWS environment
    (connections.sessions.aws_session is replaced, so no AwsConnection is needed)."""
    import requests

    requests.post(f"{moto_server_url}/moto-api/reset", timeout=10).raise_for_status()
    session = boto3.Session(
        aws_access_key_id="testing", aws_secret_access_key="testing", region_name="us-east-1"
    )
    monkeypatch.setattr(
        "connections.sessions.aws_session", lambda account: (session, moto_server_url)
    )
    return session, moto_server_url


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


def add_email(
    rule: EventRule, email: str = "ops@example.com", actor: Principal | None = None
) -> EventTarget:
    """An email target whose recipient has confirmed (through the confirmation services)."""
    target, _secret = services.target_create(
        rule=rule,
        actor=actor or factories.principal(factories.root_of(rule.account)),
        kind="email",
        email=email,
    )
    from events.services.confirmation import confirmation_token

    confirmed = services.target_for_confirmation(confirmation_token(target))
    assert services.target_confirm(target=confirmed, actor=ANONYMOUS)
    target.refresh_from_db()
    return target


# Whoever follows an emailed link: not signed in.
ANONYMOUS = Principal(user=None, via="console", source_ip="192.0.2.10", user_agent="mail client")


@pytest.fixture
def queued(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The delivery ids handed to the broker, in order (run them with `run_queued`)."""
    from events.tasks import event_delivery_attempt_task

    sent: list[str] = []
    monkeypatch.setattr(
        event_delivery_attempt_task,
        "apply_async",
        lambda args, **kwargs: sent.append(args[0]),
    )
    return sent


def run_queued(queued: list[str]) -> list[bool]:
    """Run the attempt task for every queued id (emptying the list), as workers would."""
    from events.tasks import event_delivery_attempt_task

    results = [event_delivery_attempt_task(delivery_id) for delivery_id in queued]
    queued.clear()
    return results


def add_webhook(
    rule: EventRule, url: str, actor: Principal | None = None
) -> tuple[EventTarget, str]:
    return services.target_create(
        rule=rule,
        actor=actor or factories.principal(factories.root_of(rule.account)),
        kind="webhook",
        url=url,
    )


HTMX = {"HTTP_HX_REQUEST": "true"}


@pytest.fixture
def root_client(client, business_account):  # type: ignore[no-untyped-def]
    client.force_login(factories.root_of(business_account))
    return client
