"""Case-update emails through a transactional outbox.

A `Notification` row is written in the same transaction as the change it reports (so a rollback
sends nothing and a broker outage loses nothing). After commit a task is queued to send it; a
periodic sweep sends whatever is still due (the broker was down, a worker died, SMTP failed).
Sending claims the row first (pending -> sending, a conditional update), so two workers never
send the same message; a message stuck in "sending" is released after a while. Every message
carries a Message-ID derived from the row, so a rare duplicate is recognisable. No reply-by-email:
the message links to the case.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone, translation

from notifications.models import Notification, NotificationStatus

if TYPE_CHECKING:
    from cases.models import Case

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 8
STUCK_AFTER = timedelta(minutes=10)


def case_recipients(case: Case) -> list[str]:
    """The submitter, the CC list and the account's contact address, each once."""
    candidates: list[str] = []
    if case.submitter is not None and case.submitter.email:
        candidates.append(case.submitter.email)
    elif "@" in (case.submitted_by or ""):
        candidates.append(case.submitted_by)
    candidates += list(case.cc_email_addresses or [])
    if case.account.contact_email:
        candidates.append(case.account.contact_email)
    seen: set[str] = set()
    result = []
    for address in candidates:
        if address.lower() not in seen:
            seen.add(address.lower())
            result.append(address)
    return result


def case_url(case: Case) -> str:
    return settings.SITE_URL.rstrip("/") + reverse("cases:detail", args=[case.case_id])


def _render(case: Case, kind: str, body: str, origin: str) -> tuple[str, str, str]:
    context = {
        "case": case,
        "kind": kind,
        "body": body,
        "origin": origin,
        "url": case_url(case),
        "status": case.get_status_display(),
    }
    with translation.override(case.language or "en"):
        subject = render_to_string("notifications/case_update_subject.txt", context)
        text = render_to_string("notifications/case_update.txt", context)
        html = render_to_string("notifications/case_update.html", context)
    return " ".join(subject.split())[:300], text, html


def notification_enqueue_case_update(
    *,
    case: Case,
    kind: str,
    body: str = "",
    origin: str = "",
) -> Notification | None:
    """Queue the email for a case update; call inside the change's transaction.

    `kind` is "created", "correspondence" or "status". Returns None when nobody is to be told.
    Side effect: after commit, a send task is queued (best effort; the sweep covers failures).
    """
    recipients = case_recipients(case)
    if not recipients:
        return None
    subject, text, html = _render(case, kind, body, origin)
    notification = Notification.objects.create(
        case=case,
        kind=kind,
        recipients=recipients,
        subject=subject,
        body_text=text,
        body_html=html,
        next_attempt_at=timezone.now(),
    )
    notification_id = str(notification.id)
    transaction.on_commit(lambda: _dispatch(notification_id))
    return notification


def _dispatch(notification_id: str) -> None:
    """Queue the send task, failing fast when the broker is down (kombu would otherwise retry
    the connection for a long time inside the request)."""
    from notifications.tasks import notification_send_task

    try:
        with notification_send_task.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            notification_send_task.apply_async(
                args=[notification_id], connection=connection, retry=False
            )
    except Exception:  # broker down: the row stays pending and the sweep sends it later
        logger.warning("could not queue notification %s; the sweep will send it", notification_id)


def _message_id(notification: Notification) -> str:
    host = urlsplit(settings.SITE_URL).hostname or "supportcenter.local"
    return f"<{notification.id}@{host}>"


def notification_send(*, notification_id: str) -> bool:
    """Send one notification if it is due and nobody else has claimed it. Returns whether this
    call sent it. Safe to call twice: the second call finds it claimed or sent."""
    now = timezone.now()
    claimed = Notification.objects.filter(
        pk=notification_id,
        status=NotificationStatus.PENDING,
        next_attempt_at__lte=now,
        attempts__lt=MAX_ATTEMPTS,
    ).update(status=NotificationStatus.SENDING, claimed_at=now, attempts=F("attempts") + 1)
    if not claimed:
        return False
    notification = Notification.objects.filter(pk=notification_id).first()
    if notification is None:  # its case was purged in between
        return False
    # Later updates are conditioned on this claim, so a claim released by the sweep and taken by
    # another worker is never overwritten by this one.
    mine = Notification.objects.filter(
        pk=notification.pk, status=NotificationStatus.SENDING, claimed_at=now
    )
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
        failed = notification.attempts >= MAX_ATTEMPTS
        mine.update(
            status=NotificationStatus.FAILED if failed else NotificationStatus.PENDING,
            # Back off: 1, 2, 4 ... minutes, at most an hour.
            next_attempt_at=now + timedelta(minutes=min(60, 2 ** (notification.attempts - 1))),
            last_error=str(exc)[:500],
        )
        logger.warning("sending notification %s failed: %s", notification.pk, exc)
        return False
    mine.update(status=NotificationStatus.SENT, sent_at=timezone.now(), last_error="")
    return True


def notifications_sweep(*, batch_size: int = 200) -> int:
    """Send every due notification, releasing ones stuck in "sending" first. Returns how many
    this run sent."""
    now = timezone.now()
    stuck = Notification.objects.filter(
        status=NotificationStatus.SENDING, claimed_at__lt=now - STUCK_AFTER
    )
    # A worker died mid-send: try again, unless it has used up its attempts.
    stuck.filter(attempts__gte=MAX_ATTEMPTS).update(
        status=NotificationStatus.FAILED, last_error="gave up after repeated interrupted sends"
    )
    stuck.filter(attempts__lt=MAX_ATTEMPTS).update(status=NotificationStatus.PENDING)
    sent = 0
    last_seen = None
    while True:
        due = Notification.objects.filter(
            status=NotificationStatus.PENDING, next_attempt_at__lte=now
        ).order_by("created_at", "id")
        if last_seen is not None:
            due = due.filter(created_at__gte=last_seen[0]).exclude(pk__in=last_seen[1])
        batch = list(due.values_list("pk", "created_at")[:batch_size])
        if not batch:
            return sent
        for pk, _ in batch:
            sent += notification_send(notification_id=str(pk))
        last_seen = (batch[-1][1], [pk for pk, _ in batch])
