"""A rule's targets and delivery logs through Django's test client: secrets and replays."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape

from audit.models import AuditEvent
from core import crypto
from core.errors import LimitExceededException
from events import services
from events.models import DeliveryAttempt, DeliveryStatus, EventDelivery, EventTarget
from tests import factories
from tests.events.conftest import HTMX, add_webhook, make_rule


def test_webhook_secret_is_shown_once(root_client, business_account) -> None:
    rule = make_rule(business_account, name="case-updates")
    url = reverse("events:target-create", args=[rule.name])
    rule_url = reverse("events:rule", args=[rule.name])
    response = root_client.post(url, {"kind": "webhook", "url": "https://hooks.example.com/in"})
    # Post/Redirect/Get: the secret is not in the POST's response.
    assert response.status_code == 302 and response["Location"] == rule_url
    target = EventTarget.objects.get()
    secret = crypto.decrypt(target.secret_encrypted)
    assert secret.startswith("whsec_")
    # The session holds it encrypted only, until the rule's page shows it.
    assert secret not in json.dumps(dict(root_client.session))
    shown = root_client.get(rule_url)
    assert shown["Cache-Control"] == "no-store"
    assert shown.content.decode().count(secret) == 1
    assert shown.context["new_secrets"] == [{"target_id": target.target_id, "secret": secret}]
    assert f"Target {target.target_id} added." in shown.content.decode()
    # Reloading the page shows it no more, and creates nothing.
    again = root_client.get(rule_url)
    assert secret not in again.content.decode() and "https://hooks.example.com/in" in (
        again.content.decode()
    )
    assert "no-store" not in again.get("Cache-Control", "")
    assert EventTarget.objects.count() == 1
    # Other kinds have no secret: back to the rule's page.
    email = root_client.post(url, {"kind": "email", "email": "ops@example.com"})
    assert email.status_code == 302
    bad = root_client.post(url, {"kind": "sqs", "arn": "not-an-arn"})
    assert bad.status_code == 400
    assert bad.context["target_form"].errors["arn"] == [services.MSG_SQS_ARN]
    assert AuditEvent.objects.filter(
        event_name="PutTargets", error_code="ValidationException"
    ).exists()
    removed = root_client.post(reverse("events:target-delete", args=[rule.name, target.target_id]))
    assert removed.status_code == 302 and removed["Location"] == rule_url
    assert list(EventTarget.objects.values_list("kind", flat=True)) == ["email"]


def test_delivery_log_and_replay(root_client, business_account, root) -> None:
    rule = make_rule(business_account, root, name="case-updates")
    target, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    case = factories.make_case(business_account, root)
    delivery = EventDelivery.objects.get()
    EventDelivery.objects.filter(pk=delivery.pk).update(
        status=DeliveryStatus.FAILED, attempts=6, last_error="HTTP 500"
    )
    log_url = reverse("events:deliveries", args=[rule.name, target.target_id])
    page = root_client.get(log_url).content.decode()
    assert case.case_id in page and "HTTP 500" in page and "Replay" in page
    replay_url = reverse("events:replay", args=[rule.name, target.target_id, delivery.delivery_id])
    assert root_client.get(replay_url).status_code == 405
    response = root_client.post(replay_url)
    assert response.status_code == 302 and response["Location"] == log_url
    replay = EventDelivery.objects.exclude(pk=delivery.pk).get()
    assert replay.replay_of == delivery and replay.status == DeliveryStatus.PENDING
    partial = root_client.get(log_url, {"page": "1"}, **HTMX).content.decode()
    assert "<html" not in partial and "(replay)" in partial


@pytest.mark.parametrize("count", [3, 45])
def test_delivery_log_query_count_does_not_depend_on_size(
    root_client, business_account, root, count, django_assert_num_queries
) -> None:
    rule = make_rule(business_account, root, name="everything", pattern={"source": ["x"]})
    target, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    for _ in range(count):
        services.event_publish(account=business_account, source="x", detail_type="t", detail={})
    DeliveryAttempt.objects.bulk_create(
        DeliveryAttempt(
            delivery=d,
            number=1,
            started_at=timezone.now(),
            duration_ms=5,
            succeeded=False,
            error="HTTP 500",
        )
        for d in EventDelivery.objects.all()
    )
    url = reverse("events:deliveries", args=[rule.name, target.target_id])
    second = root_client.get(url).context["next_token"] if count > 20 else ""
    # 1 session; 2 user with account; 3 the rule; 4 the target; 5 the page (keyset: no
    # count); 6 the page's attempts.
    with django_assert_num_queries(6):
        response = root_client.get(url, {"cursor": second} if second else {})
    assert response.status_code == 200
    assert len(response.context["deliveries"]) == min(count, 20)


def test_admin_lists_rules_and_deliveries(client, business_account, root) -> None:
    add_webhook(make_rule(business_account, root, name="mine"), "https://hooks.example.com/in")
    factories.make_case(business_account, root)
    operator = factories.make_engineer(email="admin@example.com")
    operator.is_superuser = True
    operator.save(update_fields=["is_superuser"])
    client.force_login(operator)
    for name in ("eventrule", "eventdelivery"):
        assert client.get(reverse(f"admin:events_{name}_changelist")).status_code == 200
    delivery = EventDelivery.objects.get()
    page = client.get(reverse("admin:events_eventdelivery_change", args=[delivery.pk]))
    assert page.status_code == 200


def test_replays_are_limited_per_account(
    root_client, business_account, other_account, root
) -> None:
    rule = make_rule(business_account, root, name="case-updates")
    target, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    factories.make_case(business_account, root)
    original = EventDelivery.objects.get()
    EventDelivery.objects.filter(pk=original.pk).update(status=DeliveryStatus.DELIVERED)
    original.refresh_from_db()
    start = timezone.now()
    with time_machine.travel(start, tick=False) as traveller:
        for _ in range(services.MAX_REPLAYS_PER_HOUR - 1):
            services.delivery_replay(delivery=original, actor=root)
        traveller.shift(timedelta(minutes=30))
        services.delivery_replay(delivery=original, actor=root)
        with pytest.raises(LimitExceededException) as raised:
            services.delivery_replay(delivery=original, actor=root)
        assert raised.value.code == "LimitExceededException"
        assert raised.value.message == services.MSG_REPLAY_LIMIT.format(limit=30)
        # The console shows the refusal as a message (not an error page) and audits it.
        log_url = reverse("events:deliveries", args=[rule.name, target.target_id])
        replay_url = reverse(
            "events:replay", args=[rule.name, target.target_id, original.delivery_id]
        )
        response = root_client.post(replay_url, follow=True)
        assert response.redirect_chain == [(log_url, 302)]
        assert escape(services.MSG_REPLAY_LIMIT.format(limit=30)) in response.content.decode()
        failure = AuditEvent.objects.get(event_name="StartReplay", error_code__gt="")
        assert failure.error_code == "LimitExceededException"
        assert EventDelivery.objects.filter(replay_of=original).count() == 30
        # Another account has its own allowance.
        theirs = make_rule(other_account, name="theirs", pattern={"source": ["aws.support"]})
        add_webhook(theirs, "https://hooks.example.com/other")
        factories.make_case(other_account)
        their_delivery = EventDelivery.objects.get(target__rule=theirs)
        EventDelivery.objects.filter(pk=their_delivery.pk).update(status=DeliveryStatus.FAILED)
        their_delivery.refresh_from_db()
        services.delivery_replay(
            delivery=their_delivery, actor=factories.principal(factories.root_of(other_account))
        )
        # The first 29 are an hour old: room for 29 more.
        traveller.shift(timedelta(minutes=30, seconds=1))
        assert root_client.post(replay_url).status_code == 302
    assert EventDelivery.objects.filter(replay_of=original).count() == 31


def test_delivery_log_times_have_a_zone_and_replays_keep_the_event_time(
    root_client, business_account, root
) -> None:
    rule = make_rule(business_account, root, name="case-updates")
    target, _ = add_webhook(rule, "https://hooks.example.com/in", root)
    published = timezone.now().replace(microsecond=0)
    with time_machine.travel(published, tick=False) as traveller:
        factories.make_case(business_account, root)
        original = EventDelivery.objects.get()
        DeliveryAttempt.objects.create(
            delivery=original,
            number=1,
            started_at=published,
            duration_ms=5,
            succeeded=False,
            error="HTTP 500",
        )
        EventDelivery.objects.filter(pk=original.pk).update(
            status=DeliveryStatus.FAILED, attempts=1, last_error="HTTP 500"
        )
        original.refresh_from_db()
        traveller.shift(timedelta(hours=2))
        replay = services.delivery_replay(delivery=original, actor=root)
        retry_at = published + timedelta(hours=2, minutes=1)
        EventDelivery.objects.filter(pk=replay.pk).update(attempts=1, next_attempt_at=retry_at)
        response = root_client.get(reverse("events:deliveries", args=[rule.name, target.target_id]))
    page = response.content.decode()
    shown = {d.delivery_id: d for d in response.context["deliveries"]}
    # The replay shows its event's time; when it was queued is shown apart, and labelled.
    assert shown[replay.delivery_id].event_time == published
    assert shown[original.delivery_id].event_time == published
    assert f"{published:%Y-%m-%d %H:%M:%S} UTC" in page
    queued = published + timedelta(hours=2)
    assert "replay queued <time" in page
    assert f"{queued:%Y-%m-%d %H:%M:%S} UTC</time>" in page
    assert "next try <time" in page
    assert f"{retry_at:%Y-%m-%d %H:%M:%S} UTC</time>" in page
    assert ">Event time<" in page and ">Published<" not in page
    # Every time on the page names its zone: the event times (2) and the attempt's start.
    assert page.count(f"{published:%Y-%m-%d %H:%M:%S} UTC</time>") == 3
