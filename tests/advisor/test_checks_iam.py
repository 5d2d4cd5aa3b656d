"""The IAM and CloudTrail checks, computed through boto3 against moto."""

from __future__ import annotations

from datetime import UTC, timedelta

import pytest

from advisor.checks.base import ERROR, OK, WARNING
from advisor.checks.iam import key_rotation_status
from tests.advisor.check_helpers import ACCOUNT, run
from tests.advisor.conftest import AwsClient, MakeEnv

# --- IAM ---------------------------------------------------------------------------------------


def test_root_mfa(moto_endpoint: str, make_env: MakeEnv) -> None:
    evaluation = run("7DAFEmoDos", make_env(moto_endpoint))
    assert evaluation.processed == 1
    [row] = evaluation.rows
    assert (row.status, row.arn, list(row.metadata), row.region) == (
        ERROR,
        f"arn:aws:iam::{ACCOUNT}:root",
        [],
        None,
    )
    # moto hard-wires AccountMFAEnabled to 0; the server runs in this process, so flip it.
    from moto.iam.models import iam_backends

    iam_backends[ACCOUNT]["aws"].account_summary._account_mfa_enabled = 1
    assert [r.status for r in run("7DAFEmoDos", make_env(moto_endpoint)).rows] == [OK]


def test_iam_use(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    assert [r.status for r in run("zXCkfM1nI3", make_env(moto_endpoint)).rows] == [WARNING]
    aws_client("iam").create_user(UserName="alice")
    evaluation = run("zXCkfM1nI3", make_env(moto_endpoint))
    assert [(r.status, r.arn) for r in evaluation.rows] == [(OK, f"arn:aws:iam::{ACCOUNT}:root")]
    assert evaluation.processed == 1


def test_password_policy(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    [row] = run("Yw2K9puPzl", make_env(moto_endpoint)).rows
    assert row.status == ERROR
    assert row.metadata == ["No", None, None, None, None, "Red", "No password policy is set."]

    iam = aws_client("iam")
    iam.update_account_password_policy(RequireUppercaseCharacters=True, RequireNumbers=True)
    [row] = run("Yw2K9puPzl", make_env(moto_endpoint)).rows
    assert row.status == WARNING
    assert row.metadata == [
        "Yes",
        "Yes",
        "No",
        "Yes",
        "No",
        "Yellow",
        "The policy does not require: lowercase letters, non-alphanumeric characters.",
    ]

    iam.update_account_password_policy(
        RequireUppercaseCharacters=True,
        RequireLowercaseCharacters=True,
        RequireNumbers=True,
        RequireSymbols=True,
    )
    [row] = run("Yw2K9puPzl", make_env(moto_endpoint)).rows
    assert (row.status, row.metadata) == (OK, ["Yes", "Yes", "Yes", "Yes", "Yes", "Green", None])


@pytest.mark.parametrize(
    ("age", "status"),
    [
        (timedelta(0), OK),
        (timedelta(days=90), OK),
        (timedelta(days=90, seconds=1), WARNING),
        (timedelta(days=400), WARNING),
        (timedelta(days=730), WARNING),
        (timedelta(days=730, seconds=1), ERROR),
        (timedelta(days=3000), ERROR),
    ],
)
def test_key_rotation_age_buckets(age: timedelta, status: str) -> None:
    assert key_rotation_status(age) == status


def test_access_key_rotation(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    iam = aws_client("iam")
    iam.create_user(UserName="alice")
    iam.create_user(UserName="nokeys")
    key = iam.create_access_key(UserName="alice")["AccessKey"]
    old = iam.create_access_key(UserName="alice")["AccessKey"]
    iam.update_access_key(UserName="alice", AccessKeyId=old["AccessKeyId"], Status="Inactive")
    created = key["CreateDate"]
    alice = f"arn:aws:iam::{ACCOUNT}:user/alice"

    expectations = [
        (timedelta(days=1), OK, "Green", None),
        (timedelta(days=100), WARNING, "Yellow", "Not rotated in more than 90 days."),
        (timedelta(days=800), ERROR, "Red", "Not rotated in more than 2 years."),
    ]
    for age, status, colour, reason in expectations:
        evaluation = run("DqdJqYeRm5", make_env(moto_endpoint, now=created + age))
        assert evaluation.processed == 1  # the inactive key is not counted
        [row] = evaluation.rows
        assert row.status == status
        assert row.arn == alice
        assert row.key == f"{alice}|{key['AccessKeyId']}"
        assert row.region is None
        stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row.metadata == [colour, "alice", key["AccessKeyId"], stamp, reason]

    # Re-activating the old key: two rows for one user, told apart by their keys.
    iam.update_access_key(UserName="alice", AccessKeyId=old["AccessKeyId"], Status="Active")
    evaluation = run("DqdJqYeRm5", make_env(moto_endpoint, now=created))
    assert {r.arn for r in evaluation.rows} == {alice}
    assert sorted(r.identity for r in evaluation.rows) == sorted(
        f"{alice}|{k['AccessKeyId']}" for k in (key, old)
    )


# --- CloudTrail --------------------------------------------------------------------------------


def test_cloudtrail_logging(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    aws_client("s3").create_bucket(Bucket="trail-bucket")
    cloudtrail = aws_client("cloudtrail")
    cloudtrail.create_trail(Name="main", S3BucketName="trail-bucket")
    env = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1"))

    evaluation = run("vjafUGJ9H0", env)
    assert evaluation.processed == 2
    rows = {r.region: r for r in evaluation.rows}
    assert rows["us-east-1"].metadata == ["us-east-1", "main", "Off", "trail-bucket", None, "Red"]
    assert rows["us-east-1"].arn == f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/main"
    assert rows["eu-west-1"].status == ERROR
    assert rows["eu-west-1"].metadata == ["eu-west-1", None, "Off", None, None, "Red"]

    cloudtrail.start_logging(Name="main")
    cloudtrail.create_trail(Name="everywhere", S3BucketName="trail-bucket", IsMultiRegionTrail=True)
    cloudtrail.start_logging(Name="everywhere")
    evaluation = run("vjafUGJ9H0", make_env(moto_endpoint, regions=("us-east-1", "eu-west-1")))
    assert evaluation.processed == 3
    assert sorted((r.region, r.metadata[1], r.metadata[2], r.status) for r in evaluation.rows) == [
        ("eu-west-1", "everywhere", "On", OK),  # the multi-region trail, seen from eu-west-1
        ("us-east-1", "everywhere", "On", OK),
        ("us-east-1", "main", "On", OK),
    ]
    everywhere = f"arn:aws:cloudtrail:us-east-1:{ACCOUNT}:trail/everywhere"
    # The home region's row keeps the trail's ARN; the shadow row adds its region.
    assert {r.region: r.key for r in evaluation.rows if r.arn == everywhere} == {
        "us-east-1": None,
        "eu-west-1": f"{everywhere}|eu-west-1",
    }
