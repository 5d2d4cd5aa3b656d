"""Emails through a transactional outbox (core.outbox).

`notification_enqueue` writes a `Notification` in the same transaction as the change it reports
(so a rollback sends nothing and a broker outage loses nothing) and queues its send task after
commit; the sweep (every minute) sends whatever is still due: the broker was down, a worker
died, SMTP failed. Sending claims the row first, so two workers never send the same message.
Every message carries a Message-ID derived from the row, so a rare duplicate is recognisable.

What a message says and whom it goes to is the writer's business (case emails are composed in
`cases.effects`); this app only keeps and sends them.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from datetime import timedelta
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.utils import timezone

from accounts.models import Account
from core.outbox import Outbox, OutboxPolicy
from notifications.models import Notification, NotificationStatus
from notifications.tasks import notification_send_task

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STUCK_AFTER = timedelta(minutes=10)

OUTBOX = Outbox(
    Notification,
    task=notification_send_task,
    done=NotificationStatus.SENT,
    policy=OutboxPolicy(
        max_attempts=MAX_ATTEMPTS,
        # 1, 2, 4 ... minutes after each failed try, at most an hour.
        backoff=lambda attempts: timedelta(minutes=min(60, 2 ** (attempts - 1))),
        stuck_after=STUCK_AFTER,
        # SMTP is quick and bounded by EMAIL_TIMEOUT: the sweep sends due messages itself.
        sweep_batch=200,
    ),
)


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


def notifications_discard(*, topics: Iterable[str]) -> int:
    """Delete every message about `topics` (sent or not), e.g. when their cases are purged;
    call it inside the purge's transaction. Returns how many."""
    return Notification.objects.filter(topic__in=list(topics)).delete()[0]


def _message_id(notification: Notification) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "supportcenter.local"
    return f"<{notification.id}@{host}>"


def notification_send(*, notification_id: str) -> bool:
    """Send one notification if it is due and nobody else has claimed it. Returns whether this
    call sent it. Safe to call twice: the second call finds it claimed or sent."""
    now = timezone.now()
    if not OUTBOX.claim(notification_id, now):
        return False
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:  # its topic was purged in between
        return False
    message = EmailMultiAlternatives(
        subject=notification.subject,
        body=notification.body_text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=notification.recipients,
        headers={"Message-ID": _message_id(notification), "Auto-Submitted": "auto-generated"},
    )
    if notification.body_html:
        message.attach_alternative(notification.body_html, "text/html")
    try:
        message.send()
    except Exception as exc:  # SMTP, network, or anything else: retry later, never lose it
        OUTBOX.settle(notification, claimed_at=now, ok=False, error=str(exc))
        logger.warning("sending notification %s failed: %s", notification.pk, exc)
        return False
    OUTBOX.settle(notification, claimed_at=now, ok=True, done_fields={"sent_at": timezone.now()})
    return True


def notifications_sweep() -> int:
    """Send every due notification, releasing ones stuck in "sending" first. Returns how many
    this run sent."""
    return OUTBOX.sweep_send(lambda key: notification_send(notification_id=key))
