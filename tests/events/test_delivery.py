"""Delivering events: webhooks against a real HTTP server, email through locmem, SNS and SQS
against moto; claims, retries with backoff, the attempt log, the sweep and replay. (The
receiver is on loopback, so these tests allow private webhooks; test_webhook_ssrf.py tests
the guard.)"""

from __future__ import annotations

import hashlib
import hmac
import json
from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.utils import timezone

from accounts.principals import SYSTEM
from audit.models import AuditEvent
from core import crypto
from core.errors import ValidationException
from events import services
from events.models import DeliveryAttempt, DeliveryPurpose, DeliveryStatus, EventDelivery
from events.services import delivery as delivery_module
from events.services import sending as sending_module
from events.services import webhook as webhook_module
from events.services.publish import events_publish
from events.tasks import event_deliveries_sweep_task, event_delivery_attempt_task
from tests import factories
from tests.events.conftest import add_email, add_webhook, make_rule, run_queued

PATTERN = {"source": ["aws.support"]}


def publish(account, **detail: object) -> dict:  # type: ignore[no-untyped-def]
    return services.event_publish(
        account=account,
        source="aws.support",
        detail_type="Support Case Update",
        detail={"event-name": "CreateCase", **detail},
    )


@pytest.mark.usefixtures("allow_private_webhooks")
def test_webhook_delivers_once_with_a_valid_signature(
    webhook, business_account, root, queued
) -> None:
    rule = make_rule(business_account, root, pattern=PATTERN)
    target, secret = add_webhook(rule, webhook.url, root)
    event = publish(business_account, **{"case-id": "case-1"})
    delivery = EventDelivery.objects.get()
    # The task may run twice (a redelivered message, a copy queued by the sweep): the
    # receiver still gets it once, and the sweep finds nothing left to queue.
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is True
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is False
    assert event_deliveries_sweep_task() == 0
    assert queued == []
    assert len(webhook.requests) == 1

    request = webhook.requests[0]
    body = request["body"]
    assert request["path"] == "/hooks/support"
    assert json.loads(body) == event
    headers = request["headers"]
    assert headers["content-type"] == "application/json"
    expected = "sha256=" + hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers["x-supportcenter-signature"], expected)
    assert headers["x-supportcenter-signature"] == services.webhook_signature(secret, body)
    assert headers["x-supportcenter-delivery"] == str(delivery.delivery_id)
    assert abs(int(headers["x-supportcenter-timestamp"]) - timezone.now().timestamp()) < 60
    assert crypto.decrypt(target.secret_encrypted) == secret

    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED
    assert delivery.attempts == 1 and delivery.delivered_at is not None
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert attempt.number == 1 and attempt.succeeded
    assert attempt.http_status == 200
    assert attempt.response_excerpt == "thanks"
    assert attempt.error == ""


@pytest.mark.usefixtures("allow_private_webhooks")
def test_webhook_failures_back_off_then_fail(webhook, business_account, root, queued) -> None:
    rule = make_rule(business_account, root, pattern=PATTERN)
    add_webhook(rule, webhook.url, root)
    webhook.statuses = [500] * services.MAX_ATTEMPTS
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        publish(business_account)
        delivery = EventDelivery.objects.get()
        assert event_delivery_attempt_task(str(delivery.delivery_id)) is False
        waits = []
        for attempt in range(2, services.MAX_ATTEMPTS + 1):
            delivery.refresh_from_db()
            assert delivery.status == DeliveryStatus.PENDING
            wait = delivery.next_attempt_at - timezone.now()
            waits.append(wait)
            # Not due yet: neither the task nor the sweep tries again.
            traveller.shift(wait - timedelta(seconds=1))
            assert event_delivery_attempt_task(str(delivery.delivery_id)) is False
            assert event_deliveries_sweep_task() == 0
            assert len(webhook.requests) == attempt - 1
            traveller.shift(timedelta(seconds=1))
            assert event_deliveries_sweep_task() == 1  # queued, not sent by the sweep
            assert len(webhook.requests) == attempt - 1
            assert run_queued(queued) == [False]  # tried, and failed again
            assert len(webhook.requests) == attempt
    assert waits == list(services.BACKOFF)
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.attempts == services.MAX_ATTEMPTS
    assert delivery.last_error == "HTTP 500"
    attempts = list(DeliveryAttempt.objects.filter(delivery=delivery).order_by("number"))
    assert [a.number for a in attempts] == list(range(1, services.MAX_ATTEMPTS + 1))
    assert {(a.succeeded, a.http_status, a.error) for a in attempts} == {(False, 500, "HTTP 500")}
    assert attempts[0].response_excerpt == "upstream exploded"
    # Given up: nothing retries it any more.
    with time_machine.travel(timezone.now() + timedelta(days=1), tick=False):
        assert event_deliveries_sweep_task() == 0
    assert len(webhook.requests) == services.MAX_ATTEMPTS


@pytest.mark.usefixtures("allow_private_webhooks")
def test_a_retry_succeeds(webhook, business_account, root, queued) -> None:
    add_webhook(make_rule(business_account, root, pattern=PATTERN), webhook.url, root)
    webhook.statuses = [503]
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        publish(business_account)
        delivery = EventDelivery.objects.get()
        assert not event_delivery_attempt_task(str(delivery.delivery_id))
        traveller.shift(services.BACKOFF[0])
        assert event_deliveries_sweep_task() == 1
        assert run_queued(queued) == [True]
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert delivery.last_error == ""
    assert [(a.number, a.succeeded) for a in delivery.attempt_log.order_by("number")] == [
        (1, False),
        (2, True),
    ]


@pytest.mark.usefixtures("allow_private_webhooks")
def test_unreachable_webhooks_and_redirects_are_failures(webhook, business_account, root) -> None:
    rule = make_rule(business_account, root, pattern=PATTERN)
    add_webhook(rule, "http://127.0.0.1:9/nothing-listens", root)
    webhook.statuses = [302]
    add_webhook(rule, webhook.url, root)
    publish(business_account)
    for delivery in EventDelivery.objects.all():
        assert (
            delivery_module.delivery_attempt(delivery_id=str(delivery.delivery_id), actor=SYSTEM)
            is False
        )
    errors = {
        a.delivery.target.url: (a.http_status, a.error)
        for a in DeliveryAttempt.objects.select_related("delivery__target")
    }
    assert errors[webhook.url] == (302, "HTTP 302")
    status, error = errors["http://127.0.0.1:9/nothing-listens"]
    assert status is None and error.startswith("ConnectionRefusedError")


@pytest.mark.usefixtures("allow_private_webhooks")
def test_the_sweep_releases_stuck_deliveries(webhook, business_account, root, queued) -> None:
    add_webhook(make_rule(business_account, root, pattern=PATTERN), webhook.url, root)
    publish(business_account)
    start = timezone.now()
    # A worker claimed it and died before recording anything.
    EventDelivery.objects.update(status=DeliveryStatus.SENDING, claimed_at=start, attempts=1)
    with time_machine.travel(start + timedelta(minutes=5), tick=False):
        assert event_deliveries_sweep_task() == 0  # may still be sending
    assert webhook.requests == []
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        assert event_deliveries_sweep_task() == 1
        assert webhook.requests == []  # released and queued; the task sends it
        assert run_queued(queued) == [True]
    delivery = EventDelivery.objects.get()
    assert delivery.status == DeliveryStatus.DELIVERED and delivery.attempts == 2
    assert len(webhook.requests) == 1
    # Out of attempts while stuck: failed, not retried.
    EventDelivery.objects.update(
        status=DeliveryStatus.SENDING, claimed_at=start, attempts=services.MAX_ATTEMPTS
    )
    with time_machine.travel(start + timedelta(minutes=11), tick=False):
        assert event_deliveries_sweep_task() == 0
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.FAILED
    assert delivery.last_error == delivery_module.MSG_GAVE_UP


@pytest.mark.usefixtures("allow_private_webhooks")
def test_a_deleted_target_drops_its_deliveries(webhook, business_account, root) -> None:
    target, _ = add_webhook(make_rule(business_account, root, pattern=PATTERN), webhook.url, root)
    publish(business_account)
    delivery_id = str(EventDelivery.objects.get().delivery_id)
    services.target_delete(target=target, actor=root)
    assert event_delivery_attempt_task(delivery_id) is False
    assert webhook.requests == []


@pytest.mark.usefixtures("allow_private_webhooks")
def test_replay_sends_the_same_event_again(webhook, business_account, root) -> None:
    add_webhook(make_rule(business_account, root, pattern=PATTERN), webhook.url, root)
    event = publish(business_account)
    original = EventDelivery.objects.get()
    with pytest.raises(ValidationException) as raised:  # still pending: it will go out anyway
        services.delivery_replay(delivery=original, actor=root)
    assert raised.value.message == services.MSG_REPLAY_PENDING
    assert event_delivery_attempt_task(str(original.delivery_id))
    original.refresh_from_db()
    replay = services.delivery_replay(delivery=original, actor=root)
    assert replay.replay_of == original
    assert replay.delivery_id != original.delivery_id
    assert replay.status == DeliveryStatus.PENDING and replay.attempts == 0
    assert event_delivery_attempt_task(str(replay.delivery_id))
    assert event_delivery_attempt_task(str(replay.delivery_id)) is False
    assert [json.loads(r["body"]) for r in webhook.requests] == [event, event]
    assert [r["headers"]["x-supportcenter-delivery"] for r in webhook.requests] == [
        str(original.delivery_id),
        str(replay.delivery_id),
    ]
    record = AuditEvent.objects.get(event_name="StartReplay")
    assert record.request_parameters["deliveryId"] == str(original.delivery_id)
    assert record.response_elements == {"deliveryId": str(replay.delivery_id)}


def test_email_target(business_account, root, settings) -> None:
    settings.SITE_URL = "https://support.example.com"
    rule = make_rule(business_account, root, pattern=PATTERN)
    add_email(rule, "ops@example.com", root)
    event = publish(business_account, **{"display-id": "1000001", "case-id": "case-1"})
    delivery = EventDelivery.objects.get(purpose=DeliveryPurpose.EVENT)
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is True
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is False
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["ops@example.com"]
    assert message.subject == "[Support Center] Support Case Update (case 1000001, CreateCase)"
    assert 'An event matched your rule "support-updates".' in message.body
    assert "Source: aws.support" in message.body
    assert "  case-id: case-1" in message.body
    # The whole event, in AWS's key order (whatever order the database gave it back in).
    assert sending_module.event_text(event) in message.body
    assert "https://support.example.com/events/rules/support-updates/" in message.body
    attempt = DeliveryAttempt.objects.get(delivery=delivery)
    assert attempt.succeeded and attempt.response_excerpt == "Sent to ops@example.com"


def test_email_failures_are_retried(business_account, root, settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT, settings.EMAIL_TIMEOUT = "127.0.0.1", 9, 2
    rule = make_rule(business_account, root, pattern=PATTERN)
    add_email(rule, "ops@example.com", root)
    publish(business_account)
    delivery = EventDelivery.objects.get(purpose=DeliveryPurpose.EVENT)
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is False
    delivery.refresh_from_db()
    assert delivery.status == DeliveryStatus.PENDING
    assert "ConnectionRefusedError" in delivery.last_error


def test_sqs_target_in_the_connected_environment(moto_aws, business_account, root) -> None:
    session, endpoint = moto_aws
    sqs = session.client("sqs", endpoint_url=endpoint, region_name="eu-west-1")
    queue_url = sqs.create_queue(QueueName="support-events")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"][
        "QueueArn"
    ]
    assert arn.startswith("arn:aws:sqs:eu-west-1:")
    rule = make_rule(business_account, root, pattern=PATTERN)
    services.target_create(rule=rule, actor=root, kind="sqs", arn=arn)
    event = publish(business_account)
    delivery = EventDelivery.objects.get()
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is True
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is False
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert [json.loads(m["Body"]) for m in messages] == [event]
    attempt = DeliveryAttempt.objects.get()
    assert attempt.succeeded and attempt.http_status == 200
    assert attempt.response_excerpt == f"MessageId: {messages[0]['MessageId']}"


def test_sns_target_fans_out_to_a_subscribed_queue(moto_aws, business_account, root) -> None:
    session, endpoint = moto_aws
    sns = session.client("sns", endpoint_url=endpoint, region_name="us-east-1")
    sqs = session.client("sqs", endpoint_url=endpoint, region_name="us-east-1")
    topic_arn = sns.create_topic(Name="support-alerts")["TopicArn"]
    queue_url = sqs.create_queue(QueueName="alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    sns.subscribe(TopicArn=topic_arn, Protocol="sqs", Endpoint=queue_arn)
    rule = make_rule(business_account, root, pattern=PATTERN)
    services.target_create(rule=rule, actor=root, kind="sns", arn=topic_arn)
    event = publish(business_account)
    delivery = EventDelivery.objects.get()
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is True
    messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(messages) == 1
    envelope = json.loads(messages[0]["Body"])
    assert envelope["TopicArn"] == topic_arn
    assert json.loads(envelope["Message"]) == event


def test_aws_errors_are_logged_attempts(moto_aws, business_account, root, monkeypatch) -> None:
    rule = make_rule(business_account, root, pattern=PATTERN)
    services.target_create(
        rule=rule, actor=root, kind="sqs", arn="arn:aws:sqs:us-east-1:123456789012:missing"
    )
    publish(business_account)
    delivery = EventDelivery.objects.get()
    assert event_delivery_attempt_task(str(delivery.delivery_id)) is False
    attempt = DeliveryAttempt.objects.get()
    assert attempt.error.startswith("AWS.SimpleQueueService.NonExistentQueue") or (
        "NonExistentQueue" in attempt.error
    )
    assert attempt.http_status == 400

    from core.errors import AwsConnectionNotConfigured

    def not_connected(account):  # type: ignore[no-untyped-def]
        raise AwsConnectionNotConfigured()

    monkeypatch.setattr("connections.sessions.aws_session", not_connected)
    publish(business_account)
    second = EventDelivery.objects.exclude(pk=delivery.pk).get()
    assert event_delivery_attempt_task(str(second.delivery_id)) is False
    second.refresh_from_db()
    assert second.last_error == (
        "AwsConnectionNotConfigured: This account has not connected an AWS environment."
    )
    assert second.status == DeliveryStatus.PENDING


def test_factories_still_build_cases_with_rules(business_account, root) -> None:
    # A rule on every event must not disturb case creation.
    add_webhook(
        make_rule(business_account, root, pattern={"source": [{"prefix": ""}]}),
        "https://a.example.com/",
    )
    case = factories.make_case(business_account, root)
    assert EventDelivery.objects.get().event["detail"]["case-id"] == case.case_id


@pytest.mark.usefixtures("allow_private_webhooks")
def test_the_sweep_queues_the_oldest_due_deliveries_and_sends_nothing(
    webhook, business_account, root, queued
) -> None:
    add_webhook(make_rule(business_account, root, pattern=PATTERN), webhook.url, root)
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(5):
            publish(business_account)
            traveller.shift(timedelta(seconds=1))
        # The broker never took their tasks.
        oldest_first = [
            str(d.delivery_id) for d in EventDelivery.objects.order_by("next_attempt_at", "id")
        ]
        # Queued only when they became due after their last queueing or it was long ago.
        assert event_deliveries_sweep_task() == 0
        traveller.shift(delivery_module.REQUEUE_AFTER)
        assert delivery_module.deliveries_sweep(actor=SYSTEM, batch_size=3) == 3
        assert queued == oldest_first[:3]
        # The next run does not queue those again while they wait for a worker.
        assert delivery_module.deliveries_sweep(actor=SYSTEM, batch_size=3) == 2
        assert queued == oldest_first
        assert event_deliveries_sweep_task() == 0
        assert webhook.requests == []  # the sweep itself sent nothing
        assert set(EventDelivery.objects.values_list("status", flat=True)) == {"pending"}
        # The tasks were lost after all: queued again once REQUEUE_AFTER has passed.
        traveller.shift(delivery_module.REQUEUE_AFTER + timedelta(seconds=1))
        assert event_deliveries_sweep_task() == 5
        assert queued == oldest_first * 2
        # Every copy runs; each delivery is sent once.
        assert sorted(run_queued(queued)) == [False] * 5 + [True] * 5
    assert len(webhook.requests) == 5
    assert [r["headers"]["x-supportcenter-delivery"] for r in webhook.requests] == oldest_first


def test_the_sweep_is_capped_per_run(business_account, root, queued) -> None:
    add_webhook(make_rule(business_account, root, pattern=PATTERN), "https://a.example.com/")
    events_publish(
        account=business_account,
        source="aws.support",
        detail_type="Support Case Update",
        details=[{"n": n} for n in range(delivery_module.SWEEP_BATCH + 5)],
    )
    later = timezone.now() + delivery_module.REQUEUE_AFTER + timedelta(seconds=1)
    with time_machine.travel(later, tick=False):
        assert event_deliveries_sweep_task() == delivery_module.SWEEP_BATCH
        assert event_deliveries_sweep_task() == 5
    assert len(set(queued)) == delivery_module.SWEEP_BATCH + 5


def test_a_claim_outlives_any_attempt() -> None:
    # A row is released to another worker only long after its attempt must have ended.
    longest = timedelta(seconds=webhook_module.WEBHOOK_DEADLINE_SECONDS)
    assert delivery_module.STUCK_AFTER >= 20 * longest


def test_events_keep_awss_key_order_whatever_the_database_does() -> None:
    """PostgreSQL's jsonb hands objects back with their keys sorted by length; what targets
    receive is put back in AWS's order."""
    as_jsonb = {
        "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718",
        "time": "2016-11-13T13:31:34Z",
        "detail": {
            "uuid": "cb21b8a9-1a7b-4b6d-9f0b-4f0f6cbd1a3e",
            "status": "WARN",
            "check-name": "Amazon RDS Idle DB Instances",
            "previous-status": "OK",
            "resource_id": "arn:aws:rds:eu-west-1:123456789012:db:sam",
            "check-item-detail": {"Region": "eu-west-1"},
        },
        "region": "us-east-1",
        "source": "aws.trustedadvisor",
        "account": "123456789012",
        "version": "0",
        "resources": [],
        "detail-type": "Trusted Advisor Check Item Refresh Notification",
    }
    ordered = sending_module.ordered_event(as_jsonb)
    assert list(ordered) == [
        "version",
        "id",
        "detail-type",
        "source",
        "account",
        "time",
        "region",
        "resources",
        "detail",
    ]
    assert list(ordered["detail"]) == [
        "check-name",
        "check-item-detail",
        "status",
        "previous-status",
        "resource_id",
        "uuid",
    ]
    assert json.loads(sending_module.event_body(as_jsonb)) == as_jsonb
