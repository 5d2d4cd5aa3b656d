"""LookupEvents from the real clients against a real server: boto3's `cloudtrail` client (and its
paginator) over HTTP, and `aws cloudtrail lookup-events`, both pointed at the same endpoint URL
as `aws support`."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from accounts.models import Policy
from accounts.principals import SYSTEM
from accounts.services import access_key_create
from accounts.services.iam import policy_attach_to_user
from audit.models import AuditEvent
from tests import factories


@pytest.fixture
def credentials(reference_data):
    """A key of an IAM user with AWS Support and CloudTrail's reads (two managed policies)."""
    account = factories.make_account("business")
    user = factories.make_iam_user(account)
    policy_attach_to_user(
        user=user,
        policy=Policy.objects.get(account=None, name="AWSCloudTrail_ReadOnlyAccess"),
        actor=SYSTEM,
    )
    key, secret = access_key_create(user=user, actor=SYSTEM)
    return account, key.access_key_id, secret


def test_boto3_cloudtrail_and_support_share_the_endpoint(live_server, credentials) -> None:
    account, key_id, secret = credentials
    session = boto3.session.Session(
        aws_access_key_id=key_id, aws_secret_access_key=secret, region_name="ap-northeast-1"
    )
    support = session.client("support", endpoint_url=live_server.url)
    trail = session.client("cloudtrail", endpoint_url=live_server.url)
    for _ in range(3):
        support.describe_severity_levels()
    pages = list(
        trail.get_paginator("lookup_events").paginate(
            LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": "DescribeSeverityLevels"}
            ],
            PaginationConfig={"PageSize": 2},
        )
    )
    events = [event for page in pages for event in page["Events"]]
    assert [len(page["Events"]) for page in pages] == [2, 1]
    assert {e["AccessKeyId"] for e in events} == {key_id}
    assert all(json.loads(e["CloudTrailEvent"])["readOnly"] for e in events)
    with pytest.raises(trail.exceptions.InvalidLookupAttributesException):
        trail.lookup_events(
            LookupAttributes=[
                {"AttributeKey": "EventName", "AttributeValue": "A"},
                {"AttributeKey": "EventName", "AttributeValue": "B"},
            ]
        )
    assert (
        AuditEvent.objects.filter(
            recipient_account_id=account.account_id, event_name="LookupEvents"
        ).count()
        == len(pages) + 1
    )


def test_aws_cli_lookup_events(live_server, credentials, tmp_path) -> None:
    _account, key_id, secret = credentials
    aws = Path(sys.executable).parent / "aws"
    if not aws.exists():
        pytest.skip("awscli is not installed (it is in the test extras)")
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(tmp_path),
        "AWS_ACCESS_KEY_ID": key_id,
        "AWS_SECRET_ACCESS_KEY": secret,
        "AWS_DEFAULT_REGION": "us-east-1",
        "AWS_CONFIG_FILE": str(tmp_path / "config"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "credentials"),
    }

    def aws_cli(service: str, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        result = subprocess.run(
            [str(aws), service, *args, "--endpoint-url", live_server.url, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        if check:
            assert result.returncode == 0, result.stderr
        return result

    created = json.loads(
        aws_cli(
            "support",
            "create-case",
            "--subject",
            "From the CLI",
            "--service-code",
            "billing",
            "--category-code",
            "charge-inquiry",
            "--issue-type",
            "customer-service",
            "--communication-body",
            "Sent with aws support create-case.",
        ).stdout
    )
    found = json.loads(
        aws_cli(
            "cloudtrail",
            "lookup-events",
            "--lookup-attributes",
            f"AttributeKey=ResourceName,AttributeValue={created['caseId']}",
        ).stdout
    )
    [event] = found["Events"]
    assert event["EventName"] == "CreateCase"
    assert event["Resources"] == [
        {"ResourceType": "AWS::Support::Case", "ResourceName": created["caseId"]}
    ]
    record = json.loads(event["CloudTrailEvent"])
    assert record["eventID"] == event["EventId"] and record["eventName"] == "CreateCase"
    # The CLI follows NextToken itself: pages of one, every event once.
    everything = json.loads(
        aws_cli(
            "cloudtrail",
            "lookup-events",
            "--page-size",
            "1",
            "--start-time",
            "2020-01-01T00:00:00Z",
        ).stdout
    )["Events"]
    ids = [e["EventId"] for e in everything]
    assert len(ids) == len(set(ids)) >= 4
    assert "CreateCase" in {e["EventName"] for e in everything}
    refused = aws_cli(
        "cloudtrail",
        "lookup-events",
        "--start-time",
        "2030-01-01",
        "--end-time",
        "2029-01-01",
        check=False,
    )
    assert refused.returncode != 0 and "InvalidTimeRangeException" in refused.stderr
