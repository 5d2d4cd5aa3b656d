"""SMTP with a hand-over: a callback runs at the end of the message's data.

An SMTP server delivers a message once it reads the "." that ends DATA, whatever happens to the
client afterwards. The outbox stamps its row at that moment (`core.outbox.Outbox.hand_over`),
so a worker killed after it, or one that cannot record the outcome because the database went
away, leaves a row known to be delivered rather than one that would be sent again. The callback
runs just before the "." is written and starts the stamp; what it returns runs just after, and
finishes it. If the callback raises (the claim is no longer ours, the database is unreachable),
the connection is dropped before the ".", and the server discards the unfinished message.

Everything else is Django's SMTP backend; `outbox_connection` uses this one in its place.
"""

from __future__ import annotations

import smtplib
import socket
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.mail import get_connection
from django.core.mail.backends.base import BaseEmailBackend
from django.core.mail.backends.smtp import EmailBackend as DjangoSmtpBackend

CRLF = b"\r\n"
SMTP_BACKENDS = {
    "django.core.mail.backends.smtp.EmailBackend",
    "notifications.smtp.EmailBackend",
}


# Called just before the final "."; returns what to call just after it.
HandOver = Callable[[], Callable[[], None]]


class HandOverRefused(Exception):
    """The outbox no longer lets this worker send the message (its claim was released)."""


class _SMTP(smtplib.SMTP):
    """smtplib.SMTP whose DATA calls `hand_over` (if set) before the final "."."""

    hand_over: HandOver | None = None

    def connect(self, *args: Any, **kwargs: Any) -> tuple[int, bytes]:
        reply = super().connect(*args, **kwargs)
        # The message and its final "." are two writes (the hand-over runs in between): with
        # Nagle's algorithm the "." waited for the server's delayed ACK of the message, some
        # 40 ms per message on Linux, which capped a connection at about twenty messages a
        # second.
        if self.sock is not None:
            self.sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return reply

    def data(self, msg: Any) -> tuple[int, bytes]:
        self.putcmd("data")
        code, reply = self.getreply()
        if code != 354:
            raise smtplib.SMTPDataError(code, reply)
        if isinstance(msg, str):
            msg = smtplib._fix_eols(msg).encode("ascii")  # type: ignore[attr-defined]
        data = smtplib._quote_periods(msg)  # type: ignore[attr-defined]
        if data[-2:] != CRLF:
            data += CRLF
        self.send(data)
        finish = None
        if self.hand_over is not None:
            try:
                finish = self.hand_over()
            except BaseException:
                # Never send the "." now: close without it, and the server drops the message.
                self.close()
                raise
        self.send(b"." + CRLF)
        if finish is not None:
            finish()
        return self.getreply()


class _SMTPSSL(_SMTP, smtplib.SMTP_SSL):
    pass


class EmailBackend(DjangoSmtpBackend):
    """Django's SMTP backend, calling `hand_over` (if set) before the end of each message. The
    outbox sends many messages over one connection and sets it before each."""

    def __init__(self, *args: Any, hand_over: HandOver | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self._hand_over = hand_over

    @property
    def hand_over(self) -> HandOver | None:
        return self._hand_over

    @hand_over.setter
    def hand_over(self, hand_over: HandOver | None) -> None:
        self._hand_over = hand_over
        if isinstance(self.connection, _SMTP):
            self.connection.hand_over = hand_over

    @property
    def connection_class(self) -> type[smtplib.SMTP]:
        return _SMTPSSL if self.use_ssl else _SMTP

    def open(self) -> bool | None:
        opened = super().open()
        if isinstance(self.connection, _SMTP):
            self.connection.hand_over = self._hand_over
        return opened


def outbox_connection() -> BaseEmailBackend:
    """The configured email backend for the outbox: the SMTP backend with hand-overs when
    email goes out over SMTP (`EmailBackend.hand_over`, set per message); any other backend
    (console, tests' locmem) as configured, without them."""
    if settings.EMAIL_BACKEND in SMTP_BACKENDS:
        return EmailBackend()
    return get_connection()
