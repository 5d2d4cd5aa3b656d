"""The S3 bucket checks (permissions, versioning, logging), computed against moto."""

from __future__ import annotations

import json
from typing import Any

import pytest

from advisor.checks.base import ERROR, OK, WARNING
from advisor.checks.s3 import ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY
from tests.advisor.check_helpers import _refusing, _with_clients, by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv


def _grant(owner: dict[str, str], *grants: tuple[str, str]) -> dict[str, Any]:
    return {
        "Owner": owner,
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
            *({"Grantee": {"Type": "Group", "URI": uri}, "Permission": p} for uri, p in grants),
        ],
    }


def _log_grants(owner: dict[str, str]) -> dict[str, Any]:
    return _grant(owner, (LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP"))


def test_bucket_permissions(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="private-bucket")
    s3.create_bucket(Bucket="listable-bucket", ACL="public-read")
    owner = s3.get_bucket_acl(Bucket="private-bucket")["Owner"]
    s3.create_bucket(Bucket="writable-bucket")
    s3.put_bucket_acl(
        Bucket="writable-bucket", AccessControlPolicy=_grant(owner, (ALL_USERS, "WRITE"))
    )
    s3.create_bucket(Bucket="aws-users-bucket")
    s3.put_bucket_acl(
        Bucket="aws-users-bucket", AccessControlPolicy=_grant(owner, (AUTHENTICATED_USERS, "READ"))
    )
    eu = aws_client("s3", "eu-west-1")
    eu.create_bucket(
        Bucket="policy-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    statement = {"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}
    statement["Resource"] = "arn:aws:s3:::policy-bucket/*"
    policy = {"Version": "2012-10-17", "Statement": [statement]}
    eu.put_bucket_policy(Bucket="policy-bucket", Policy=json.dumps(policy))

    evaluation = run("Pfx0RwqBli", make_env(moto_endpoint, regions=("us-east-1", "eu-west-1")))
    assert evaluation.processed == 5
    rows = by_name(evaluation, 2)
    assert {name: r.status for name, r in rows.items()} == {
        "private-bucket": OK,
        "listable-bucket": WARNING,
        "writable-bucket": ERROR,
        "aws-users-bucket": WARNING,
        "policy-bucket": WARNING,
    }
    assert rows["private-bucket"].metadata == [
        "US East (N. Virginia)",
        "us-east-1",
        "private-bucket",
        "No",
        "No",
        "Green",
        "No",
        None,
    ]
    assert rows["listable-bucket"].metadata[3:7] == ["Yes", "No", "Yellow", "No"]
    assert rows["writable-bucket"].metadata[3:7] == ["No", "Yes", "Red", "No"]
    policy_row = rows["policy-bucket"]
    assert policy_row.metadata[:3] == ["Europe (Ireland)", "eu-west-1", "policy-bucket"]
    assert policy_row.metadata[6] == "Yes"
    assert policy_row.region == "eu-west-1"
    assert policy_row.arn == "arn:aws:s3:::policy-bucket"


def test_bucket_versioning(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    s3 = aws_client("s3")
    for name in ("plain-bucket", "versioned-bucket", "suspended-bucket"):
        s3.create_bucket(Bucket=name)
    s3.put_bucket_versioning(
        Bucket="versioned-bucket", VersioningConfiguration={"Status": "Enabled"}
    )
    s3.put_bucket_versioning(
        Bucket="suspended-bucket", VersioningConfiguration={"Status": "Enabled"}
    )
    s3.put_bucket_versioning(
        Bucket="suspended-bucket", VersioningConfiguration={"Status": "Suspended"}
    )

    evaluation = run("R365s2Qddf", make_env(moto_endpoint))
    assert evaluation.processed == 3
    rows = by_name(evaluation, 1)
    assert rows["versioned-bucket"].metadata == [
        "us-east-1",
        "versioned-bucket",
        "Enabled",
        "No",
        "Green",
    ]
    assert rows["versioned-bucket"].status == OK
    assert rows["suspended-bucket"].metadata[2:] == ["Suspended", "No", "Yellow"]
    assert rows["plain-bucket"].metadata[2:] == ["Not enabled", "No", "Yellow"]


def test_bucket_logging(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    s3 = aws_client("s3")
    for name in ("logs-bucket", "gone-logs-bucket", "app-bucket", "orphan-bucket", "quiet-bucket"):
        s3.create_bucket(Bucket=name)
    owner = s3.get_bucket_acl(Bucket="logs-bucket")["Owner"]
    grants = _grant(owner, (LOG_DELIVERY, "WRITE"), (LOG_DELIVERY, "READ_ACP"))
    for target in ("logs-bucket", "gone-logs-bucket"):
        s3.put_bucket_acl(Bucket=target, AccessControlPolicy=grants)
    for source, target in (("app-bucket", "logs-bucket"), ("orphan-bucket", "gone-logs-bucket")):
        status = {"LoggingEnabled": {"TargetBucket": target, "TargetPrefix": f"{source}/"}}
        s3.put_bucket_logging(Bucket=source, BucketLoggingStatus=status)
    s3.delete_bucket(Bucket="gone-logs-bucket")

    evaluation = run("BueAdJ7NrP", make_env(moto_endpoint))
    assert evaluation.processed == 4
    rows = by_name(evaluation, 1)
    assert rows["app-bucket"].status == OK
    assert rows["app-bucket"].metadata == [
        "us-east-1",
        "app-bucket",
        "logs-bucket",
        "Yes",
        "Yes",
        "Yes",
        "Green",
        None,
    ]
    assert rows["orphan-bucket"].status == ERROR
    assert rows["orphan-bucket"].metadata[2:] == [
        "gone-logs-bucket",
        "No",
        "No",
        None,
        "Red",
        "The target bucket does not exist.",
    ]
    assert rows["quiet-bucket"].status == WARNING
    assert rows["quiet-bucket"].metadata[2:] == [
        None,
        None,
        None,
        None,
        "Yellow",
        "Server access logging is not enabled.",
    ]

    # Taking log delivery's grant away after logging was set up.
    s3.put_bucket_acl(Bucket="logs-bucket", ACL="private")
    row = by_name(run("BueAdJ7NrP", make_env(moto_endpoint)), 1)["app-bucket"]
    assert row.status == ERROR
    assert row.metadata[3:] == [
        "Yes",
        "Yes",
        "No",
        "Red",
        "Log delivery has no permission to write to the target bucket.",
    ]


@pytest.mark.parametrize(
    ("operation", "code", "status", "columns"),
    [
        # Someone else's bucket: S3 answers 403 to HEAD, which says it exists.
        (
            "head_bucket",
            "403",
            ERROR,
            ["Yes", "No", None, "Red", "The target bucket belongs to another account."],
        ),
        # Our bucket, but its permissions are not readable: delivery cannot be checked.
        (
            "get_bucket_acl",
            "AccessDenied",
            WARNING,
            ["Yes", "Yes", None, "Yellow", "The target bucket's permissions could not be read."],
        ),
        (
            "get_bucket_acl",
            "NoSuchBucket",
            ERROR,
            ["No", "No", None, "Red", "The target bucket does not exist."],
        ),
    ],
)
def test_bucket_logging_target_problems(
    operation: str,
    code: str,
    status: str,
    columns: list[str | None],
    aws_client: AwsClient,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    s3 = aws_client("s3")
    for name in ("logs-bucket", "app-bucket"):
        s3.create_bucket(Bucket=name)
    owner = s3.get_bucket_acl(Bucket="logs-bucket")["Owner"]
    s3.put_bucket_acl(Bucket="logs-bucket", AccessControlPolicy=_log_grants(owner))
    status_doc = {"LoggingEnabled": {"TargetBucket": "logs-bucket", "TargetPrefix": "app/"}}
    s3.put_bucket_logging(Bucket="app-bucket", BucketLoggingStatus=status_doc)

    def wrap(service: str, region: str, client: Any) -> Any:
        if service != "s3":
            return client
        refusing = _refusing(client, operation, code, only=lambda p: p["Bucket"] == "logs-bucket")
        if operation == "head_bucket":
            # The target is not among the account's buckets.
            listed = client.list_buckets(MaxBuckets=1000)
            listed["Buckets"] = [b for b in listed["Buckets"] if b["Name"] != "logs-bucket"]
            refusing.calls["list_buckets"] = lambda **params: listed
        return refusing

    evaluation = run("BueAdJ7NrP", _with_clients(make_env(moto_endpoint), wrap))
    row = by_name(evaluation, 1)["app-bucket"]
    assert row.status == status
    assert row.metadata[3:] == columns
    assert evaluation.ignored == 0


def test_buckets_outside_the_selected_regions_are_not_evaluated(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    aws_client("s3").create_bucket(Bucket="home-bucket", ACL="public-read")
    eu = aws_client("s3", "eu-west-1")
    eu.create_bucket(
        Bucket="far-bucket", CreateBucketConfiguration={"LocationConstraint": "eu-west-1"}
    )
    env = make_env(moto_endpoint, regions=("us-east-1",))
    for check_id, column in (("Pfx0RwqBli", 2), ("R365s2Qddf", 1), ("BueAdJ7NrP", 1)):
        evaluation = run(check_id, env)
        assert list(by_name(evaluation, column)) == ["home-bucket"], check_id
        assert (evaluation.processed, evaluation.ignored) == (1, 0), check_id
    both = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1"))
    assert set(by_name(run("R365s2Qddf", both), 1)) == {"home-bucket", "far-bucket"}


# --- Buckets that cannot be read ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("operation", "code", "permissions", "versioning_ignored", "logging_ignored"),
    [
        # The bucket's region is unknown: nothing else about it can be read either.
        (
            "get_bucket_location",
            "AccessDenied",
            [None, None, "locked-bucket", None, None, "Yellow", None, None],
            1,
            1,
        ),
        (
            "get_bucket_acl",
            "AccessDenied",
            ["US East (N. Virginia)", "us-east-1", "locked-bucket"]
            + [None, None, "Yellow", "No", None],
            0,
            0,
        ),
        (
            "get_bucket_policy_status",
            "AccessDenied",
            ["US East (N. Virginia)", "us-east-1", "locked-bucket"]
            + ["No", "No", "Yellow", None, None],
            0,
            0,
        ),
        (
            "get_bucket_policy_status",
            "SlowDown",
            ["US East (N. Virginia)", "us-east-1", "locked-bucket"]
            + ["No", "No", "Yellow", None, None],
            0,
            0,
        ),
        ("get_bucket_versioning", "AccessDenied", None, 1, 0),
        ("get_bucket_logging", "AccessDenied", None, 0, 1),
        ("get_bucket_logging", "Throttling", None, 0, 1),
    ],
)
def test_a_bucket_that_cannot_be_read(
    operation: str,
    code: str,
    permissions: list[str | None] | None,
    versioning_ignored: int,
    logging_ignored: int,
    aws_client: AwsClient,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    s3 = aws_client("s3")
    s3.create_bucket(Bucket="locked-bucket")
    s3.create_bucket(Bucket="open-bucket", ACL="public-read")

    def wrap(service: str, region: str, client: Any) -> Any:
        if service != "s3":
            return client
        return _refusing(client, operation, code, only=lambda p: p["Bucket"] == "locked-bucket")

    env = _with_clients(make_env(moto_endpoint), wrap)
    evaluation = run("Pfx0RwqBli", env)
    rows = by_name(evaluation, 2)
    # The other bucket is evaluated as usual; the locked one is Yellow, "could not be evaluated".
    assert rows["open-bucket"].status == WARNING
    assert rows["open-bucket"].metadata[3:7] == ["Yes", "No", "Yellow", "No"]
    assert (evaluation.processed, evaluation.ignored) == (2, 0)
    if permissions is None:
        assert rows["locked-bucket"].status == OK
    else:
        assert rows["locked-bucket"].status == WARNING
        assert list(rows["locked-bucket"].metadata) == permissions
        assert rows["locked-bucket"].region == permissions[1]

    for check_id, ignored in (("R365s2Qddf", versioning_ignored), ("BueAdJ7NrP", logging_ignored)):
        evaluation = run(check_id, env)
        assert (evaluation.processed, evaluation.ignored) == (2 - ignored, ignored), check_id
        assert ("locked-bucket" in by_name(evaluation, 1)) == (not ignored), check_id


def test_a_bucket_deleted_while_being_read_is_dropped(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    s3 = aws_client("s3")
    for name in ("locked-bucket", "open-bucket"):
        s3.create_bucket(Bucket=name)

    def locked(params: dict[str, Any]) -> bool:
        return bool(params["Bucket"] == "locked-bucket")

    def wrap(service: str, region: str, client: Any) -> Any:
        if service != "s3":
            return client
        return _refusing(client, "get_bucket_acl", "NoSuchBucket", only=locked)

    evaluation = run("Pfx0RwqBli", _with_clients(make_env(moto_endpoint), wrap))
    assert [r.metadata[2] for r in evaluation.rows] == ["open-bucket"]
    assert (evaluation.processed, evaluation.ignored) == (1, 0)
