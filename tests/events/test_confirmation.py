"""Email targets are confirmed by their recipient before anything is sent to them, as SNS email
subscriptions are: one confirmation email (after commit, through the delivery outbox) with a
signed link valid for 3 days; the link's page confirms on POST only; "resend confirmation" at
most once per 10 minutes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.core import mail, signing
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from audit.models import AuditEvent
from core.errors import LimitExceededException, ValidationException
from events import services
from events.models import (
    ConfirmationStatus,
    DeliveryAttempt,
    DeliveryPurpose,
    DeliveryStatus,
    EventDelivery,
    EventTarget,
)
from events.services import confirmation
from events.services import delivery as delivery_module
from events.tasks import event_delivery_attempt_task
from tests import factories
from tests.events.conftest import add_email, add_webhook, make_rule, run_queued

PATTERN = {"source": ["aws.support"]}
LINK = re.compile(r"https://support\.example\.com(/events/confirm/[^/\s]+/)")


def publish(account) -> None:  # type: ignore[no-untyped-def]
    services.event_publish(
        account=account,
        source="aws.support",
        detail_type="Support Case Update",
        detail={"event-name": "CreateCase"},
    )


def event_deliveries() -> list[EventDelivery]:
    return list(EventDelivery.objects.filter(purpose=DeliveryPurpose.EVENT))


def test_an_email_target_receives_nothing_until_its_recipient_confirms(
    client, business_account, root, settings, queued, django_capture_on_commit_callbacks
) -> None:
    settings.SITE_URL = "https://support.example.com"
    rule = make_rule(business_account, root, pattern=PATTERN)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        target, secret = services.target_create(
            rule=rule, actor=root, kind="email", email="ops@example.com"
        )
        # Nothing leaves while the transaction is open.
        assert queued == [] and mail.outbox == []
    assert secret == ""
    assert target.confirmation_status == ConfirmationStatus.PENDING
    assert target.confirmed_at is None
    # One confirmation email in the outbox, its task queued after the commit.
    assert len(callbacks) == 1
    request = EventDelivery.objects.get()
    assert request.purpose == DeliveryPurpose.CONFIRMATION
    assert request.detail_type == confirmation.CONFIRMATION_DETAIL_TYPE
    assert queued == [str(request.delivery_id)]
    assert run_queued(queued) == [True]
    assert event_delivery_attempt_task(str(request.delivery_id)) is False  # sent once
    [message] = mail.outbox
    assert message.to == ["ops@example.com"]
    assert message.subject == "[Support Center] Confirm event notifications to ops@example.com"
    assert business_account.account_id in message.body and '"support-updates"' in message.body
    assert message.extra_headers["Auto-Submitted"] == "auto-generated"
    link = LINK.search(message.body).group(1)  # type: ignore[union-attr]

    # Matching events are not delivered to it, nor kept for later.
    publish(business_account)
    assert event_deliveries() == []

    # The link's page asks; GET changes nothing (mail scanners follow links).
    page = client.get(link)
    assert page.status_code == 200
    assert page["Cache-Control"] == "no-store" and page["Referrer-Policy"] == "same-origin"
    body = page.content.decode()
    assert "ops@example.com" in body and '<button type="submit" class="primary">Confirm' in body
    target.refresh_from_db()
    assert target.confirmation_status == ConfirmationStatus.PENDING
    assert not AuditEvent.objects.filter(event_name=confirmation.CONFIRM_TARGET).exists()

    # POST confirms, once, with an audit record of who followed the link.
    confirmed = client.post(link, REMOTE_ADDR="198.51.100.7")
    assert confirmed.status_code == 200 and confirmed.context["confirmed_now"] is True
    assert "Confirmed: ops@example.com will receive" in confirmed.content.decode()
    target.refresh_from_db()
    assert target.confirmation_status == ConfirmationStatus.CONFIRMED
    assert target.confirmed_at is not None
    record = AuditEvent.objects.get(event_name=confirmation.CONFIRM_TARGET)
    assert record.recipient_account_id == business_account.account_id
    assert record.event_source == "events.amazonaws.com"
    assert record.source_ip == "198.51.100.7"
    assert record.principal_arn == "anonymous"
    assert record.request_parameters == {
        "rule": "support-updates",
        "targets": [{"id": target.target_id, "email": "ops@example.com"}],
    }
    again = client.post(link)
    assert again.status_code == 200 and again.context["confirmed_now"] is False
    assert "ops@example.com is already confirmed" in again.content.decode()
    assert AuditEvent.objects.filter(event_name=confirmation.CONFIRM_TARGET).count() == 1

    # From now on events are delivered.
    publish(business_account)
    [delivery] = event_deliveries()
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is True
    assert [m.to for m in mail.outbox] == [["ops@example.com"], ["ops@example.com"]]
    assert mail.outbox[1].subject.startswith("[Support Center] Support Case Update")


def test_bad_links_get_a_clear_page_and_change_nothing(client, business_account, root) -> None:
    rule = make_rule(business_account, root, pattern=PATTERN)
    target, _ = services.target_create(rule=rule, actor=root, kind="email", email="a@example.com")
    token = confirmation.confirmation_token(target)
    payload = {"a": business_account.account_id, "r": rule.name, "t": target.target_id}
    tampered = [
        token[:-1] + ("A" if token[-1] != "A" else "B"),  # the signature
        token[:20],
        "nonsense",
        "a:b:c",
        # Signed, but for something else or in another shape.
        signing.dumps({**payload, "e": "0" * 16}, salt="another.purpose"),
        signing.dumps(["not", "a", "dict"], salt=confirmation.CONFIRMATION_SALT),
        signing.dumps({**payload, "e": 5}, salt=confirmation.CONFIRMATION_SALT),
    ]
    for bad in tampered:
        for method in (client.get, client.post):
            response = method(reverse("events:confirm", args=[bad]))
            assert response.status_code == 400, bad
            assert escape(confirmation.MSG_LINK_INVALID) in response.content.decode()
    # The recipient reads the page in their own language.
    response = client.get(reverse("events:confirm", args=["nonsense"]), HTTP_ACCEPT_LANGUAGE="ja")
    assert "この確認リンクは無効です。" in response.content.decode()
    # Another address's fingerprint: refused like a target that no longer exists.
    other = signing.dumps({**payload, "e": "0" * 16}, salt=confirmation.CONFIRMATION_SALT)
    response = client.post(reverse("events:confirm", args=[other]))
    assert response.status_code == 400
    assert escape(confirmation.MSG_LINK_TARGET_GONE) in response.content.decode()

    link = reverse("events:confirm", args=[token])
    with time_machine.travel(timezone.now() + confirmation.CONFIRMATION_MAX_AGE + timedelta(1)):
        for method in (client.get, client.post):
            response = method(link)
            assert response.status_code == 410
            assert escape(confirmation.MSG_LINK_EXPIRED) in response.content.decode()
    target.refresh_from_db()
    assert target.confirmation_status == ConfirmationStatus.PENDING
    assert not AuditEvent.objects.filter(event_name=confirmation.CONFIRM_TARGET).exists()

    # Still valid just before it expires.
    with time_machine.travel(timezone.now() + confirmation.CONFIRMATION_MAX_AGE - timedelta(1)):
        assert client.post(link).status_code == 200
    target.refresh_from_db()
    assert target.confirmation_status == ConfirmationStatus.CONFIRMED

    services.target_delete(target=target, actor=root)
    response = client.get(link)
    assert response.status_code == 400
    assert escape(confirmation.MSG_LINK_TARGET_GONE) in response.content.decode()


def test_the_link_is_valid_for_three_days_from_when_it_is_sent(
    business_account, root, settings
) -> None:
    settings.SITE_URL = "https://support.example.com"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    rule = make_rule(business_account, root, pattern=PATTERN)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        target, _ = services.target_create(
            rule=rule, actor=root, kind="email", email="ops@example.com"
        )
        request = EventDelivery.objects.get()
        # SMTP is down: retried with the usual backoff.
        assert event_delivery_attempt_task(str(request.delivery_id)) is False
        request.refresh_from_db()
        assert request.status == DeliveryStatus.PENDING
        assert "ConnectionRefusedError" in request.last_error
        settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
        traveller.shift(timedelta(days=2))
        assert event_delivery_attempt_task(str(request.delivery_id)) is True
        link = LINK.search(mail.outbox[0].body).group(1)  # type: ignore[union-attr]
        traveller.shift(timedelta(days=2))  # 4 days after the target, 2 after the email
        target_for_link = services.target_for_confirmation(link.split("/")[-2])
        assert target_for_link == target


def test_resending_the_confirmation_is_rate_limited(business_account, root, queued) -> None:
    rule = make_rule(business_account, root, pattern=PATTERN)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        target, _ = services.target_create(
            rule=rule, actor=root, kind="email", email="ops@example.com"
        )
        with pytest.raises(LimitExceededException) as raised:
            services.target_confirmation_resend(target=target, actor=root)
        assert raised.value.message == confirmation.MSG_RESEND_LIMIT.format(minutes=10)
        assert raised.value.code == "LimitExceededException"
        traveller.shift(confirmation.RESEND_INTERVAL - timedelta(seconds=1))
        with pytest.raises(LimitExceededException):
            services.target_confirmation_resend(target=target, actor=root)
        traveller.shift(timedelta(seconds=1))
        second = services.target_confirmation_resend(target=target, actor=root)
        assert second.purpose == DeliveryPurpose.CONFIRMATION
        with pytest.raises(LimitExceededException):
            services.target_confirmation_resend(target=target, actor=root)
    assert EventDelivery.objects.filter(purpose=DeliveryPurpose.CONFIRMATION).count() == 2
    record = AuditEvent.objects.get(event_name=confirmation.RESEND_TARGET_CONFIRMATION)
    assert record.response_elements == {"deliveryId": str(second.delivery_id)}
    # Only for email targets still waiting.
    confirmed = add_email(rule, "b@example.com", root)
    webhook, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    for other in (confirmed, webhook):
        with pytest.raises(ValidationException) as raised:
            services.target_confirmation_resend(target=other, actor=root)
        assert raised.value.message == confirmation.MSG_NOT_PENDING


def test_the_console_shows_the_status_and_offers_a_resend(
    root_client, business_account, root
) -> None:
    rule = make_rule(business_account, root, pattern=PATTERN)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        added = root_client.post(
            reverse("events:target-create", args=[rule.name]),
            {"kind": "email", "email": "ops@example.com"},
            follow=True,
        )
        target = EventTarget.objects.get()
        assert "A confirmation email is on its way to ops@example.com" in added.content.decode()
        page = root_client.get(reverse("events:rule", args=[rule.name])).content.decode()
        resend = reverse("events:target-resend-confirmation", args=[rule.name, target.target_id])
        assert "Pending confirmation" in page
        # Its email is in the outbox, not sent yet (the task runs after commit).
        assert "Confirmation email queued." in page and "Confirmation email sent." not in page
        available = timezone.localtime(start + confirmation.RESEND_INTERVAL)
        assert "You can resend it after <time" in page
        assert f"{available:%Y-%m-%d %H:%M:%S} UTC</time>." in page
        assert f'action="{resend}"' not in page
        refused = root_client.post(resend, follow=True)
        assert escape(confirmation.MSG_RESEND_LIMIT.format(minutes=10)) in (
            refused.content.decode()
        )
        failure = AuditEvent.objects.get(event_name=confirmation.RESEND_TARGET_CONFIRMATION)
        assert failure.error_code == "LimitExceededException"
        traveller.shift(confirmation.RESEND_INTERVAL)
        page = root_client.get(reverse("events:rule", args=[rule.name])).content.decode()
        assert f'action="{resend}"' in page
        assert root_client.get(resend).status_code == 405  # no state change on GET
        sent = root_client.post(resend, follow=True)
        assert "Confirmation email sent again to ops@example.com." in sent.content.decode()
    assert EventDelivery.objects.filter(purpose=DeliveryPurpose.CONFIRMATION).count() == 2
    # The delivery log lists the confirmation emails, without a Replay button.
    log = root_client.get(reverse("events:deliveries", args=[rule.name, target.target_id]))
    assert log.content.decode().count("Confirmation email") == 2
    assert ">Replay<" not in log.content.decode()
    # A reader sees the status but cannot resend.
    reader = factories.make_iam_user(business_account, policy="AmazonEventBridgeReadOnlyAccess")
    root_client.force_login(reader)
    with time_machine.travel(start + timedelta(hours=1)):
        page = root_client.get(reverse("events:rule", args=[rule.name])).content.decode()
        assert "Pending confirmation" in page and f'action="{resend}"' not in page
        assert root_client.post(resend).status_code == 403


def test_confirmation_emails_cannot_be_replayed(business_account, root) -> None:
    rule = make_rule(business_account, root, pattern=PATTERN)
    services.target_create(rule=rule, actor=root, kind="email", email="ops@example.com")
    request = EventDelivery.objects.get()
    assert event_delivery_attempt_task(str(request.delivery_id)) is True
    request.refresh_from_db()
    with pytest.raises(ValidationException) as raised:
        services.delivery_replay(delivery=request, actor=root)
    assert raised.value.message == services.MSG_REPLAY_CONFIRMATION


def test_deliveries_from_before_confirmation_was_required_are_not_sent(
    business_account, root
) -> None:
    # An email target that existed before (the migration makes it pending) with a delivery
    # already in the outbox: the sender refuses it instead of mailing an unconfirmed address.
    rule = make_rule(business_account, root, pattern=PATTERN)
    target = add_email(rule, "ops@example.com", root)
    publish(business_account)
    [delivery] = event_deliveries()
    EventTarget.objects.filter(pk=target.pk).update(
        confirmation_status=ConfirmationStatus.PENDING, confirmed_at=None
    )
    outbox = len(mail.outbox)
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is False
    assert len(mail.outbox) == outbox
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert attempt.error == delivery_module.MSG_UNCONFIRMED
    # Nor can one be replayed.
    EventDelivery.objects.filter(pk=delivery.pk).update(status=DeliveryStatus.FAILED)
    delivery.refresh_from_db()
    with pytest.raises(ValidationException) as raised:
        services.delivery_replay(delivery=delivery, actor=root)
    assert raised.value.message == services.MSG_REPLAY_UNCONFIRMED


def test_the_rule_page_shows_how_each_confirmation_email_is_doing(
    root_client, business_account, root, settings, django_assert_num_queries
) -> None:
    rule = make_rule(business_account, root, pattern=PATTERN)

    def add(email: str) -> EventTarget:
        return services.target_create(rule=rule, actor=root, kind="email", email=email)[0]

    def latest(target: EventTarget) -> EventDelivery:
        return EventDelivery.objects.filter(
            target=target, purpose=DeliveryPurpose.CONFIRMATION
        ).latest("created_at", "id")

    with time_machine.travel(timezone.now(), tick=False) as traveller:
        sent = add("sent@example.com")
        assert event_delivery_attempt_task(str(latest(sent).delivery_id)) is True
        # From here on the mail server refuses connections.
        settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
        settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
        retrying = add("retrying@example.com")
        assert event_delivery_attempt_task(str(latest(retrying).delivery_id)) is False
        failed = add("failed@example.com")
        resent = add("resent@example.com")
        for target in (failed, resent):
            delivery = latest(target)
            for _ in range(delivery_module.MAX_ATTEMPTS):
                if delivery.next_attempt_at > timezone.now():
                    traveller.move_to(delivery.next_attempt_at)
                event_delivery_attempt_task(str(delivery.delivery_id))
                delivery.refresh_from_db()
            assert delivery.status == DeliveryStatus.FAILED
        # A new confirmation email after the failed one, not tried yet: the latest counts.
        services.target_confirmation_resend(target=resent, actor=root)
        confirmed = add_email(rule, "confirmed@example.com", root)
        root_client.force_login(factories.root_of(business_account))  # a day later: sign in
        # 1 session; 2 user with account; 3 the rule; 4 the targets with their delivery
        # counts and latest confirmation email: the same whatever the number of targets.
        with django_assert_num_queries(4):
            response = root_client.get(reverse("events:rule", args=[rule.name]))
    page = response.content.decode()
    targets = {t.target_id: t for t in response.context["targets"]}
    assert {tid: t.confirmation_state for tid, t in targets.items()} == {
        sent.target_id: "sent",
        retrying.target_id: "retrying",
        failed.target_id: "failed",
        resent.target_id: "sending",
        confirmed.target_id: None,
    }
    assert page.count("Confirmation email sent.") == 1
    assert page.count("Confirmation email queued.") == 1
    retry_error = latest(retrying).last_error
    assert "ConnectionRefusedError" in retry_error
    assert escape(f"Confirmation email not delivered yet ({retry_error}); retrying.") in page
    failure = latest(failed).last_error
    assert escape(f"Confirmation email could not be delivered: {failure}") in page
    # The Deliveries cell counts the confirmation emails too (the log it links to lists them).
    counts = {
        tid: (t.delivered_count, t.failed_count, t.waiting_count) for tid, t in targets.items()
    }
    assert counts == {
        sent.target_id: (1, 0, 0),
        retrying.target_id: (0, 0, 1),
        failed.target_id: (0, 1, 0),
        resent.target_id: (0, 1, 1),
        confirmed.target_id: (0, 0, 1),
    }
    assert "0 delivered, 1 failed, 1 waiting" in page
