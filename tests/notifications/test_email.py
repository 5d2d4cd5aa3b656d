"""Case-update emails through the outbox, received by a real SMTP server."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from cases import services
from notifications.inbox import inbox_preference_set
from notifications.models import Notification
from notifications.tasks import notification_send_task, notifications_sweep_task
from tests import factories


def test_each_update_mails_the_contacts_once(smtp, business_account, root, engineer) -> None:
    # The engineer's own alerts stay in the console here (tests/console/test_inbox.py).
    inbox_preference_set(user=engineer.user, email_kinds=[])
    account = business_account
    root_user = factories.root_of(account)
    case = factories.make_case(account, root, cc_email_addresses=["ops@example.com"])
    notification = Notification.objects.get(topic=case.case_id)
    assert notification.status == "pending"
    # The task and the sweep may both run: the message still arrives once.
    assert notification_send_task(str(notification.id)) is True
    assert notification_send_task(str(notification.id)) is False
    assert notifications_sweep_task() == 0
    assert len(smtp.messages) == 1
    recipients, message = smtp.messages[0]
    assert sorted(recipients) == sorted({root_user.email, "ops@example.com", account.contact_email})
    assert f"[Case {case.display_id}]" in message["Subject"]
    assert message["Message-ID"] == f"<{notification.id}@support.example.com>"
    text = message.get_payload()[0].get_payload(decode=True).decode()
    html = message.get_payload()[1].get_payload(decode=True).decode()
    link = f"https://support.example.com/support/cases/{case.case_id}/"
    assert link in text and link in html
    assert "Replies to this email are not read" in text

    services.case_support_reply(
        case=case, actor=engineer, body="Please send <logs>.", next_status="pending-customer-action"
    )
    services.case_add_communication(case=case, actor=root, body="Attached.")
    services.case_resolve(case=case, actor=root)
    assert notifications_sweep_task() == 3
    assert notifications_sweep_task() == 0
    assert len(smtp.messages) == 4
    # Sent together over separate connections, they may arrive in any order.
    received = {message["Message-ID"]: message for _, message in smtp.messages}
    in_order = [
        received[f"<{pk}@support.example.com>"]
        for pk in Notification.objects.order_by("created_at").values_list("pk", flat=True)
    ]
    reply_html = in_order[1].get_payload()[1].get_payload(decode=True).decode()
    assert "Please send &lt;logs&gt;." in reply_html
    assert "Resolved" in in_order[3]["Subject"]


def test_smtp_failures_are_retried_with_backoff(
    settings, smtp_port, business_account, root
) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = smtp_port  # nothing listens yet
    settings.EMAIL_TIMEOUT = 2
    start = timezone.now()
    with time_machine.travel(start, tick=False):
        case = factories.make_case(business_account, root)
        assert notifications_sweep_task() == 0
    notification = Notification.objects.get(topic=case.case_id)
    assert (notification.status, notification.attempts) == ("pending", 1)
    assert notification.next_attempt_at > start
    assert notification.last_error
    from aiosmtpd.controller import Controller

    from tests.notifications.conftest import Inbox

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=smtp_port)
    controller.start()
    try:
        with time_machine.travel(start + timedelta(minutes=2), tick=False):
            assert notifications_sweep_task() == 1
            assert notifications_sweep_task() == 0
    finally:
        controller.stop()
    assert len(inbox.messages) == 1
    notification.refresh_from_db()
    assert (notification.status, notification.attempts) == ("sent", 2)


def test_stuck_sends_are_released(smtp, business_account, root) -> None:
    case = factories.make_case(business_account, root)
    Notification.objects.filter(topic=case.case_id).update(
        status="sending", claimed_at=timezone.now()
    )
    assert notifications_sweep_task() == 0
    with time_machine.travel(timezone.now() + timedelta(minutes=11), tick=False):
        assert notifications_sweep_task() == 1
    assert len(smtp.messages) == 1


def test_notifications_are_part_of_the_change(business_account, root) -> None:
    import pytest

    from core.errors import InvalidParameterValueException

    with pytest.raises(InvalidParameterValueException):
        factories.make_case(business_account, root, severity_code="nope")
    assert not Notification.objects.exists()
