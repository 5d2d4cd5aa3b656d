"""Trusted Advisor services: connections, the refresh status machine, exclusions, jobs."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from accounts.principals import SYSTEM
from advisor import services as advisor
from advisor.checks.base import Evaluation, Row
from advisor.models import CheckResult, CheckState, ResourceExclusion
from advisor.tasks import (
    advisor_check_run_task,
    advisor_refresh_scheduled_task,
    advisor_refresh_sweep_task,
    advisor_results_purge_task,
)
from audit.models import AuditEvent
from connections import sample, sessions
from connections import services as connections
from connections.models import AwsConnection
from core import crypto
from core.errors import (
    AwsConnectionNotConfigured,
    InvalidAwsConnection,
    InvalidParameterValueException,
)
from tests import factories
from tests.moto_aws import connect_keys

EIP_CHECK = "Z4AUBRNSmz"
SG_CHECK = "HCP4007jGY"


def run(account, check_id, capture, actor=SYSTEM) -> CheckState:
    with capture(execute=False) as callbacks:
        state = advisor.advisor_check_refresh(account=account, check_id=check_id, actor=actor)
    if callbacks:
        advisor_check_run_task(state.pk)
    state.refresh_from_db()
    return state


def test_key_connection_stores_the_secret_encrypted(business_account, root, aws):
    connection = connect_keys(business_account, actor=root)
    assert connection.secret_access_key_encrypted != "secret"
    assert crypto.decrypt(connection.secret_access_key_encrypted) == "secret"
    record = AuditEvent.objects.get(
        recipient_account_id=business_account.account_id, event_name="UpdateAwsConnection"
    )
    assert record.event_source == "trustedadvisor.amazonaws.com"
    assert "secret" not in str(record.request_parameters)
    # Saving again without a secret keeps the stored one.
    connect_keys(business_account, secret_access_key="", regions=["eu-west-1"])
    connection.refresh_from_db()
    assert crypto.decrypt(connection.secret_access_key_encrypted) == "secret"
    assert connection.regions == ["eu-west-1"]
    assert connections.aws_connection_verify(account=business_account) == "123456789012"


@pytest.mark.parametrize(
    ("kwargs", "field"),
    [
        ({"regions": []}, "regions"),
        ({"regions": ["mars-north-1"]}, "regions"),
        ({"access_key_id": "short"}, "access_key_id"),
        ({"mode": "role", "role_arn": "arn:aws:iam::12:role/x"}, "role_arn"),
        ({"mode": "bogus"}, "mode"),
    ],
)
def test_bad_connections_are_refused_and_change_nothing(business_account, kwargs, field):
    with pytest.raises(InvalidAwsConnection) as raised:
        connect_keys(business_account, **kwargs)
    assert raised.value.field == field
    assert not AwsConnection.objects.filter(account=business_account).exists()


def test_a_new_key_needs_its_secret(business_account):
    with pytest.raises(InvalidAwsConnection) as raised:
        connect_keys(business_account, secret_access_key="")
    assert raised.value.message == connections.MSG_NO_SECRET


def test_role_connection_assumes_the_role_with_the_accounts_external_id(
    business_account, other_account, aws, monkeypatch
):
    # Support Center's own credentials (the environment's): moto's default account, not the
    # role's (a role in the server's own account is refused: test_connection_own_account.py).
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    connection = connections.aws_connection_set(
        account=business_account,
        actor=SYSTEM,
        mode="role",
        role_arn="arn:aws:iam::210987654321:role/SupportCenterAdvisor",
        regions=["us-east-1"],
    )
    # The external id is Support Center's, one per account, never chosen by the customer (so
    # one tenant can't make Support Center assume another tenant's role).
    assert connection.external_id == connections.external_id_for(business_account)
    assert connection.external_id.startswith("sc-")
    assert connections.external_id_for(other_account) != connection.external_id
    # Support Center's own credentials assume the customer's role with it; moto puts the
    # assumed session in the role's account.
    sent = []
    import botocore.client

    original = botocore.client.BaseClient._make_api_call

    def spy(self, operation, params):
        if operation == "AssumeRole":
            sent.append(params)
        return original(self, operation, params)

    monkeypatch.setattr(botocore.client.BaseClient, "_make_api_call", spy)
    assert connections.aws_connection_verify(account=business_account) == "210987654321"
    assert sent[0]["ExternalId"] == connection.external_id
    assert sent[0]["RoleArn"] == "arn:aws:iam::210987654321:role/SupportCenterAdvisor"


def test_sample_environment_only_when_enabled(business_account, settings):
    settings.ADVISOR_SAMPLE_ENABLED = False
    with pytest.raises(InvalidAwsConnection) as raised:
        connections.aws_connection_set(
            account=business_account, actor=SYSTEM, mode="sample", regions=["us-east-1"]
        )
    assert raised.value.message == connections.MSG_NO_SAMPLE


def test_a_sample_connection_starts_no_moto_server_once_the_sample_is_off(
    business_account, settings, monkeypatch
):
    # Connected while the demo was on; the installation runs without it now.
    connections.aws_connection_set(
        account=business_account, actor=SYSTEM, mode="sample", regions=["us-east-1"]
    )
    settings.ADVISOR_SAMPLE_ENABLED = False
    started = []
    monkeypatch.setattr(sample, "start_server", lambda *args: started.append(args))
    with pytest.raises(AwsConnectionNotConfigured) as raised:
        connections.aws_connection_verify(account=business_account)
    assert raised.value.message == sessions.MSG_SAMPLE_OFF == connections.MSG_NO_SAMPLE
    assert started == []


def test_verify_without_connection(business_account):
    with pytest.raises(AwsConnectionNotConfigured):
        connections.aws_connection_verify(account=business_account)


def test_delete_connection(business_account, aws):
    connect_keys(business_account)
    assert connections.aws_connection_delete(account=business_account, actor=SYSTEM) is True
    assert connections.aws_connection_delete(account=business_account, actor=SYSTEM) is False


def test_refresh_state_machine(
    business_account, root, aws, settings, django_capture_on_commit_callbacks
):
    connect_keys(business_account)
    aws.client("ec2").allocate_address(Domain="vpc")
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        state = advisor.advisor_check_refresh(
            account=business_account, check_id=EIP_CHECK, actor=root
        )
    assert state.refresh_status == "enqueued"
    assert len(callbacks) == 1
    # A second request while enqueued queues nothing.
    with django_capture_on_commit_callbacks(execute=False) as again:
        advisor.advisor_check_refresh(account=business_account, check_id=EIP_CHECK, actor=root)
    assert again == []
    assert advisor_check_run_task(state.pk) is True
    assert advisor_check_run_task(state.pk) is False
    state.refresh_from_db()
    assert state.refresh_status == "success"
    assert state.latest_result.status == "warning"
    assert CheckResult.objects.filter(account=business_account).count() == 1
    record = AuditEvent.objects.get(
        recipient_account_id=business_account.account_id, event_name="RefreshCheck"
    )
    assert record.event_source == "trustedadvisor.amazonaws.com"
    assert record.resource_name == EIP_CHECK

    # After the interval a new run is allowed and the history grows.
    with time_machine.travel(timezone.now() + timedelta(seconds=301)):
        state = run(business_account, EIP_CHECK, django_capture_on_commit_callbacks)
    assert CheckResult.objects.filter(account=business_account).count() == 2


def test_unknown_check_is_refused(business_account):
    with pytest.raises(InvalidParameterValueException):
        advisor.advisor_check_refresh(account=business_account, check_id="nope", actor=SYSTEM)


def test_core_only_plans(reference_data):
    developer = factories.make_account("developer")
    ids = {spec.id for spec in advisor.checks_available(developer)}
    assert SG_CHECK in ids
    assert EIP_CHECK not in ids
    assert all(spec.core for spec in advisor.checks_available(developer))
    with pytest.raises(InvalidParameterValueException) as raised:
        advisor.check_available(developer, EIP_CHECK)
    assert "Premium Support Plan" in raised.value.message


def _store(account, check_id, rows, processed=None, monthly_cost=0.0):
    from advisor.checks import REGISTRY

    state, _ = CheckState.objects.get_or_create(account=account, check_id=check_id)
    evaluation = Evaluation(rows=rows, processed=processed or len(rows), monthly_cost=monthly_cost)
    return advisor.result_store(state=state, spec=REGISTRY[check_id], evaluation=evaluation)


def _eip(ip: str, savings: float = 3.6) -> Row:
    return Row(
        status="warning",
        arn=f"arn:aws:ec2:us-east-1:123456789012:elastic-ip/{ip}",
        metadata=["us-east-1", ip],
        region="us-east-1",
        savings=savings,
    )


def test_exclusions_resummarise_and_survive_runs(business_account, root):
    result = _store(
        business_account, EIP_CHECK, [_eip("1.1.1.1"), _eip("2.2.2.2")], monthly_cost=7.2
    )
    assert (result.status, result.resources_flagged, result.estimated_monthly_savings) == (
        "warning",
        2,
        7.2,
    )
    assert result.estimated_percent_monthly_savings == 100.0
    first = result.resources.order_by("position").first()
    changed = advisor.advisor_resources_set_excluded(
        account=business_account,
        check_id=EIP_CHECK,
        resource_ids=[first.resource_id, "not-a-resource"],
        excluded=True,
        actor=root,
    )
    assert changed == 1
    result.refresh_from_db()
    assert (result.resources_flagged, result.resources_suppressed) == (1, 1)
    assert result.estimated_monthly_savings == 3.6
    assert AuditEvent.objects.filter(event_name="ExcludeCheckItems").count() == 1

    # The next run keeps the exclusion.
    later = _store(business_account, EIP_CHECK, [_eip("1.1.1.1"), _eip("2.2.2.2")])
    assert later.resources.get(resource_id=first.resource_id).is_suppressed is True
    assert later.resources_suppressed == 1

    # Excluding everything leaves the check green; including again restores it.
    rest = [r.resource_id for r in later.resources.all()]
    advisor.advisor_resources_set_excluded(
        account=business_account, check_id=EIP_CHECK, resource_ids=rest, excluded=True, actor=root
    )
    later.refresh_from_db()
    assert later.status == "ok"
    advisor.advisor_resources_set_excluded(
        account=business_account, check_id=EIP_CHECK, resource_ids=rest, excluded=False, actor=root
    )
    later.refresh_from_db()
    assert (later.status, later.resources_suppressed) == ("warning", 0)
    assert not ResourceExclusion.objects.filter(account=business_account).exists()


def test_weekly_refresh_covers_business_accounts_with_a_connection(
    reference_data, aws, django_capture_on_commit_callbacks
):
    business = factories.make_account("business")
    developer = factories.make_account("developer")
    unconnected = factories.make_account("enterprise")
    connect_keys(business)
    connect_keys(developer)
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        queued = advisor_refresh_scheduled_task()
    assert queued == len(advisor.checks_available(business))
    assert len(callbacks) == queued
    assert not CheckState.objects.filter(account__in=[developer, unconnected]).exists()
    # Running it twice queues nothing more (all enqueued already).
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        assert advisor_refresh_scheduled_task() == 0


def test_sweep_times_out_stuck_runs(business_account, settings, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False):
        state = advisor.advisor_check_refresh(
            account=business_account, check_id=EIP_CHECK, actor=SYSTEM
        )
    # Waiting in the queue longer than the processing timeout is fine (a long weekly backlog)...
    later = timezone.now() + timedelta(seconds=settings.ADVISOR_REFRESH_TIMEOUT + 1)
    with time_machine.travel(later):
        with django_capture_on_commit_callbacks(execute=False):
            assert advisor_refresh_sweep_task() == 0
    # ... but not longer than the queue timeout.
    later = timezone.now() + timedelta(seconds=settings.ADVISOR_REFRESH_QUEUE_TIMEOUT + 1)
    with time_machine.travel(later):
        assert advisor_refresh_sweep_task() == 1
        assert advisor_refresh_sweep_task() == 0
    state.refresh_from_db()
    assert state.refresh_status == "none"
    assert state.refresh_error == advisor.MSG_TIMED_OUT


def test_purge_keeps_latest_results(business_account, settings):
    old = _store(business_account, EIP_CHECK, [_eip("1.1.1.1")])
    newer = _store(business_account, EIP_CHECK, [_eip("1.1.1.1")])
    CheckResult.objects.filter(pk__in=[old.pk, newer.pk]).update(
        computed_at=timezone.now() - timedelta(days=settings.ADVISOR_RESULT_RETENTION_DAYS + 1)
    )
    assert advisor_results_purge_task() == 1
    assert advisor_results_purge_task() == 0
    assert list(CheckResult.objects.values_list("pk", flat=True)) == [newer.pk]


def test_item_status_changes_publish_events_to_matching_rules(
    business_account, root, aws, django_capture_on_commit_callbacks
):
    """A refresh publishes one "Trusted Advisor Check Item Refresh Notification" per item whose
    status changed; a rule on WARN items of this check delivers them to an SQS queue in the
    account's connected environment (moto)."""
    from events import services as events
    from events.models import EventDelivery
    from events.tasks import event_delivery_attempt_task

    connect_keys(business_account)
    sqs = aws.client("sqs")
    queue_url = sqs.create_queue(QueueName="ta-events")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    rule = events.rule_create(
        account=business_account,
        actor=root,
        name="eip-warnings",
        event_pattern={
            "source": ["aws.trustedadvisor"],
            "detail-type": ["Trusted Advisor Check Item Refresh Notification"],
            "detail": {
                "status": ["WARN"],
                "check-name": ["Unassociated Elastic IP Addresses"],
            },
        },
    )
    events.target_create(rule=rule, actor=root, kind="sqs", arn=queue_arn)

    with django_capture_on_commit_callbacks(execute=False):
        _store(business_account, EIP_CHECK, [_eip("1.1.1.1"), _eip("2.2.2.2")])
    deliveries = list(EventDelivery.objects.order_by("id"))
    assert len(deliveries) == 2
    event = deliveries[0].event
    assert event["source"] == "aws.trustedadvisor"
    assert event["account"] == business_account.account_id
    assert event["region"] == "us-east-1"
    assert event["detail"]["status"] == "WARN"
    assert event["detail"]["check-item-detail"] == {"Region": "us-east-1", "IP Address": "1.1.1.1"}
    assert event["detail"]["resource_id"].startswith("arn:aws:ec2:us-east-1:")

    # The same statuses again: nothing changed, nothing published.
    with django_capture_on_commit_callbacks(execute=False):
        _store(business_account, EIP_CHECK, [_eip("1.1.1.1"), _eip("2.2.2.2")])
    assert EventDelivery.objects.count() == 2
    # One address released: its item turns OK, which this WARN-only rule does not match.
    with django_capture_on_commit_callbacks(execute=False):
        _store(business_account, EIP_CHECK, [_eip("1.1.1.1")])
    assert EventDelivery.objects.count() == 2

    for delivery in deliveries:
        event_delivery_attempt_task(str(delivery.delivery_id))
    received = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10)["Messages"]
    bodies = sorted(
        json.loads(m["Body"])["detail"]["check-item-detail"]["IP Address"] for m in received
    )
    assert bodies == ["1.1.1.1", "2.2.2.2"]


def test_a_late_worker_never_overwrites_a_newer_run(
    business_account, aws, settings, django_capture_on_commit_callbacks
):
    """A run that timed out in `processing` and finishes after a new refresh was requested
    stores nothing; the new run proceeds."""
    settings.ADVISOR_REFRESH_MIN_INTERVAL = 0
    connect_keys(business_account)
    aws.client("ec2").allocate_address(Domain="vpc")
    with django_capture_on_commit_callbacks(execute=False):
        state = advisor.advisor_check_refresh(
            account=business_account, check_id=EIP_CHECK, actor=SYSTEM
        )
    slow_claim = timezone.now()
    CheckState.objects.filter(pk=state.pk).update(
        refresh_status="processing", refresh_started_at=slow_claim
    )
    later = timezone.now() + timedelta(seconds=settings.ADVISOR_REFRESH_TIMEOUT + 1)
    with time_machine.travel(later):
        assert advisor_refresh_sweep_task() == 1
        state.refresh_from_db()
        # AWS reports a timed-out refresh as `none`, refreshable at once.
        assert (state.refresh_status, state.refresh_error) == ("none", advisor.MSG_TIMED_OUT)
        assert advisor.millis_until_refreshable(state) == 0
        with django_capture_on_commit_callbacks(execute=False):
            advisor.advisor_check_refresh(
                account=business_account, check_id=EIP_CHECK, actor=SYSTEM
            )
        from advisor.checks import REGISTRY

        with pytest.raises(advisor.RunSuperseded):
            advisor.result_store(
                state=state,
                spec=REGISTRY[EIP_CHECK],
                evaluation=Evaluation(rows=[_eip("9.9.9.9")], processed=1),
                claimed_at=slow_claim,
            )
        assert not CheckResult.objects.exists()
        assert advisor_check_run_task(state.pk) is True
    state.refresh_from_db()
    assert state.refresh_status == "success"
    assert state.latest_result.resources_flagged == 1


def test_a_failing_store_abandons_the_run(
    business_account, aws, monkeypatch, django_capture_on_commit_callbacks
):
    connect_keys(business_account)
    with django_capture_on_commit_callbacks(execute=False):
        state = advisor.advisor_check_refresh(
            account=business_account, check_id=EIP_CHECK, actor=SYSTEM
        )

    def broken(**kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(advisor.refresh, "result_store", broken)
    assert advisor_check_run_task(state.pk) is True
    state.refresh_from_db()
    assert (state.refresh_status, state.refresh_error) == ("abandoned", "disk full")


def test_item_events_cost_constant_queries(
    business_account, root, django_assert_num_queries, django_capture_on_commit_callbacks
):
    from events import services as events

    rule = events.rule_create(
        account=business_account,
        actor=root,
        name="all-ta",
        event_pattern={"source": ["aws.trustedadvisor"]},
    )
    events.target_create(rule=rule, actor=root, kind="webhook", url="https://hooks.example.com/ta")
    _store(business_account, EIP_CHECK, [])
    for count in (3, 30):
        rows = [_eip(f"10.0.{count}.{i}") for i in range(count)]
        state = CheckState.objects.select_related("account").get(
            account=business_account, check_id=EIP_CHECK
        )
        # exclusions, result insert, resources insert, state update (+ read of the previous
        # result id), previous resources, targets, deliveries insert; savepoint pair.
        with django_capture_on_commit_callbacks(execute=False):
            with django_assert_num_queries(10):
                from advisor.checks import REGISTRY

                advisor.result_store(
                    state=state,
                    spec=REGISTRY[EIP_CHECK],
                    evaluation=Evaluation(rows=rows, processed=count),
                )


def test_connection_errors_read_in_the_users_language(business_account):
    from django import forms
    from django.utils import translation

    from core.forms import add_service_error

    with pytest.raises(InvalidAwsConnection) as raised:
        connect_keys(business_account, access_key_id="nope")
    assert raised.value.message == connections.MSG_BAD_KEY_ID  # the API's English

    class Form(forms.Form):
        access_key_id = forms.CharField()

    form = Form(data={"access_key_id": "nope"})
    form.is_valid()
    with translation.override("ja"):
        add_service_error(form, raised.value)
    assert form.errors["access_key_id"] != [connections.MSG_BAD_KEY_ID]
