"""Webhook URLs may carry their secret in the path (Slack, Teams, Discord): the audit trail
records only scheme, host and port with a fingerprint of the whole URL; people who may only read
the rules see the same; attempt errors never quote the path. The owner's console (anyone
allowed to change targets) still shows the whole URL."""

from __future__ import annotations

import hashlib
import json

import pytest
from django.urls import reverse

from accounts.principals import SYSTEM
from audit.models import AuditEvent
from core.errors import ValidationException
from events import services
from events.models import DeliveryAttempt, EventDelivery, EventTarget
from events.redact import scrub_url, webhook_fingerprint, webhook_origin
from events.services import delivery as delivery_module
from tests import factories
from tests.events.conftest import add_webhook, make_rule

SECRET = "s3cr3tXoXoXoXoXoXo"
SLACK = f"https://hooks.slack.com/services/T0001/B0002/{SECRET}"


@pytest.mark.parametrize(
    ("url", "origin"),
    [
        (SLACK, "https://hooks.slack.com"),
        ("https://Example.COM:8443/a/b?c=d#e", "https://example.com:8443"),
        ("http://[2001:db8::1]:8080/x", "http://[2001:db8::1]:8080"),
        ("https://hooks.example.com", "https://hooks.example.com"),
    ],
)
def test_webhook_origin(url: str, origin: str) -> None:
    assert webhook_origin(url) == origin
    assert webhook_fingerprint(url) == hashlib.sha256(url.encode()).hexdigest()[:16]


def test_scrub_url() -> None:
    path = f"/services/T0001/B0002/{SECRET}"
    for text in (
        f"failed: {SLACK}",
        f"POST {path} failed",
        f"URL can't contain control characters. {path + chr(1)!r}",
    ):
        scrubbed = scrub_url(text, SLACK + ("\x01" if "control" in text else ""))
        assert SECRET not in scrubbed and "/services/" not in scrubbed, scrubbed


def test_the_audit_trail_keeps_only_the_host_and_a_fingerprint(business_account, root) -> None:
    rule = make_rule(business_account, root)
    target, _ = add_webhook(rule, SLACK, root)
    services.target_delete(target=target, actor=root)
    add_webhook(rule, SLACK + "?token=also-secret", root)
    services.rule_delete(rule=rule, actor=root)
    records = list(
        AuditEvent.objects.filter(
            recipient_account_id=business_account.account_id, event_source="events.amazonaws.com"
        ).order_by("id")
    )
    assert [r.event_name for r in records] == [
        "PutRule",
        "PutTargets",
        "RemoveTargets",
        "PutTargets",
        "DeleteRule",
    ]
    for record in records:
        text = json.dumps(
            [record.request_parameters, record.response_elements, record.resources]
        ) + (record.error_message or "")
        assert SECRET not in text and "/services/" not in text and "also-secret" not in text
    put, removed = records[1], records[2]
    expected = {
        "id": target.target_id,
        "webhook": "https://hooks.slack.com",
        "urlSha256": hashlib.sha256(SLACK.encode()).hexdigest()[:16],
    }
    assert put.request_parameters["targets"] == [expected]
    assert removed.request_parameters["targets"] == [expected]
    assert removed.request_parameters["ids"] == [target.target_id]
    # Two URLs of one host are told apart by the fingerprint.
    assert (
        records[3].request_parameters["targets"][0]["urlSha256"]
        != put.request_parameters["targets"][0]["urlSha256"]
    )


def test_read_only_users_see_the_host_only(client, business_account, root) -> None:
    rule = make_rule(business_account, root, name="chat")
    target, _ = add_webhook(rule, SLACK, root)
    factories.make_case(business_account, root)
    pages = [
        reverse("events:rule", args=[rule.name]),
        reverse("events:deliveries", args=[rule.name, target.target_id]),
    ]
    reader = factories.make_iam_user(business_account, policy="AmazonEventBridgeReadOnlyAccess")
    client.force_login(reader)
    for url in pages:
        page = client.get(url).content.decode()
        assert SECRET not in page and "/services/" not in page, url
        assert "https://hooks.slack.com/…" in page, url
    # Whoever may change the targets (here the root user) sees the URL they entered.
    client.force_login(factories.root_of(business_account))
    for url in pages:
        assert SLACK in client.get(url).content.decode(), url


def test_control_characters_are_refused_in_webhook_urls(business_account, root) -> None:
    rule = make_rule(business_account, root)
    for url in (SLACK + "\x01", SLACK + "\x7f", "https://hooks.example.com/a b"):
        with pytest.raises(ValidationException) as raised:
            add_webhook(rule, url, root)
        assert raised.value.message == services.MSG_WEBHOOK_URL
    assert not EventTarget.objects.exists()


@pytest.mark.usefixtures("allow_private_webhooks")
def test_attempt_errors_do_not_quote_the_path(business_account, root, caplog) -> None:
    # A URL stored before control characters were refused: http.client's error quotes it.
    rule = make_rule(business_account, root, pattern={"source": ["aws.support"]})
    target, _ = add_webhook(rule, "http://127.0.0.1:9/services/T0001/ok", root)
    url = f"http://127.0.0.1:9/services/T0001/{SECRET}\x01"
    EventTarget.objects.filter(pk=target.pk).update(url=url)
    services.event_publish(
        account=business_account, source="aws.support", detail_type="x", detail={}
    )
    delivery = EventDelivery.objects.get()
    assert not delivery_module.delivery_attempt(delivery_id=str(delivery.delivery_id), actor=SYSTEM)
    attempt = DeliveryAttempt.objects.get()
    delivery.refresh_from_db()
    assert attempt.error.startswith("InvalidURL: ")
    for text in (attempt.error, delivery.last_error, caplog.text):
        assert SECRET not in text and "/services/" not in text
