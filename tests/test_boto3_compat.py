"""The real clients against a real server: boto3 over HTTP, and the AWS CLI."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import boto3
import pytest

from accounts.principals import SYSTEM
from accounts.services import access_key_create
from tests import factories


@pytest.fixture
def credentials(reference_data):
    account = factories.make_account("business")
    user = factories.make_iam_user(account)
    key, secret = access_key_create(user=user, actor=SYSTEM)
    return key.access_key_id, secret


def test_boto3_round_trip_over_http(live_server, credentials) -> None:
    key_id, secret = credentials
    client = boto3.client(
        "support",
        endpoint_url=live_server.url,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )
    assert client.describe_severity_levels()["severityLevels"]
    set_id = client.add_attachments_to_set(attachments=[{"fileName": "a.txt", "data": b"hello"}])[
        "attachmentSetId"
    ]
    case_id = client.create_case(
        subject="Round trip",
        serviceCode="amazon-elastic-compute-cloud-linux",
        categoryCode="instance-issue",
        severityCode="urgent",
        communicationBody="Over real HTTP.",
        attachmentSetId=set_id,
    )["caseId"]
    case = client.describe_cases(caseIdList=[case_id])["cases"][0]
    assert case["subject"] == "Round trip"
    attachment = case["recentCommunications"]["communications"][0]["attachmentSet"][0]
    assert (
        client.describe_attachment(attachmentId=attachment["attachmentId"])["attachment"]["data"]
        == b"hello"
    )
    client.add_communication_to_case(caseId=case_id, communicationBody="Follow-up.")
    assert len(client.describe_communications(caseId=case_id)["communications"]) == 2
    assert client.resolve_case(caseId=case_id)["finalCaseStatus"] == "resolved"
    with pytest.raises(client.exceptions.CaseIdNotFound):
        client.resolve_case(caseId="case-000000000000-abcd-2026-0123456789abcdef")


def test_aws_cli(live_server, credentials, tmp_path) -> None:
    key_id, secret = credentials
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

    def aws_cli(*args: str) -> dict:
        result = subprocess.run(
            [str(aws), "support", *args, "--endpoint-url", live_server.url, "--output", "json"],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert result.returncode == 0, result.stderr
        return json.loads(result.stdout) if result.stdout.strip() else {}

    services = aws_cli("describe-services", "--service-code-list", "billing")
    assert services["services"][0]["code"] == "billing"
    created = aws_cli(
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
    )
    cases = aws_cli("describe-cases", "--case-id-list", created["caseId"])
    assert cases["cases"][0]["subject"] == "From the CLI"
    resolved = aws_cli("resolve-case", "--case-id", created["caseId"])
    assert resolved["finalCaseStatus"] == "resolved"
    checks = aws_cli("describe-trusted-advisor-checks", "--language", "en")["checks"]
    ids = [c["id"] for c in checks]
    assert "HCP4007jGY" in ids
    summaries = aws_cli("describe-trusted-advisor-check-summaries", "--check-ids", *ids[:3])
    assert [s["status"] for s in summaries["summaries"]] == ["not_available"] * 3
    statuses = aws_cli("describe-trusted-advisor-check-refresh-statuses", "--check-ids", ids[0])
    assert statuses["statuses"][0] == {
        "checkId": ids[0],
        "status": "none",
        "millisUntilNextRefreshable": 0,
    }
    failure = subprocess.run(
        [
            str(aws),
            "support",
            "describe-communications",
            "--case-id",
            "case-000000000000-abcd-2026-0123456789abcdef",
            "--endpoint-url",
            live_server.url,
        ],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert failure.returncode != 0
    assert "CaseIdNotFound" in failure.stderr


def test_trusted_advisor_over_http_like_aws_sample_code(live_server, credentials) -> None:
    """AWS's own sample flow: list checks, refresh one, poll the refresh status until it is
    terminal, then read the result and the summaries. The worker is the test (it runs the
    queued task), the sample environment is moto started in this process."""
    from accounts.models import Account
    from advisor.models import CheckState
    from advisor.tasks import advisor_check_run_task
    from connections import services as connections

    key_id, secret = credentials
    client = boto3.client(
        "support",
        endpoint_url=live_server.url,
        region_name="us-east-1",
        aws_access_key_id=key_id,
        aws_secret_access_key=secret,
    )
    account = Account.objects.get(users__access_keys__access_key_id=key_id)
    connections.aws_connection_set(
        account=account, actor=SYSTEM, mode="sample", regions=["us-east-1"]
    )
    checks = client.describe_trusted_advisor_checks(language="en")["checks"]
    sg = next(c for c in checks if c["name"] == "Security Groups - Specific Ports Unrestricted")
    status = client.refresh_trusted_advisor_check(checkId=sg["id"])["status"]
    assert status["status"] == "enqueued"
    for _ in range(10):
        statuses = client.describe_trusted_advisor_check_refresh_statuses(checkIds=[sg["id"]])
        if statuses["statuses"][0]["status"] in ("success", "abandoned"):
            break
        # The worker's turn.
        advisor_check_run_task(CheckState.objects.get(account=account, check_id=sg["id"]).pk)
    assert statuses["statuses"][0]["status"] == "success"
    result = client.describe_trusted_advisor_check_result(checkId=sg["id"], language="en")
    flagged = result["result"]["flaggedResources"]
    assert {r["status"] for r in flagged} >= {"error", "warning"}
    assert all(len(r["metadata"]) == len(sg["metadata"]) for r in flagged)
    summary = client.describe_trusted_advisor_check_summaries(checkIds=[sg["id"]])["summaries"][0]
    assert summary["status"] == "error"
    assert summary["hasFlaggedResources"] is True
    with pytest.raises(client.exceptions.ClientError) as raised:
        client.describe_trusted_advisor_check_result(checkId="eW7HH0l7J9")
    assert raised.value.response["Error"]["Code"] == "InvalidParameterValueException"
