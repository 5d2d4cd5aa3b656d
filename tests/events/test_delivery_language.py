"""Event emails in the owning account's language, and the delivery log in its reader's.

Emails are sent by a worker whose own language is whatever it happens to be (English, or the
last request's), so they are written in the rule's account's language at send time. The delivery
log keeps each message of ours as its msgid and values, and the page translates it for whoever
reads it: the same row reads in Japanese to one user and in English to another.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from accounts.models import Account
from accounts.principals import SYSTEM
from core.errors import AwsConnectionNotConfigured
from events import services
from events.models import DeliveryPurpose, DeliveryStatus, EventDelivery
from events.services.outbox import STUCK_AFTER
from events.tasks import event_delivery_attempt_task
from tests.events.conftest import add_email, add_webhook, make_rule, run_queued

PATTERN = {"source": ["aws.support"]}
JA = {"HTTP_ACCEPT_LANGUAGE": "ja"}
EN = {"HTTP_ACCEPT_LANGUAGE": "en"}


@pytest.fixture
def japanese_account(business_account: Account) -> Account:
    Account.objects.filter(pk=business_account.pk).update(language="ja")
    business_account.refresh_from_db()
    return business_account


def publish(account: Account) -> None:
    services.event_publish(
        account=account,
        source="aws.support",
        detail_type="Support Case Update",
        detail={"event-name": "CreateCase", "display-id": "12345"},
    )


def test_the_confirmation_email_is_in_the_accounts_language(
    japanese_account, root, settings, queued, django_capture_on_commit_callbacks
) -> None:
    settings.SITE_URL = "https://support.example.com"
    rule = make_rule(japanese_account, root, pattern=PATTERN)
    with django_capture_on_commit_callbacks(execute=True):
        services.target_create(rule=rule, actor=root, kind="email", email="ops@example.com")
    # The worker runs in English; the email is written in the account's Japanese.
    assert translation.get_language() == "en"
    assert run_queued(queued) == [True]
    [message] = mail.outbox
    assert message.to == ["ops@example.com"]
    assert message.subject == "[サポートセンター] ops@example.com へのイベント通知の確認"
    assert "通知を受け取るには、次のリンクを開いて「確認する」を押してください:" in message.body
    assert "https://support.example.com/events/confirm/" in message.body
    assert "To receive them" not in message.body
    # The worker's language is left as it was.
    assert translation.get_language() == "en"


def test_an_english_accounts_confirmation_email_stays_english_in_a_japanese_worker(
    business_account, root, queued, django_capture_on_commit_callbacks
) -> None:
    rule = make_rule(business_account, root, pattern=PATTERN)
    with django_capture_on_commit_callbacks(execute=True):
        services.target_create(rule=rule, actor=root, kind="email", email="ops@example.com")
    with translation.override("ja"):  # the last request this worker thread served
        assert run_queued(queued) == [True]
    [message] = mail.outbox
    assert message.subject == "[Support Center] Confirm event notifications to ops@example.com"


def test_event_emails_are_in_the_accounts_language_and_logged_in_the_readers(
    root_client, japanese_account, root
) -> None:
    rule = make_rule(japanese_account, root, pattern=PATTERN)
    target = add_email(rule)
    publish(japanese_account)
    delivery = EventDelivery.objects.get(purpose=DeliveryPurpose.EVENT)
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is True
    [message] = mail.outbox
    assert message.body.startswith("イベントがルール「support-updates」に一致しました。\n")
    assert "イベント (JSON):" in message.body and "The event (JSON):" not in message.body
    assert "ケース 12345、CreateCase" in message.subject

    # What the attempt says ("sent to ..."), in the language of whoever reads the log.
    log_url = reverse("events:deliveries", args=[rule.name, target.target_id])
    japanese = root_client.get(log_url, **JA).content.decode()
    assert "ops@example.com に送信しました" in japanese and "Sent to" not in japanese
    english = root_client.get(log_url, **EN).content.decode()
    assert "Sent to ops@example.com" in english and "に送信しました" not in english


def test_a_failed_webhook_delivery_is_logged_in_the_readers_language(
    root_client, japanese_account, root, webhook, settings
) -> None:
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = True
    rule = make_rule(japanese_account, root, pattern=PATTERN)
    target, _secret = add_webhook(rule, webhook.url, root)
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = False
    publish(japanese_account)
    delivery = EventDelivery.objects.get()
    # Whatever language the worker was left in, the log is not written in it.
    with translation.override("ja"):
        assert event_delivery_attempt_task(str(delivery.delivery_id)) is False
    delivery.refresh_from_db()
    english = (
        "Not sent: 127.0.0.1 resolves to 127.0.0.1, which is not a public internet address "
        "(private, loopback, link-local and reserved addresses are refused)."
    )
    japanese = (
        "送信していません: 127.0.0.1 は 127.0.0.1 に解決されますが、これはインターネット上の"
        "公開アドレスではありません (プライベート、ループバック、リンクローカル、予約済みの"
        "アドレスは拒否されます)。"
    )
    # The columns keep the English (the admin, logs); the page translates.
    assert delivery.last_error == english
    assert webhook.requests == []

    log_url = reverse("events:deliveries", args=[rule.name, target.target_id])
    ja_page = root_client.get(log_url, **JA).content.decode()
    # The "Last error" column and the attempt's result.
    assert ja_page.count(escape(japanese)) == 2
    assert "Not sent" not in ja_page
    en_page = root_client.get(log_url, **EN).content.decode()
    assert en_page.count(escape(english)) == 2
    assert "送信していません" not in en_page


def test_a_confirmation_email_given_up_on_reads_in_the_readers_language(
    root_client, japanese_account, root
) -> None:
    rule = make_rule(japanese_account, root, pattern=PATTERN)
    target, _secret = services.target_create(
        rule=rule, actor=root, kind="email", email="ops@example.com"
    )
    # Its worker died mid-send on the last attempt: the sweep gives up on it.
    long_ago = timezone.now() - STUCK_AFTER - timedelta(minutes=1)
    EventDelivery.objects.filter(target=target).update(
        status=DeliveryStatus.SENDING, attempts=services.MAX_ATTEMPTS, claimed_at=long_ago
    )
    services.deliveries_sweep(actor=SYSTEM)
    assert EventDelivery.objects.get().status == DeliveryStatus.FAILED

    rule_url = reverse("events:rule", args=[rule.name])
    log_url = reverse("events:deliveries", args=[rule.name, target.target_id])
    gave_up = "中断された試行が繰り返されたため、送信を断念しました"
    ja_rule = root_client.get(rule_url, **JA).content.decode()
    assert f"確認メールを配信できませんでした: {gave_up}" in ja_rule
    ja_log = root_client.get(log_url, **JA).content.decode()
    assert gave_up in ja_log
    assert "gave up" not in ja_log
    en_rule = root_client.get(rule_url, **EN).content.decode()
    assert (
        "Confirmation email could not be delivered: gave up after repeated interrupted attempts"
        in en_rule
    )


def test_a_refusal_of_ours_in_the_log_reads_in_the_readers_language(
    root_client, business_account, root, monkeypatch
) -> None:
    def not_connected(account: Account) -> None:
        raise AwsConnectionNotConfigured()

    monkeypatch.setattr("connections.sessions.aws_session", not_connected)
    rule = make_rule(business_account, root, pattern=PATTERN)
    target, _secret = services.target_create(
        rule=rule, actor=root, kind="sns", arn="arn:aws:sns:us-east-1:123456789012:updates"
    )
    publish(business_account)
    delivery = EventDelivery.objects.get()
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is False
    log_url = reverse("events:deliveries", args=[rule.name, target.target_id])
    ja_page = root_client.get(log_url, **JA).content.decode()
    japanese = "AwsConnectionNotConfigured: このアカウントは AWS 環境を接続していません。"
    assert ja_page.count(japanese) == 2
    en_page = root_client.get(log_url, **EN).content.decode()
    english = "AwsConnectionNotConfigured: This account has not connected an AWS environment."
    assert en_page.count(english) == 2
