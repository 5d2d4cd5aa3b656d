"""Each email once, even when the worker dies or the database goes away mid-send: the row is
stamped just before the SMTP server gets the end of the message (notifications.smtp), so a
claim released after that stamp is taken as sent, and one released before it is sent again.
Received by a real SMTP server (aiosmtpd)."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.db import OperationalError
from django.utils import timezone

from core.outbox import MSG_HANDED_OVER
from notifications import services
from notifications.models import Notification
from notifications.tasks import notification_send_task, notifications_sweep_task
from tests import factories

LATER = timedelta(minutes=3)


def _notification(account, root) -> Notification:
    case = factories.make_case(account, root)
    return Notification.objects.get(topic=case.case_id)


def _lose_database(monkeypatch, method: str) -> None:
    def fail(*args, **kwargs):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(services.OUTBOX, method, fail)


def test_outcome_lost_after_delivery_is_not_sent_again(
    smtp, business_account, root, monkeypatch
) -> None:
    notification = _notification(business_account, root)
    with monkeypatch.context() as patch:
        # The server has the message; recording it fails (a worker killed at this point
        # leaves the same row behind).
        _lose_database(patch, "settle_sent")
        assert notification_send_task(str(notification.id)) is True
    assert len(smtp.messages) == 1
    notification.refresh_from_db()
    assert notification.status == "sending" and notification.handed_over_at is not None
    assert notifications_sweep_task() == 0
    with time_machine.travel(timezone.now() + LATER, tick=False):
        assert notifications_sweep_task() == 0
    notification.refresh_from_db()
    assert (notification.status, notification.last_error) == ("sent", MSG_HANDED_OVER)
    assert notification.sent_at == notification.handed_over_at
    assert len(smtp.messages) == 1


def test_database_lost_before_the_end_of_the_message_sends_it_later(
    smtp, business_account, root, monkeypatch
) -> None:
    notification = _notification(business_account, root)
    with monkeypatch.context() as patch:
        _lose_database(patch, "hand_over")
        _lose_database(patch, "settle")
        assert notification_send_task(str(notification.id)) is False
    # The connection was dropped before the final ".": the server kept nothing.
    assert smtp.messages == []
    notification.refresh_from_db()
    assert notification.status == "sending" and notification.handed_over_at is None
    with time_machine.travel(timezone.now() + LATER, tick=False):
        assert notifications_sweep_task() == 1
        assert notifications_sweep_task() == 0
    assert len(smtp.messages) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts, notification.last_error) == ("sent", 2, "")


def test_a_released_claim_stops_its_first_worker(smtp, business_account, root, monkeypatch) -> None:
    notification = _notification(business_account, root)
    hand_over = services.OUTBOX.hand_over

    def taken_meanwhile(keys, *, claimed_at):
        # The sweep released this slow attempt's claim and another worker took the row.
        Notification.objects.filter(pk__in=keys).update(claimed_at=timezone.now() + LATER)
        return hand_over(keys, claimed_at=claimed_at)

    monkeypatch.setattr(services.OUTBOX, "hand_over", taken_meanwhile)
    assert notification_send_task(str(notification.id)) is False
    assert smtp.messages == []
    notification.refresh_from_db()
    # Left as the other worker's claim: this one wrote nothing.
    assert (notification.status, notification.handed_over_at) == ("sending", None)


def test_refused_after_the_hand_over_is_retried(smtp, business_account, root) -> None:
    notification = _notification(business_account, root)

    async def refuse(server, session, envelope):
        return "451 Try again later"

    accept = smtp.handle_DATA
    smtp.handle_DATA = refuse
    assert notification_send_task(str(notification.id)) is False
    notification.refresh_from_db()
    assert (notification.status, notification.handed_over_at) == ("pending", None)
    assert "451" in notification.last_error
    smtp.handle_DATA = accept
    with time_machine.travel(timezone.now() + LATER, tick=False):
        assert notifications_sweep_task() == 1
    assert len(smtp.messages) == 1
