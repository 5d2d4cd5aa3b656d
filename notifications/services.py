"""Emails through a transactional outbox (core.outbox).

`notification_enqueue` writes a `Notification` in the same transaction as the change it reports
(so a rollback sends nothing and a broker outage loses nothing) and, after commit, queues a
drain unless one is already waiting (`notifications_drain`: the due messages claimed a batch at
a time and sent a few at once over a few SMTP connections, so a backlog goes out as fast as it
came in); the sweep (every minute) sends whatever is still due: the broker was down, a worker
died, SMTP failed. Sending claims the row first, so two workers never send the same message, and
stamps it as the SMTP server gets the end of the message (`notifications.smtp`), so a
worker killed after that point, or one that cannot record the outcome because the database went
away, never has its message sent twice. Every message carries a Message-ID derived from the row,
so a duplicate from the remaining instant is recognisable.

What a message says and whom it goes to is the writer's business (case emails are composed in
`cases.effects`); this app only keeps and sends them. A writer that queues messages by the
thousand (a job) may leave the composing to the sender: it registers a renderer
(`renderer_register`, from its app's `ready()`) and queues rows that name it with what it needs
(`notifications_enqueue`); the first attempt renders the message and keeps the text on the row,
so a retry sends the same words.
"""

from __future__ import annotations

import logging
import smtplib
import uuid
from collections.abc import Callable, Iterable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.core.mail.backends.base import BaseEmailBackend
from django.db import DatabaseError
from django.utils import timezone

from accounts.models import Account
from core.bulk import among, insert_rows
from core.outbox import Outbox, OutboxPolicy
from notifications.models import InboxItem, Notification, NotificationStatus
from notifications.smtp import EmailBackend, end, outbox_connection, reply, start, uses_smtp
from notifications.tasks import notifications_drain_task

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
# A claim this old belongs to a dead worker. A live one is either before its hand-over (where a
# released claim stops it) or waiting for the server's one answer to the end of the message
# (at most EMAIL_TIMEOUT, 30 s by default) and recording it; so a short wait is safe, and a
# killed worker's messages go out a couple of minutes later.
STUCK_AFTER = timedelta(minutes=2)

# A drain claims this many messages at once: few enough that the last of them waits well under
# STUCK_AFTER behind the others (each send is bounded by EMAIL_TIMEOUT, and a server that cannot
# be reached fails the rest at once).
DRAIN_BATCH = 20
# Messages one drain task sends at most before it queues the next drain, letting other tasks
# have the worker in between.
DRAIN_LIMIT = 500

OUTBOX = Outbox(
    Notification,
    task=notifications_drain_task,
    done=NotificationStatus.SENT,
    policy=OutboxPolicy(
        max_attempts=MAX_ATTEMPTS,
        # 1, 2, 4 ... minutes after each failed try, at most an hour.
        backoff=lambda attempts: timedelta(minutes=min(60, 2 ** (attempts - 1))),
        stuck_after=STUCK_AFTER,
        # SMTP is quick and bounded by EMAIL_TIMEOUT: one task drains every due message.
        drain_batch=DRAIN_BATCH,
        # A drain requested this long ago that has not started was lost: request another (the
        # sweep, every minute, drains anyway).
        requeue_after=timedelta(minutes=1),
        handover_field="handed_over_at",
        done_at_field="sent_at",
    ),
)


MSG_NOTHING_TO_SEND = "nothing to send: what the message was about is gone"


@dataclass(frozen=True)
class Email:
    subject: str
    body_text: str
    body_html: str = ""


# Renderers by name: context (JSON) -> the message, or None when what it was about is gone.
Renderer = Callable[[dict[str, Any]], Email | None]
RENDERERS: dict[str, Renderer] = {}


def renderer_register(name: str, renderer: Renderer) -> None:
    """Let queued messages name `renderer` (call it from the writing app's `ready()`)."""
    RENDERERS[name] = renderer


def notification_enqueue(
    *,
    recipients: Sequence[str],
    subject: str,
    body_text: str,
    body_html: str = "",
    kind: str,
    topic: str = "",
    account: Account | None = None,
) -> Notification | None:
    """Queue one email; call it inside the transaction of the change it reports.

    `topic` names what the message is about (a case id) so it can be discarded with it. Returns
    None when there is nobody to send it to. Side effect: after commit, a send task is queued
    (best effort; the sweep covers failures). Inside `notifications_batch` the row is written
    when the batch ends (the instance returned is not saved).
    """
    if not recipients:
        return None
    row = _row(
        recipients=recipients,
        kind=kind,
        topic=topic,
        account=account,
        subject=" ".join(subject.split())[:300],
        body_text=body_text,
        body_html=body_html,
    )
    batch = _batch.get()
    if batch is not None:
        batch.append(row)
        return Notification(**row)
    notification = Notification.objects.create(**row)
    OUTBOX.dispatch_on_commit([str(notification.pk)])
    return notification


def _row(
    *,
    recipients: Sequence[str],
    kind: str,
    topic: str,
    account: Account | None,
    subject: str = "",
    body_text: str = "",
    body_html: str = "",
    template: str = "",
    context: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A message's row, composed (subject and bodies) or for the sender to compose (template
    and context): every row has the same fields, so a batch mixing both is one INSERT."""
    return {
        "id": uuid.uuid4(),
        "account_id": account.pk if account is not None else None,
        "topic": topic,
        "kind": kind,
        "recipients": list(recipients),
        "subject": subject,
        "body_text": body_text,
        "body_html": body_html,
        "template": template,
        "context": context if context is not None else {},
        "next_attempt_at": timezone.now(),
    }


@dataclass(frozen=True)
class Queued:
    """One message for `notifications_enqueue`: rendered by the sender with `template`'s
    renderer from `context` (JSON)."""

    recipients: Sequence[str]
    kind: str
    template: str
    context: dict[str, Any]
    topic: str = ""
    account: Account | None = None


def notifications_enqueue(messages: Sequence[Queued]) -> list[str]:
    """Queue many emails at once, each rendered when it is first sent; call it inside the
    transaction of the change they report. One statement (`core.bulk.insert_rows`), and after
    commit one send task for them all (best effort; the sweep covers failures); inside
    `notifications_batch`, with the batch's. Messages without recipients are left out. Returns
    the new rows' ids.
    Raises `LookupError` for a template no renderer was registered for."""
    for message in messages:
        if message.template not in RENDERERS:
            raise LookupError(f"no renderer named {message.template!r}")
    rows = [
        _row(
            recipients=message.recipients,
            kind=message.kind,
            topic=message.topic,
            account=message.account,
            template=message.template,
            context=message.context,
        )
        for message in messages
        if message.recipients
    ]
    batch = _batch.get()
    if batch is not None:
        batch.extend(rows)
    else:
        _insert(rows)
    return [str(row["id"]) for row in rows]


def _insert(rows: list[dict[str, Any]]) -> None:
    insert_rows(Notification, rows)
    OUTBOX.dispatch_batch_on_commit([str(row["id"]) for row in rows])


# The rows `notification_enqueue` and `notifications_enqueue` hold back for the enclosing
# `notifications_batch`.
_batch: ContextVar[list[dict[str, Any]] | None] = ContextVar("notifications_batch", default=None)


@contextmanager
def notifications_batch() -> Iterator[None]:
    """Inside the block, the messages queued are kept, and the block's end writes them in one
    INSERT with one dispatch (a change that emails its customers and alerts its engineers
    writes the table once). Use it inside the change's transaction; the rows are not there
    until the block ends. A batch inside a batch joins it."""
    if _batch.get() is not None:
        yield
        return
    batch: list[dict[str, Any]] = []
    token = _batch.set(batch)
    try:
        yield
    finally:
        _batch.reset(token)
    if batch:
        _insert(batch)


def notifications_discard(*, topics: Iterable[str]) -> int:
    """Delete every message and inbox item about `topics` (sent, read or not), e.g. when their
    cases are purged; call it inside the purge's transaction. Returns how many."""
    topics = list(topics)
    # The topics as one parameter: a purge batch names thousands.
    inbox = InboxItem.objects.filter(topic__in=among(topics)).delete()[0]
    return inbox + Notification.objects.filter(topic__in=among(topics)).delete()[0]


def _message_id(notification: Notification) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "supportcenter.local"
    return f"<{notification.id}@{host}>"


def notification_send(*, notification_id: str) -> bool:
    """Send one notification if it is due and nobody else has claimed it. Returns whether this
    call sent it. Safe to call twice: the second call finds it claimed or sent. (Messages are
    normally sent by `notifications_drain`; this sends one, e.g. a task queued before that.)
    """
    now = timezone.now()
    if not OUTBOX.claim(notification_id, now):
        return False
    with _Mailer() as mailer:
        return mailer.send_claimed([notification_id], claimed_at=now) == 1


def notifications_drain(*, limit: int = DRAIN_LIMIT) -> int:
    """Send the due notifications, a batch at a time (claimed together, sent a few at once over
    the `_Mailer`'s connections), at most `limit` of them; if that many were claimed, queue
    another drain for the rest. Returns how many this run sent. Each message is stamped at its
    hand-over and settled on its claim, as `notification_send` sends one."""
    OUTBOX.drain_started()
    claimed = sent = 0
    with _Mailer() as mailer:
        while claimed < limit:
            now = timezone.now()
            keys = OUTBOX.claim_batch(now, min(DRAIN_BATCH, limit - claimed))
            if not keys:
                return sent
            claimed += len(keys)
            sent += mailer.send_claimed(keys, claimed_at=now)
    OUTBOX.request_drain()
    return sent


class _Mailer:
    """A drain's connections to the mail server: up to `EMAIL_CONNECTIONS`, opened as
    messages need them and again after a failure (a broken or refused message may leave its
    connection unusable). Over SMTP, up to that many messages go out together: each is started
    on its own connection, all are stamped with one write, then ended (`notifications.smtp`)."""

    def __init__(self) -> None:
        self.backends: dict[int, BaseEmailBackend] = {}
        self.unreachable: Exception | None = None

    def __enter__(self) -> _Mailer:
        return self

    def __exit__(self, *exc: object) -> None:
        for slot in list(self.backends):
            self._drop(slot)

    def _drop(self, slot: int) -> None:
        backend = self.backends.pop(slot, None)
        if backend is not None:
            try:
                backend.close()
            except Exception as exc:  # the messages are settled already; the server may be gone
                logger.warning("closing a mail connection failed: %s", exc)

    def _open(self, slot: int) -> BaseEmailBackend:
        if slot not in self.backends:
            backend = outbox_connection()
            backend.open()
            self.backends[slot] = backend
        return self.backends[slot]

    def send_claimed(self, keys: Sequence[Any], *, claimed_at: datetime) -> int:
        """Send the notifications this worker claimed at `claimed_at`; returns how many went out.

        Each row is stamped as the SMTP server gets the end of its message; if the claim is no
        longer ours or the database is away, that message is abandoned unfinished (its
        connection dropped before the final ".") and the row left for the sweep. If recording
        the outcome fails, the sweep settles the row later: as sent after the stamp, or due
        again. If the mail server cannot be reached, the rest of them fail this attempt too.
        """
        rows = {str(n.pk): n for n in Notification.objects.filter(pk__in=list(keys))}
        # Gone when its topic was purged in between. A message a job queued by template is
        # composed now, on its first attempt (`_render_queued` settles it when it cannot be).
        notifications = [
            rows[str(key)]
            for key in keys
            if str(key) in rows
            and (
                not (rows[str(key)].template and not rows[str(key)].subject)
                or _render_queued(rows[str(key)], claimed_at=claimed_at)
            )
        ]
        together = max(1, settings.EMAIL_CONNECTIONS) if uses_smtp() else 1
        sent: list[str] = []
        self.unreachable = None
        for offset in range(0, len(notifications), together):
            group = notifications[offset : offset + together]
            sent += self._send_group(group, claimed_at)
        # One write for the batch (on SQLite every write waits for the one writer's lock).
        try:
            OUTBOX.settle_sent(sent, claimed_at=claimed_at)
        except DatabaseError as exc:  # the sweep settles them as sent (their hand-over stamps)
            logger.warning("could not record %d sent notifications: %s", len(sent), exc)
        return len(sent)

    def _fail(self, notification: Notification, claimed_at: datetime, error: Exception) -> None:
        logger.warning("sending notification %s failed: %s", notification.pk, error)
        _settle(notification, claimed_at=claimed_at, ok=False, error=str(error))

    def _send_group(self, group: list[Notification], claimed_at: datetime) -> list[str]:
        started: list[tuple[int, Notification]] = []
        for slot, notification in enumerate(group):
            if self.unreachable is not None:
                self._fail(notification, claimed_at, self.unreachable)
                continue
            try:
                backend = self._open(slot)
            except Exception as exc:  # connection refused, timeout, TLS or login failure
                self.unreachable = exc
                self._fail(notification, claimed_at, exc)
                continue
            message = _message(notification, backend)
            if not isinstance(backend, EmailBackend):
                # Console, locmem: nothing to hand over.
                try:
                    message.send()
                except Exception as exc:
                    self._fail(notification, claimed_at, exc)
                    self._drop(slot)
                    continue
                started.append((slot, notification))
                continue
            try:
                start(_smtp(backend), message)
            except Exception as exc:  # SMTP, network, or anything else: retry later
                self._fail(notification, claimed_at, exc)
                self._drop(slot)
                continue
            started.append((slot, notification))
        if not started or not uses_smtp():
            return [str(notification.pk) for _slot, notification in started]
        return self._end_group(started, claimed_at)

    def _end_group(
        self, started: list[tuple[int, Notification]], claimed_at: datetime
    ) -> list[str]:
        keys = [str(notification.pk) for _slot, notification in started]
        try:
            mine, stamped = OUTBOX.hand_over(keys, claimed_at=claimed_at)
        except Exception as exc:  # the database is away: end nothing, the sweep retries them
            for slot, notification in started:
                self._drop(slot)  # before the final ".": the server keeps nothing
                self._fail(notification, claimed_at, exc)
            return []
        ending = []
        for slot, notification in started:
            if str(notification.pk) in mine:
                ending.append((slot, notification))
            else:
                logger.warning("notification %s was released to another worker", notification.pk)
                self._drop(slot)
        errors = end([_smtp(self.backends[slot]) for slot, _notification in ending])
        # The "."s are out: whatever the stamp's fate, the messages go on.
        try:
            if stamped() < len(ending):
                logger.warning("hand-over of %d notifications not all recorded", len(ending))
        except DatabaseError as exc:
            logger.warning("hand-over of %d notifications not recorded: %s", len(ending), exc)
        sent = []
        for (slot, notification), error in zip(ending, errors, strict=True):
            if error is None:
                try:
                    reply(_smtp(self.backends[slot]))
                except Exception as exc:
                    error = exc
            if error is None:
                sent.append(str(notification.pk))
            else:
                self._drop(slot)
                self._fail(notification, claimed_at, error)
        return sent


def _smtp(backend: BaseEmailBackend) -> smtplib.SMTP:
    assert isinstance(backend, EmailBackend) and backend.connection is not None
    return backend.connection


def _message(notification: Notification, backend: BaseEmailBackend) -> EmailMultiAlternatives:
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=notification.recipients,
        headers={"Message-ID": _message_id(notification), "Auto-Submitted": "auto-generated"},
        connection=backend,
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    return message


def _render_queued(notification: Notification, *, claimed_at: datetime) -> bool:
    """Compose a queued message with its renderer and keep the text on the row (so a retry
    sends the same words whatever happens to its subject meanwhile). False, with the claim
    settled, when it cannot be composed: failed for good when what it was about is gone, due
    again (as a failed send) when the renderer raised."""
    try:
        email = RENDERERS[notification.template](notification.context)
    except Exception as exc:
        logger.exception("could not render notification %s", notification.pk)
        _settle(notification, claimed_at=claimed_at, ok=False, error=f"rendering: {exc}")
        return False
    if email is None:
        Notification.objects.filter(
            pk=notification.pk, status=NotificationStatus.SENDING, claimed_at=claimed_at
        ).update(
            status=NotificationStatus.FAILED,
            last_error=MSG_NOTHING_TO_SEND,
            updated_at=timezone.now(),
        )
        return False
    notification.subject = " ".join(email.subject.split())[:300]
    notification.body_text = email.body_text
    notification.body_html = email.body_html
    Notification.objects.filter(pk=notification.pk).update(
        subject=notification.subject,
        body_text=notification.body_text,
        body_html=notification.body_html,
    )
    return True


def _settle(notification: Notification, **outcome: Any) -> None:
    try:
        OUTBOX.settle(notification, **outcome)
    except DatabaseError as exc:  # the sweep settles the claim once the database is back
        logger.warning("could not record notification %s: %s", notification.pk, exc)


def notifications_sweep() -> int:
    """Send every due notification, releasing ones stuck in "sending" first. Returns how many
    this run sent."""
    OUTBOX.release_stuck(timezone.now())
    return notifications_drain()
