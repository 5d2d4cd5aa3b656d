"""SMTP with a hand-over: messages are sent up to their final ".", stamped, then ended.

An SMTP server delivers a message once it reads the "." that ends DATA, whatever happens to the
client afterwards. The outbox stamps its row at that moment (`core.outbox.Outbox.hand_over`),
so a worker killed after it, or one that cannot record the outcome because the database went
away, leaves a row known to be delivered rather than one that would be sent again. A message
is therefore sent in three steps: `start` (MAIL, RCPT, DATA and the message, as smtplib's
`sendmail` would, but without the final "."), then the stamp, then `end` (the "."s, back to
back) and `reply` (the server's answer). A message whose stamp is refused (the claim is no
longer ours, the database is unreachable) is never ended: its connection is dropped before the
".", and the server discards it.

A drain sends a few messages at once, each over a connection of its own, and stamps them with
one write: on SQLite every write waits for the one writer's lock, which the API holds for each
case it creates, so a stamp per message let a busy API outpace the drain. What lies between a
stamp and its messages' ends is still only socket writes, one per message, in one loop.

Everything else is Django's SMTP backend (`EmailBackend`: TLS, login, timeouts).
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Sequence
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as DjangoSmtpBackend
from django.core.mail.message import EmailMessage, sanitize_address

CRLF = b"\r\n"
SMTP_BACKENDS = {
    "django.core.mail.backends.smtp.EmailBackend",
    "notifications.smtp.EmailBackend",
}


class HandOverRefused(Exception):
    """The outbox no longer lets this worker send the message (its claim was released)."""


class _SMTP(smtplib.SMTP):
    def connect(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        reply = super().connect(*args, **kwargs)
        # The message and its final "." are separate writes (the stamp comes in between): with
        # Nagle's algorithm the "." waited for the server's delayed ACK of the message, some
        # 40 ms per message on Linux, which capped a connection at about twenty a second.
        if self.sock is not None:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reply


class _SMTPSSL(_SMTP, smtplib.SMTP_SSL):
    pass


class EmailBackend(DjangoSmtpBackend):
    """Django's SMTP backend on connections that send the end of a message at once."""

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _SMTPSSL if self.use_ssl else _SMTP


def uses_smtp() -> bool:
    return settings.EMAIL_BACKEND in SMTP_BACKENDS


def outbox_connection() -> BaseEmailBackend:
    """A connection of the configured email backend for the outbox: `EmailBackend` when email
    goes out over SMTP (send with `start`, `end` and `reply`), any other backend (console,
    tests' locmem) as configured (send with `send_messages`; there is no hand-over)."""
    if uses_smtp():
        return EmailBackend()
    return get_connection()


def _reset(connection: smtplib.SMTP, code: int) -> None:
    # As smtplib's sendmail: 421 means the server is closing the connection.
    if code == 421:
        connection.close()
        return
    try:
        connection.rset()
    except smtplib.SMTPServerDisconnected:
        pass


def start(connection: smtplib.SMTP, message: EmailMessage) -> None:
    """Send `message` over `connection` up to, not including, the "." that ends its data
    (smtplib's `sendmail`, stopped short). Raises what `sendmail` raises; recipients the
    server refuses are left out as `sendmail` leaves them (unless it refuses them all)."""
    encoding = message.encoding or settings.DEFAULT_CHARSET
    from_address = sanitize_address(message.from_email, encoding)
    recipients = [sanitize_address(address, encoding) for address in message.recipients()]
    data = message.message().as_bytes(linesep="\r\n")
    connection.ehlo_or_helo_if_needed()
    options = [f"size={len(data)}"] if connection.does_esmtp and connection.has_extn("size") else []
    code, answer = connection.mail(from_address, options)
    if code != 250:
        _reset(connection, code)
        raise smtplib.SMTPSenderRefused(code, answer, from_address)
    refused = {}
    for recipient in recipients:
        code, answer = connection.rcpt(recipient)
        if code not in (250, 251):
            refused[recipient] = (code, answer)
        if code == 421:
            connection.close()
            raise smtplib.SMTPRecipientsRefused(refused)
    if len(refused) == len(recipients):
        _reset(connection, 0)
        raise smtplib.SMTPRecipientsRefused(refused)
    connection.putcmd("data")
    code, answer = connection.getreply()
    if code != 354:
        _reset(connection, code)
        raise smtplib.SMTPDataError(code, answer)
    data = smtplib._quote_periods(data)  # type: ignore[attr-defined]
    if data[-2:] != CRLF:
        data += CRLF
    connection.send(data)


def end(connections: Sequence[smtplib.SMTP]) -> list[Exception | None]:
    """Write the "." that ends each started message, one connection after the other with
    nothing in between. Returns, per connection, the error that kept its "." from going out."""
    errors: list[Exception | None] = []
    for connection in connections:
        try:
            connection.send(b"." + CRLF)
            errors.append(None)
        except Exception as exc:  # the connection broke: the server keeps nothing of it
            errors.append(exc)
    return errors


def reply(connection: smtplib.SMTP) -> None:
    """Read the server's answer to an ended message; raises SMTPDataError unless it took it."""
    code, answer = connection.getreply()
    if code != 250:
        _reset(connection, code)
        raise smtplib.SMTPDataError(code, answer)
