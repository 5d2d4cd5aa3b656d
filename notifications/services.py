"""Emails through a transactional outbox (core.outbox).

`notification_enqueue` writes a `Notification` in the same transaction as the change it reports
(so a rollback sends nothing and a broker outage loses nothing) and queues its send task after
commit; the sweep (every minute) sends whatever is still due: the broker was down, a worker
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
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import DatabaseError
from django.utils import timezone

from accounts.models import Account, User
from core.bulk import among, insert_rows
from core.outbox import Outbox, OutboxPolicy
from notifications.models import InboxItem, InboxPreference, Notification, NotificationStatus
from notifications.smtp import HandOverRefused, outbox_connection
from notifications.tasks import notification_send_task, notifications_send_task

logger = logging.getLogger(__name__)

# A preference of "every kind" (the default without a row): also the kinds added later.
EVERY_KIND = ["*"]
MAX_ATTEMPTS = 8
# A claim this old belongs to a dead worker. A live one is either before its hand-over (where a
# released claim stops it) or waiting for the server's one answer to the end of the message
# (at most EMAIL_TIMEOUT, 30 s by default) and recording it; so a short wait is safe, and a
# killed worker's messages go out a couple of minutes later.
STUCK_AFTER = timedelta(minutes=2)

OUTBOX = Outbox(
    Notification,
    task=notification_send_task,
    batch_task=notifications_send_task,
    done=NotificationStatus.SENT,
    policy=OutboxPolicy(
        max_attempts=MAX_ATTEMPTS,
        # 1, 2, 4 ... minutes after each failed try, at most an hour.
        backoff=lambda attempts: timedelta(minutes=min(60, 2 ** (attempts - 1))),
        stuck_after=STUCK_AFTER,
        # SMTP is quick and bounded by EMAIL_TIMEOUT: the sweep sends due messages itself.
        sweep_batch=200,
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
    (best effort; the sweep covers failures).
    """
    if not recipients:
        return None
    notification = Notification.objects.create(
        account=account,
        topic=topic,
        kind=kind,
        recipients=list(recipients),
        subject=" ".join(subject.split())[:300],
        body_text=body_text,
        body_html=body_html,
        next_attempt_at=timezone.now(),
    )
    OUTBOX.dispatch_on_commit([str(notification.pk)])
    return notification


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
    commit one send task for them all (best effort; the sweep covers failures). Messages
    without recipients are left out. Returns the new rows' ids.
    Raises `LookupError` for a template no renderer was registered for."""
    now = timezone.now()
    for message in messages:
        if message.template not in RENDERERS:
            raise LookupError(f"no renderer named {message.template!r}")
    rows = [
        {
            "id": uuid.uuid4(),
            "account_id": message.account.pk if message.account is not None else None,
            "topic": message.topic,
            "kind": message.kind,
            "recipients": list(message.recipients),
            "template": message.template,
            "context": message.context,
            "next_attempt_at": now,
        }
        for message in messages
        if message.recipients
    ]
    insert_rows(Notification, rows)
    ids = [str(row["id"]) for row in rows]
    OUTBOX.dispatch_batch_on_commit(ids)
    return ids


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
    call sent it. Safe to call twice: the second call finds it claimed or sent.

    The row is stamped as the SMTP server gets the end of the message; if the claim is no
    longer ours or the database is away, the message is abandoned unfinished and the row left
    for the sweep. If recording the outcome fails, the sweep settles the row later: as sent
    after the stamp, or due again.
    """
    now = timezone.now()
    if not OUTBOX.claim(notification_id, now):
        return False
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:  # its topic was purged in between
        return False
    if notification.template and not notification.subject:
        if not _render_queued(notification, claimed_at=now):
            return False

    def hand_over() -> Callable[[], None]:
        stamping = OUTBOX.hand_over(notification_id, claimed_at=now)
        if stamping is None:
            raise HandOverRefused(notification_id)

        def stamped() -> None:
            # The "." is out: whatever the stamp's fate, the message goes on.
            try:
                if not stamping():
                    logger.warning("notification %s: hand-over not recorded", notification_id)
            except DatabaseError as exc:
                logger.warning("notification %s: hand-over not recorded: %s", notification_id, exc)

        return stamped

    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=notification.recipients,
        headers={"Message-ID": _message_id(notification), "Auto-Submitted": "auto-generated"},
        connection=outbox_connection(hand_over),
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send()
    except HandOverRefused:
        logger.warning("notification %s was released to another worker; not sent", notification_id)
        return False
    except Exception as exc:  # SMTP, network, or anything else: retry later, never lose it
        logger.warning("sending notification %s failed: %s", notification.pk, exc)
        _settle(notification, claimed_at=now, ok=False, error=str(exc))
        return False
    _settle(notification, claimed_at=now, ok=True, done_fields={"sent_at": timezone.now()})
    return True


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
    return OUTBOX.sweep_send(lambda key: notification_send(notification_id=key))


# --- the console's inbox -------------------------------------------------------------------------


def inbox_notify(
    *,
    recipients: Iterable[User],
    kind: str,
    topic: str,
    title: str,
    url: str,
    dedupe_key: str,
    email: Callable[[User], Email],
    always_email: bool = False,
    account: Account | None = None,
) -> list[InboxItem]:
    """Tell `recipients` about one event, in their inbox and, for those who get `kind` by email
    (everyone, unless they turned it off; `always_email` overrides that), by email through the
    outbox. Call it inside the transaction of the change. A recipient already told about
    `dedupe_key` is not told again, so a retried change or job never notifies twice.
    `email(recipient)` writes the message (in the recipient's language). Returns the new items.
    """
    people = {user.pk: user for user in recipients if user.is_active}
    if not people:
        return []
    told = set(
        InboxItem.objects.filter(recipient_id__in=people, dedupe_key=dedupe_key).values_list(
            "recipient_id", flat=True
        )
    )
    new = [user for pk, user in people.items() if pk not in told]
    items = InboxItem.objects.bulk_create(
        [
            InboxItem(
                recipient=user,
                kind=kind,
                topic=topic,
                title=title[:300],
                url=url[:500],
                dedupe_key=dedupe_key[:200],
            )
            for user in new
        ],
        ignore_conflicts=True,
    )
    kinds = dict(
        InboxPreference.objects.filter(user_id__in=[u.pk for u in new]).values_list(
            "user_id", "email_kinds"
        )
    )
    for user in new:
        wanted = kinds.get(user.pk, EVERY_KIND)
        if user.email and (always_email or EVERY_KIND == wanted or kind in wanted):
            message = email(user)
            notification_enqueue(
                recipients=[user.email],
                subject=message.subject,
                body_text=message.body_text,
                body_html=message.body_html,
                kind=kind,
                topic=topic,
                account=account,
            )
    return items


def inbox_mark_read(*, user: User, item_ids: Iterable[int] | None = None) -> int:
    """Mark `user`'s items read: the given ones (others' ids are ignored), or all. Returns how
    many changed."""
    unread = InboxItem.objects.filter(recipient=user, read_at__isnull=True)
    if item_ids is not None:
        unread = unread.filter(pk__in=list(item_ids))
    return unread.update(read_at=timezone.now(), updated_at=timezone.now())


def inbox_preference_set(*, user: User, email_kinds: Iterable[str]) -> InboxPreference:
    """Which kinds `user` gets by email from now on."""
    preference, _ = InboxPreference.objects.update_or_create(
        user=user, defaults={"email_kinds": sorted(set(email_kinds))}
    )
    return preference
