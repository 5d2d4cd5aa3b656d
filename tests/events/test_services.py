"""Rule and target services (with their audit records) and publishing into the outbox."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import uuid
from typing import Any

import pytest
from django.db import transaction

from audit.models import AuditEvent
from core import crypto
from core.errors import (
    InvalidEventPatternException,
    LimitExceededException,
    ResourceAlreadyExistsException,
    ValidationException,
)
from events import services
from events.models import (
    DeliveryPurpose,
    DeliveryStatus,
    EventDelivery,
    EventRule,
    EventTarget,
)
from events.pattern import (
    MAX_PATTERN_DEPTH,
    MAX_PATTERN_LENGTH,
    MAX_PATTERN_TEXT,
    MSG_INVALID,
    REASON_INVALID_TEXT,
    REASON_LEAF_NOT_ARRAY,
    REASON_NOT_JSON,
    REASON_TOO_DEEP,
    REASON_TOO_LONG,
)
from tests.events.conftest import add_email, add_webhook, make_rule

TA_DETAIL = {
    "check-name": "Amazon RDS Idle DB Instances",
    "check-item-detail": {"Region": "eu-west-1", "DB Instance Name": "sam-eu-west-1a"},
    "status": "WARN",
    "resource_id": "arn:aws:rds:eu-west-1:123456789012:db:sam-eu-west-1a",
    "uuid": "aa12345f-55c7-498e-b7ac-123456781234",
}


def audit_names(account: Any) -> list[str]:
    return list(
        AuditEvent.objects.filter(
            recipient_account_id=account.account_id, event_source="events.amazonaws.com"
        )
        .order_by("id")
        .values_list("event_name", flat=True)
    )


# --- rules ------------------------------------------------------------------------------------


def test_rule_lifecycle_is_audited(business_account, root) -> None:
    assert EventRule.objects.count() == 0
    rule = services.rule_create(
        account=business_account,
        actor=root,
        name="ta.warnings_1",
        description="  Warnings  ",
        event_pattern='{"source": ["aws.trustedadvisor"]}',
    )
    assert rule.event_pattern == {"source": ["aws.trustedadvisor"]}
    assert rule.description == "Warnings"
    assert rule.created_by == root.user
    assert rule.arn == f"arn:aws:events:us-east-1:{business_account.account_id}:rule/ta.warnings_1"
    put = AuditEvent.objects.get(event_name="PutRule")
    assert put.event_source == "events.amazonaws.com"
    assert put.request_parameters["eventPattern"] == {"source": ["aws.trustedadvisor"]}
    assert put.response_elements == {"ruleArn": rule.arn}
    assert put.resource_name == "ta.warnings_1"
    assert put.resource_type == "AWS::Events::Rule"

    services.rule_update(
        rule=rule, actor=root, description="", event_pattern={"source": ["aws.support"]}
    )
    rule.refresh_from_db()
    assert rule.event_pattern == {"source": ["aws.support"]}
    services.rule_set_enabled(rule=rule, actor=root, enabled=False)
    services.rule_set_enabled(rule=rule, actor=root, enabled=False)  # no change, no record
    services.rule_set_enabled(rule=rule, actor=root, enabled=True)
    target, _ = add_webhook(rule, "https://hooks.example.com/in")
    services.target_delete(target=target, actor=root)
    add_webhook(rule, "https://hooks.example.com/in?token=abc")
    services.rule_delete(rule=rule, actor=root)
    assert not EventRule.objects.exists() and not EventTarget.objects.exists()
    assert audit_names(business_account) == [
        "PutRule",
        "PutRule",
        "DisableRule",
        "EnableRule",
        "PutTargets",
        "RemoveTargets",
        "PutTargets",
        "DeleteRule",
    ]
    targets = AuditEvent.objects.filter(event_name="PutTargets").order_by("id").last()
    # Neither the secret nor the URL's path or query string goes into the audit trail.
    assert targets.request_parameters["targets"] == [
        {
            "id": targets.request_parameters["targets"][0]["id"],
            "webhook": "https://hooks.example.com",
            "urlSha256": hashlib.sha256(b"https://hooks.example.com/in?token=abc").hexdigest()[:16],
        }
    ]
    assert "whsec_" not in str(targets.request_parameters)


def test_patterns_are_bounded_before_they_are_walked(business_account, root) -> None:
    deepest = {"detail": ["x"]}
    for _ in range(MAX_PATTERN_DEPTH - 2):
        deepest = {"detail": deepest}
    make_rule(business_account, root, name="deepest", pattern=deepest)  # 32 levels
    too_deep: dict = {"detail": ["x"]}
    for _ in range(5000):
        too_deep = {"detail": too_deep}
    for pattern, reason in (
        (too_deep, REASON_TOO_DEEP.format(limit=MAX_PATTERN_DEPTH)),
        ({"detail": deepest}, REASON_TOO_DEEP.format(limit=MAX_PATTERN_DEPTH)),
        (
            {"source": ["\ud800"]},
            REASON_INVALID_TEXT.format(problem="an unpaired UTF-16 surrogate"),
        ),
        (
            {"source": [float("inf")]},
            REASON_NOT_JSON.format(problem="inf is not a JSON number", line=1, column=1),
        ),
        (" " * (MAX_PATTERN_TEXT + 1), REASON_TOO_LONG.format(limit=MAX_PATTERN_LENGTH)),
    ):
        with pytest.raises(InvalidEventPatternException) as raised:
            services.rule_create(
                account=business_account, actor=root, name="bad", event_pattern=pattern
            )
        assert raised.value.message == MSG_INVALID.format(reason=reason)
    assert list(EventRule.objects.values_list("name", flat=True)) == ["deepest"]


@pytest.mark.parametrize(
    ("fields", "error", "message"),
    [
        ({"name": "has space"}, ValidationException, services.MSG_RULE_NAME),
        ({"name": "x" * 65}, ValidationException, services.MSG_RULE_NAME),
        ({"name": ""}, ValidationException, services.MSG_RULE_NAME),
        ({"description": "d" * 513}, ValidationException, services.MSG_DESCRIPTION),
        (
            {"event_pattern": '{"source": "aws.support"}'},
            InvalidEventPatternException,
            MSG_INVALID.format(reason=REASON_LEAF_NOT_ARRAY.format(path="source")),
        ),
        (
            {"event_pattern": '{"source": [NaN]}'},
            InvalidEventPatternException,
            MSG_INVALID.format(
                reason=REASON_NOT_JSON.format(problem="NaN is not a JSON number", line=1, column=1)
            ),
        ),
        (
            {"event_pattern": '{"source": ["a"'},
            InvalidEventPatternException,
            MSG_INVALID.format(
                reason=REASON_NOT_JSON.format(problem="Expecting ',' delimiter", line=1, column=16)
            ),
        ),
    ],
)
def test_rule_create_refuses_bad_input(business_account, root, fields, error, message) -> None:
    arguments = {"name": "ok", "event_pattern": {"source": ["aws.support"]}, **fields}
    with pytest.raises(error) as raised:
        services.rule_create(account=business_account, actor=root, **arguments)
    assert raised.value.message == message
    assert not EventRule.objects.exists()
    assert audit_names(business_account) == []


def test_rule_names_are_unique_per_account(business_account, other_account, root) -> None:
    make_rule(business_account, root, name="dup")
    with pytest.raises(ResourceAlreadyExistsException) as raised:
        make_rule(business_account, root, name="dup")
    assert raised.value.message == services.MSG_RULE_EXISTS.format(name="dup")
    make_rule(other_account, name="dup")  # another account may use the name
    assert EventRule.objects.filter(name="dup").count() == 2


def test_quotas(business_account, root, monkeypatch) -> None:
    monkeypatch.setattr(services, "MAX_RULES_PER_ACCOUNT", 1)
    rule = make_rule(business_account, root)
    with pytest.raises(LimitExceededException):
        make_rule(business_account, root, name="second")
    for _ in range(services.MAX_TARGETS_PER_RULE):
        services.target_create(rule=rule, actor=root, kind="email", email="ops@example.com")
    with pytest.raises(LimitExceededException) as raised:
        services.target_create(rule=rule, actor=root, kind="email", email="ops@example.com")
    assert raised.value.message == services.MSG_TARGET_LIMIT.format(limit=5)


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"kind": "lambda"}, services.MSG_TARGET_KIND.format(kind="lambda")),
        ({"kind": "webhook", "url": "not a url"}, services.MSG_WEBHOOK_URL),
        ({"kind": "webhook", "url": "ftp://example.com/x"}, services.MSG_WEBHOOK_URL),
        ({"kind": "webhook", "url": "http://hooks.example.com/x"}, services.MSG_WEBHOOK_HTTPS),
        (
            {"kind": "webhook", "url": "https://u:p@hooks.example.com/"},
            services.MSG_WEBHOOK_CREDENTIALS,
        ),
        ({"kind": "email", "email": "nobody"}, services.MSG_EMAIL),
        ({"kind": "sns", "arn": "arn:aws:sqs:us-east-1:123456789012:q"}, services.MSG_SNS_ARN),
        ({"kind": "sqs", "arn": "arn:aws:sqs:us-east-1:1234:q"}, services.MSG_SQS_ARN),
    ],
)
def test_target_create_refuses_bad_destinations(
    business_account, root, settings, fields, message
) -> None:
    settings.EVENTS_ALLOW_HTTP_WEBHOOKS = False
    settings.DEBUG = False
    rule = make_rule(business_account, root)
    with pytest.raises(ValidationException) as raised:
        services.target_create(rule=rule, actor=root, **fields)
    assert raised.value.message == message
    assert not EventTarget.objects.exists()


@pytest.mark.parametrize(
    ("url", "debug", "allow_http", "allow_private", "refusal"),
    [
        ("https://hooks.example.com/in", False, False, False, None),
        ("http://hooks.example.com/in", False, False, False, services.MSG_WEBHOOK_HTTPS),
        ("http://hooks.example.com/in", True, False, False, None),
        ("http://hooks.example.com/in", False, True, False, None),
        # Plain http to this machine only where private webhooks are allowed at all.
        ("http://localhost:8080/in", False, False, False, services.MSG_WEBHOOK_PRIVATE),
        ("http://127.0.0.1:8080/in", False, True, False, services.MSG_WEBHOOK_PRIVATE),
        ("http://localhost:8080/in", False, False, True, None),
        ("http://127.0.0.1:8080/in", False, False, True, None),
        ("http://[::1]:8080/in", False, False, True, None),
        # Other private addresses still need https (or the http setting).
        ("http://10.0.0.5/in", False, False, True, services.MSG_WEBHOOK_HTTPS),
        ("https://10.0.0.5/in", False, False, True, None),
    ],
)
def test_webhooks_need_https_except_locally(
    business_account, root, settings, url, debug, allow_http, allow_private, refusal
) -> None:
    settings.DEBUG = debug
    settings.EVENTS_ALLOW_HTTP_WEBHOOKS = allow_http
    settings.EVENTS_ALLOW_PRIVATE_WEBHOOKS = allow_private
    rule = make_rule(business_account, root)
    if refusal is None:
        target, secret = add_webhook(rule, url, root)
        assert target.url == url
        assert secret.startswith("whsec_")
        # Encrypted at rest; decrypts to what was shown once.
        assert secret not in target.secret_encrypted
        assert crypto.decrypt(target.secret_encrypted) == secret
        assert re.fullmatch(r"webhook-[0-9a-f]{8}", target.target_id)
    else:
        with pytest.raises(ValidationException) as raised:
            add_webhook(rule, url, root)
        assert raised.value.message == refusal


def test_targets_of_every_kind(business_account, root) -> None:
    rule = make_rule(business_account, root)
    email, secret = services.target_create(
        rule=rule, actor=root, kind="email", email=" ops@example.com "
    )
    assert secret == "" and email.email == "ops@example.com"
    sns, _ = services.target_create(
        rule=rule, actor=root, kind="sns", arn="arn:aws:sns:eu-west-1:123456789012:alerts.fifo"
    )
    sqs, _ = services.target_create(
        rule=rule, actor=root, kind="sqs", arn="arn:aws:sqs:us-east-1:123456789012:events"
    )
    assert [t.destination for t in rule.targets.all()] == [
        "ops@example.com",
        "arn:aws:sns:eu-west-1:123456789012:alerts.fifo",
        "arn:aws:sqs:us-east-1:123456789012:events",
    ]
    assert sns.target_id.startswith("sns-") and sqs.target_id.startswith("sqs-")


# --- publishing -------------------------------------------------------------------------------


def test_event_envelope_is_aws_shaped(business_account) -> None:
    event = services.event_publish(
        account=business_account,
        source=services.TA_SOURCE,
        detail_type=services.TA_DETAIL_TYPE,
        detail=TA_DETAIL,
        time=dt.datetime(
            2016, 11, 13, 22, 31, 34, 123456, tzinfo=dt.timezone(dt.timedelta(hours=9))
        ),
    )
    assert list(event) == [
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
    assert event["version"] == "0"
    assert uuid.UUID(event["id"]).version == 4
    assert event["time"] == "2016-11-13T13:31:34Z"
    assert event["region"] == "us-east-1"
    assert event["account"] == business_account.account_id
    assert event["resources"] == []
    assert event["detail-type"] == "Trusted Advisor Check Item Refresh Notification"
    assert event["source"] == "aws.trustedadvisor"


def test_publish_delivers_to_matching_enabled_rules_only(
    business_account,
    other_account,
    root,
    queued,
    django_capture_on_commit_callbacks,
    django_assert_num_queries,
) -> None:
    warn = make_rule(business_account, root, name="warn", pattern={"detail": {"status": ["WARN"]}})
    ok_only = make_rule(business_account, root, name="ok", pattern={"detail": {"status": ["OK"]}})
    disabled = make_rule(business_account, root, name="off", pattern={"source": [{"prefix": ""}]})
    services.rule_set_enabled(rule=disabled, actor=root, enabled=False)
    theirs = make_rule(other_account, name="theirs", pattern={"source": [{"prefix": ""}]})
    no_targets = make_rule(business_account, root, name="empty", pattern={"source": ["x"]})
    del no_targets
    warn_hook, _ = add_webhook(warn, "https://a.example.com/")
    warn_mail = add_email(warn, "a@example.com", root)
    # Not confirmed by its recipient: nothing is delivered (or kept for later).
    services.target_create(rule=warn, actor=root, kind="email", email="b@example.com")
    queued.clear()  # the confirmation emails
    for rule in (ok_only, disabled, theirs):
        add_webhook(rule, "https://b.example.com/")

    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        # 1 the enabled rules' targets with their rules; 2 the deliveries (one insert).
        with django_assert_num_queries(2):
            event = services.event_publish(
                account=business_account,
                source=services.TA_SOURCE,
                detail_type=services.TA_DETAIL_TYPE,
                detail=TA_DETAIL,
            )
    assert len(callbacks) == 1
    deliveries = list(EventDelivery.objects.filter(purpose=DeliveryPurpose.EVENT).order_by("id"))
    assert {d.target_id for d in deliveries} == {warn_hook.pk, warn_mail.pk}
    for delivery in deliveries:
        assert delivery.event == event
        assert delivery.event_id == event["id"]
        assert delivery.detail_type == services.TA_DETAIL_TYPE
        assert delivery.status == DeliveryStatus.PENDING and delivery.attempts == 0
    assert sorted(queued) == sorted(str(d.delivery_id) for d in deliveries)


def test_publish_without_rules_costs_one_query(business_account, django_assert_num_queries) -> None:
    with django_assert_num_queries(1):
        services.event_publish(
            account=business_account, source="aws.support", detail_type="x", detail={}
        )
    assert not EventDelivery.objects.exists()


def test_a_rolled_back_change_delivers_nothing(
    business_account, root, queued, django_capture_on_commit_callbacks
) -> None:
    add_webhook(
        make_rule(business_account, root, pattern={"source": ["aws.support"]}),
        "https://a.example.com/",
    )
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        with pytest.raises(RuntimeError), transaction.atomic():
            services.event_publish(
                account=business_account, source="aws.support", detail_type="x", detail={}
            )
            raise RuntimeError("the change failed")
    assert callbacks == []
    assert queued == []
    assert not EventDelivery.objects.exists()


def test_a_broker_outage_leaves_deliveries_for_the_sweep(
    business_account, root, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    from events.tasks import event_delivery_attempt_task

    def down(*args: object, **kwargs: object) -> None:
        raise ConnectionRefusedError("broker down")

    monkeypatch.setattr(event_delivery_attempt_task.app, "connection_for_write", down)
    add_webhook(
        make_rule(business_account, root, pattern={"source": ["aws.support"]}),
        "https://a.example.com/",
    )
    with django_capture_on_commit_callbacks(execute=True):
        services.event_publish(
            account=business_account, source="aws.support", detail_type="x", detail={}
        )
    assert EventDelivery.objects.get().status == DeliveryStatus.PENDING


def test_a_rule_that_cannot_be_matched_is_skipped(business_account, root, queued) -> None:
    good = make_rule(business_account, root, name="good", pattern={"source": ["aws.support"]})
    bad = make_rule(business_account, root, name="bad", pattern={"source": ["aws.support"]})
    add_webhook(good, "https://a.example.com/")
    add_webhook(bad, "https://b.example.com/")
    # A pattern corrupted behind the services' back (they always validate).
    EventRule.objects.filter(pk=bad.pk).update(event_pattern={"source": [{"numeric": "x"}]})
    services.event_publish(
        account=business_account, source="aws.support", detail_type="x", detail={}
    )
    assert [d.target.rule.name for d in EventDelivery.objects.select_related("target__rule")] == [
        "good"
    ]
