"""Fixtures for the trails tests: a real HTTP listener on loopback standing in for an internal
service (or an S3-compatible endpoint) that records every request it gets, and a signed-in
root user's test client."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from tests import factories

# What the listener answers: a body no page may ever show.
SECRET_BODY = "internal-service-secret-4f1c9a"


class Listener:
    """Records every request; answers each with `status` and an S3-style XML error (or an
    empty 200) whose code and message carry SECRET_BODY."""

    def __init__(self) -> None:
        self.requests: list[dict[str, Any]] = []
        self.status = 200
        self.error_code = f"Code-{SECRET_BODY}"
        self.port = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/"

    def answer(self) -> bytes:
        if self.status < 300:
            return b""
        return (
            '<?xml version="1.0" encoding="UTF-8"?><Error>'
            f"<Code>{self.error_code}</Code><Message>{SECRET_BODY}</Message>"
            f"<RequestId>{SECRET_BODY}</RequestId></Error>"
        ).encode()


@pytest.fixture
def listener() -> Iterator[Listener]:
    state = Listener()

    class Handler(BaseHTTPRequestHandler):
        def _record(self) -> None:
            length = int(self.headers.get("Content-Length", "0") or 0)
            body = self.rfile.read(length) if length else b""
            state.requests.append(
                {
                    "method": self.command,
                    "path": self.path,
                    "headers": {k.lower(): v for k, v in self.headers.items()},
                    "body": body,
                }
            )
            payload = state.answer()
            self.send_response(state.status)
            self.send_header("Content-Type", "application/xml")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        do_PUT = do_GET = do_POST = _record  # noqa: N815 (http.server's hook names)

        def log_message(self, format: str, *args: Any) -> None:  # noqa: A002
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    state.port = server.server_port
    yield state
    server.shutdown()
    server.server_close()


@pytest.fixture
def root_client(client, business_account):  # type: ignore[no-untyped-def]
    client.force_login(factories.root_of(business_account))
    return client
