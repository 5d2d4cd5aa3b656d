"""The five Trusted Advisor operations through boto3, with checks computed against moto."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from advisor import services as advisor
from advisor.checks import REGISTRY
from advisor.checks.base import catalog
from advisor.models import CheckState
from advisor.tasks import advisor_check_run_task
from audit.models import AuditEvent
from tests import factories
from tests.awsapi.conftest import make_api_user
from tests.moto_aws import connect_keys

EIP_CHECK = "Z4AUBRNSmz"  # Unassociated Elastic IP Addresses (not a core check)
SG_CHECK = "HCP4007jGY"  # Security Groups - Specific Ports Unrestricted (core)


def refresh_and_run(support, check_id, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        answer = support.refresh_trusted_advisor_check(checkId=check_id)
    state = CheckState.objects.get(account__account_id=support._account_id, check_id=check_id)
    if callbacks:
        assert advisor_check_run_task(state.pk) is True
        # A second delivery of the same task finds nothing to do.
        assert advisor_check_run_task(state.pk) is False
    return answer


@pytest.fixture
def ta(make_client, api_user):
    client = make_client(api_user)
    client._account_id = api_user.account.account_id
    return client


def test_describe_checks_lists_computed_checks_in_both_languages(ta):
    checks = ta.describe_trusted_advisor_checks(language="en")["checks"]
    ids = {c["id"] for c in checks}
    assert ids == set(REGISTRY)
    assert len(checks) >= 20
    sg = next(c for c in checks if c["id"] == SG_CHECK)
    assert sg["name"] == "Security Groups - Specific Ports Unrestricted"
    assert sg["category"] == "security"
    assert sg["metadata"] == [
        "Region",
        "Security Group Name",
        "Security Group ID",
        "Protocol",
        "Status",
        "Ports",
    ]
    for section in ("Alert Criteria", "Recommended Action", "Additional Resources"):
        assert section in sg["description"]
    japanese = ta.describe_trusted_advisor_checks(language="ja")["checks"]
    sg_ja = next(c for c in japanese if c["id"] == SG_CHECK)
    assert sg_ja["metadata"] == sg["metadata"]  # column headings are API facts
    assert "推奨" in sg_ja["description"]


def test_catalog_checks_this_installation_does_not_compute_are_unknown_ids(ta):
    """AWS's catalog has more checks than this installation computes: the API lists only the
    computed ones and answers for the others as for any id it does not know (never a result
    made up)."""
    missing = [check_id for check_id in catalog() if check_id not in REGISTRY]
    assert missing, "every catalog check is computed: nothing left to test"
    listed = {c["id"] for c in ta.describe_trusted_advisor_checks(language="en")["checks"]}
    assert not listed & set(missing)
    for call in (
        lambda: ta.describe_trusted_advisor_check_result(checkId=missing[0]),
        lambda: ta.refresh_trusted_advisor_check(checkId=missing[0]),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        error = raised.value.response["Error"]
        assert error["Code"] == "InvalidParameterValueException"
        assert error["Message"] == f"Unknown ID: {missing[0]}"


def test_refresh_cycle_result_and_summaries(ta, aws, api_user, django_capture_on_commit_callbacks):
    connect_keys(api_user.account)
    ec2 = aws.client("ec2")
    ec2.allocate_address(Domain="vpc")
    ec2.allocate_address(Domain="vpc")

    before = ta.describe_trusted_advisor_check_summaries(checkIds=[EIP_CHECK])["summaries"][0]
    assert before["status"] == "not_available"
    assert before["hasFlaggedResources"] is False
    statuses = ta.describe_trusted_advisor_check_refresh_statuses(checkIds=[EIP_CHECK])
    assert statuses["statuses"] == [
        {"checkId": EIP_CHECK, "status": "none", "millisUntilNextRefreshable": 0}
    ]

    answer = refresh_and_run(ta, EIP_CHECK, django_capture_on_commit_callbacks)
    assert answer["status"]["status"] == "enqueued"
    assert 0 < answer["status"]["millisUntilNextRefreshable"] <= 300_000

    status = ta.describe_trusted_advisor_check_refresh_statuses(checkIds=[EIP_CHECK])
    assert status["statuses"][0]["status"] == "success"

    result = ta.describe_trusted_advisor_check_result(checkId=EIP_CHECK, language="en")["result"]
    assert result["checkId"] == EIP_CHECK
    assert result["status"] == "warning"
    assert result["resourcesSummary"] == {
        "resourcesProcessed": 2,
        "resourcesFlagged": 2,
        "resourcesIgnored": 0,
        "resourcesSuppressed": 0,
    }
    assert result["categorySpecificSummary"]["costOptimizing"]["estimatedMonthlySavings"] > 0
    assert len(result["flaggedResources"]) == 2
    for item in result["flaggedResources"]:
        assert item["status"] == "warning"
        assert item["region"] == "us-east-1"
        assert len(item["resourceId"]) == 43
        assert item["isSuppressed"] is False
        assert item["metadata"][0] == "us-east-1"
    assert result["timestamp"].endswith("Z")

    summary = ta.describe_trusted_advisor_check_summaries(checkIds=[EIP_CHECK])["summaries"][0]
    assert summary["status"] == "warning"
    assert summary["hasFlaggedResources"] is True
    assert summary["resourcesSummary"] == result["resourcesSummary"]

    # Inside the minimum interval a refresh runs nothing and says how long to wait.
    again = refresh_and_run(ta, EIP_CHECK, django_capture_on_commit_callbacks)
    assert again["status"]["status"] == "success"
    assert 0 < again["status"]["millisUntilNextRefreshable"] <= 300_000
    assert CheckState.objects.get(check_id=EIP_CHECK).latest_result.pk
    events = AuditEvent.objects.filter(
        recipient_account_id=api_user.account.account_id, event_name="RefreshTrustedAdvisorCheck"
    )
    assert events.count() == 2  # both calls recorded, once each


def test_resource_ids_are_stable_across_runs(
    ta, aws, api_user, settings, django_capture_on_commit_callbacks
):
    settings.ADVISOR_REFRESH_MIN_INTERVAL = 0
    connect_keys(api_user.account)
    aws.client("ec2").allocate_address(Domain="vpc")
    refresh_and_run(ta, EIP_CHECK, django_capture_on_commit_callbacks)
    first = ta.describe_trusted_advisor_check_result(checkId=EIP_CHECK)["result"]
    refresh_and_run(ta, EIP_CHECK, django_capture_on_commit_callbacks)
    second = ta.describe_trusted_advisor_check_result(checkId=EIP_CHECK)["result"]
    assert [r["resourceId"] for r in first["flaggedResources"]] == [
        r["resourceId"] for r in second["flaggedResources"]
    ]


def test_unknown_and_unavailable_checks(ta, api_user):
    for call in (
        lambda: ta.describe_trusted_advisor_check_result(checkId="eW7HH0l7J9"),
        lambda: ta.describe_trusted_advisor_check_summaries(checkIds=[SG_CHECK, "nope"]),
        lambda: ta.refresh_trusted_advisor_check(checkId="eW7HH0l7J9"),
        lambda: ta.describe_trusted_advisor_check_refresh_statuses(checkIds=["x"]),
    ):
        with pytest.raises(ClientError) as raised:
            call()
        assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
        assert raised.value.response["Error"]["Message"].startswith("Unknown ID: ")
        assert raised.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400

    # A plan without the full set (an operator may give such a plan API access) gets the core
    # checks only, and the premium wording for the others.
    plan = api_user.account.plan
    plan.full_trusted_advisor = False
    plan.save(update_fields=["full_trusted_advisor"])
    ids = {c["id"] for c in ta.describe_trusted_advisor_checks(language="en")["checks"]}
    assert SG_CHECK in ids and EIP_CHECK not in ids
    with pytest.raises(ClientError) as raised:
        ta.describe_trusted_advisor_check_result(checkId=EIP_CHECK)
    assert raised.value.response["Error"]["Message"] == (
        "Unknown ID: Account requires a Premium Support Plan for access to Trusted Advisor "
        f"check: {EIP_CHECK}"
    )


def test_missing_required_members_are_validation_errors(ta):
    from tests.awsapi.conftest import call_with_body

    with pytest.raises(ClientError) as raised:
        call_with_body(ta, "describe_trusted_advisor_checks", b"{}", language="en")
    assert raised.value.response["Error"]["Code"] == "ValidationException"


def test_failed_run_is_abandoned_with_the_reason(
    ta, api_user, settings, django_capture_on_commit_callbacks
):
    settings.ADVISOR_REFRESH_MIN_INTERVAL = 0
    # No environment connected: the run is abandoned, never a 500.
    answer = refresh_and_run(ta, EIP_CHECK, django_capture_on_commit_callbacks)
    assert answer["status"]["status"] == "enqueued"
    assert answer["status"]["millisUntilNextRefreshable"] == 0
    statuses = ta.describe_trusted_advisor_check_refresh_statuses(checkIds=[EIP_CHECK])
    assert statuses["statuses"][0]["status"] == "abandoned"
    state = CheckState.objects.get(account=api_user.account, check_id=EIP_CHECK)
    assert state.refresh_error == advisor.MSG_NOT_CONNECTED
    summary = ta.describe_trusted_advisor_check_summaries(checkIds=[EIP_CHECK])["summaries"][0]
    assert summary["status"] == "not_available"

    # An unreachable endpoint (AWS down, network refused) is abandoned too.
    settings.ADVISOR_AWS_ENDPOINT_URL = "http://127.0.0.1:9"
    connect_keys(api_user.account)
    refresh_and_run(ta, EIP_CHECK, django_capture_on_commit_callbacks)
    state.refresh_from_db()
    assert state.refresh_status == "abandoned"
    assert "127.0.0.1:9" in state.refresh_error


def test_accounts_never_see_each_others_results(
    ta, aws, api_user, make_client, django_capture_on_commit_callbacks
):
    connect_keys(api_user.account)
    aws.client("ec2").allocate_address(Domain="vpc")
    refresh_and_run(ta, EIP_CHECK, django_capture_on_commit_callbacks)
    other = make_client(make_api_user(factories.make_account("business")))
    summary = other.describe_trusted_advisor_check_summaries(checkIds=[EIP_CHECK])["summaries"]
    assert summary[0]["status"] == "not_available"
    result = other.describe_trusted_advisor_check_result(checkId=EIP_CHECK)["result"]
    assert result["flaggedResources"] == []
    statuses = other.describe_trusted_advisor_check_refresh_statuses(checkIds=[EIP_CHECK])
    assert statuses["statuses"][0]["status"] == "none"


def test_basic_plan_has_no_api_access(make_client, reference_data):
    basic = make_client(make_api_user(factories.make_account("basic")))
    with pytest.raises(ClientError) as raised:
        basic.describe_trusted_advisor_checks(language="en")
    assert raised.value.response["Error"]["Code"] == "SubscriptionRequiredException"


def test_query_counts_are_constant(
    ta, aws, api_user, django_assert_num_queries, django_capture_on_commit_callbacks, settings
):
    settings.SUPPORTCENTER_API_RATE_LIMIT = 0
    connect_keys(api_user.account)
    ec2 = aws.client("ec2")
    for _ in range(3):
        ec2.allocate_address(Domain="vpc")
    refresh_and_run(ta, EIP_CHECK, django_capture_on_commit_callbacks)
    # Every call: access key with user, account and plan (1), policies (1), audit insert (1);
    # reads open no transaction.
    base = 3
    with django_assert_num_queries(base + 2):  # + state with latest result, resources
        ta.describe_trusted_advisor_check_result(checkId=EIP_CHECK)
    with django_assert_num_queries(base + 1):  # + states with latest results
        ta.describe_trusted_advisor_check_summaries(checkIds=list(REGISTRY))
    with django_assert_num_queries(base + 1):  # + states
        ta.describe_trusted_advisor_check_refresh_statuses(checkIds=list(REGISTRY))
    with django_assert_num_queries(base):
        ta.describe_trusted_advisor_checks(language="en")
