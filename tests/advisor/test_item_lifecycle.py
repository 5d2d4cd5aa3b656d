"""A finding's lifecycle in events: every "Trusted Advisor Check Item Refresh Notification" carries
the item's status before the change (`previous-status`), so a rule can match a finding that
turned green. End to end: a rule made on the events page from its starter, two real refreshes of
a check against moto, the delivery to an SQS queue in the connected environment."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.principals import SYSTEM
from advisor import services as advisor
from advisor.checks import REGISTRY
from advisor.checks.base import Evaluation, Row
from advisor.models import CheckState
from advisor.tasks import advisor_check_run_task
from events import services as events
from events.forms import STARTERS
from events.models import EventDelivery, EventRule
from events.tasks import event_delivery_attempt_task
from tests.moto_aws import connect_keys

EIP_CHECK = "Z4AUBRNSmz"  # Unassociated Elastic IP Addresses


def _refresh(account, capture) -> CheckState:
    """A refresh as the console asks for it, then the worker's run."""
    with capture(execute=False) as callbacks:
        state = advisor.advisor_check_refresh(account=account, check_id=EIP_CHECK, actor=SYSTEM)
    assert callbacks, "the refresh was not queued"
    with capture(execute=False):
        assert advisor_check_run_task(state.pk) is True
    state.refresh_from_db()
    assert state.refresh_status == "success", state.refresh_error
    return state


def test_a_rule_on_findings_that_turn_green_gets_them_end_to_end(
    client, business_account, root, aws, settings, django_capture_on_commit_callbacks
) -> None:
    settings.ADVISOR_REFRESH_MIN_INTERVAL = 0
    client.force_login(root.user)
    connect_keys(business_account)
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName="ta-green")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    # The rule from the events page's "turn green again" starter.
    pattern = json.dumps(STARTERS["trustedadvisor-green"])
    response = client.post(
        reverse("events:create"),
        {"name": "ta-fixed", "description": "", "starter": "", "event_pattern": pattern},
    )
    assert response.status_code == 302
    rule = EventRule.objects.get(account=business_account, name="ta-fixed")
    assert rule.event_pattern["detail"] == {
        "status": ["OK"],
        "previous-status": ["WARN", "ERROR"],
    }
    events.target_create(rule=rule, actor=root, kind="sqs", arn=queue_arn)

    ec2 = aws.client("ec2")
    kept = ec2.allocate_address(Domain="vpc")
    released = ec2.allocate_address(Domain="vpc")
    # First run: two unassociated addresses turn yellow; nothing turned green.
    _refresh(business_account, django_capture_on_commit_callbacks)
    assert not EventDelivery.objects.exists()
    # One address is released: its finding turns green, which the rule matches.
    ec2.release_address(AllocationId=released["AllocationId"])
    _refresh(business_account, django_capture_on_commit_callbacks)
    deliveries = list(EventDelivery.objects.all())
    assert len(deliveries) == 1
    detail = deliveries[0].event["detail"]
    assert (detail["status"], detail["previous-status"]) == ("OK", "WARN")
    assert detail["check-item-detail"]["IP Address"] == released["PublicIp"]
    # The same run again changes nothing and publishes nothing.
    _refresh(business_account, django_capture_on_commit_callbacks)
    assert EventDelivery.objects.count() == 1

    event_delivery_attempt_task(str(deliveries[0].delivery_id))
    event_delivery_attempt_task(str(deliveries[0].delivery_id))  # a repeat sends nothing
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    assert len(received) == 1
    body = json.loads(received[0]["Body"])
    assert body["source"] == "aws.trustedadvisor"
    assert body["detail"]["previous-status"] == "WARN"
    # AWS's fields in AWS's order, ours beside the status.
    assert list(body["detail"]) == [
        "check-name",
        "check-item-detail",
        "status",
        "previous-status",
        "resource_id",
        "uuid",
    ]
    assert body["detail"]["check-item-detail"]["IP Address"] == released["PublicIp"]
    assert kept["PublicIp"] not in received[0]["Body"]


def _eip(ip: str, status: str = "warning") -> Row:
    return Row(
        status=status,
        arn=f"arn:aws:ec2:us-east-1:123456789012:elastic-ip/{ip}",
        metadata=["us-east-1", ip],
        region="us-east-1",
    )


def _store(account, rows: list[Row]) -> None:
    state, _ = CheckState.objects.get_or_create(account=account, check_id=EIP_CHECK)
    advisor.result_store(state=state, spec=REGISTRY[EIP_CHECK], evaluation=Evaluation(rows=rows))


@pytest.fixture
def every_item(business_account, root):
    """A rule matching every Trusted Advisor item event, with a webhook target."""
    rule = events.rule_create(
        account=business_account,
        actor=root,
        name="all-items",
        event_pattern={"source": ["aws.trustedadvisor"]},
    )
    events.target_create(rule=rule, actor=root, kind="webhook", url="https://hooks.example.com/t")
    return rule


def _published() -> list[tuple[str, str, str | None]]:
    rows = []
    for delivery in EventDelivery.objects.order_by("id"):
        detail = delivery.event["detail"]
        ip = detail["check-item-detail"]["IP Address"]
        rows.append((ip, detail["status"], detail["previous-status"]))
    EventDelivery.objects.all().delete()
    return rows


def test_previous_status_follows_each_item(
    business_account, every_item, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=False):
        # A check's first run has nothing to compare with: no previous status.
        _store(business_account, [_eip("1.1.1.1"), _eip("2.2.2.2", "ok")])
        assert _published() == [("1.1.1.1", "WARN", None)]
        # Later, an item not listed before was fine before; a listed one had its own status.
        _store(
            business_account,
            [_eip("1.1.1.1", "error"), _eip("2.2.2.2", "ok"), _eip("3.3.3.3")],
        )
        assert _published() == [("1.1.1.1", "ERROR", "WARN"), ("3.3.3.3", "WARN", "OK")]
        # A flagged item no longer listed turned green, from what it was.
        _store(business_account, [_eip("2.2.2.2", "ok"), _eip("3.3.3.3")])
        assert _published() == [("1.1.1.1", "OK", "ERROR")]
