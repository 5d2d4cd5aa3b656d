"""The Trusted Advisor checks, computed through boto3 against moto."""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone
from django.utils.functional import Promise

from advisor.checks import REGISTRY, pricing
from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation, catalog
from advisor.checks.ebs import snapshot_age_status
from advisor.checks.helpers import (
    MAX_METRIC_QUERIES,
    MetricQuery,
    daily_metrics,
    error_code,
    per_region,
    read_resource,
    try_read,
    usage_status,
)
from advisor.checks.iam import key_rotation_status
from advisor.checks.limits import RegionalQuota, regional_quota_value
from advisor.checks.rds import days_since_connection
from advisor.checks.s3 import ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY
from advisor.checks.security_groups import port_range_status
from connections import sample
from connections.sample import IMAGE_ID, SAMPLE_ACCOUNT_ID, SAMPLE_REGIONS
from tests.advisor.conftest import AwsClient, MakeEnv, put_daily

# CloudWatch tests write their history relative to this instant; age tests use the creation
# times moto reports instead, since moto stamps resources with the real clock.
NOW = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
ACCOUNT = SAMPLE_ACCOUNT_ID
COLOURS = {"Green", "Yellow", "Red"}
CORE = {
    "Pfx0RwqBli",
    "HCP4007jGY",
    "zXCkfM1nI3",
    "7DAFEmoDos",
    "ePs02jT06w",
    "rSs93HQwa1",
    "qS7VV0l7J9",
    "oQ7TT0l7J9",
    "sU7XX0l7J9",
    "nO7SS0l7J9",
    "pR7UU0l7J9",
    "rT7WW0l7J9",
    "jL7PP0l7J9",
    "kM7QQ0l7J9",
    "lN7RR0l7J9",
}


def run(check_id: str, env: Environment) -> Evaluation:
    evaluation = REGISTRY[check_id].evaluate(env)
    width = len(REGISTRY[check_id].metadata)
    for row in evaluation.rows:
        assert len(row.metadata) == width, row
        assert row.status in (OK, WARNING, ERROR)
        assert row.arn.startswith("arn:aws:")
    return evaluation


def by_name(evaluation: Evaluation, column: int) -> dict[str | None, Any]:
    return {row.metadata[column]: row for row in evaluation.rows}


# --- Catalog facts -----------------------------------------------------------------------------


def test_registered_checks_match_the_catalog() -> None:
    assert len(REGISTRY) >= 20
    facts = catalog()
    for check_id, spec in REGISTRY.items():
        assert check_id in facts
        assert str(spec.name) == facts[check_id]["name"]
        assert spec.category == facts[check_id]["category"]
        assert list(spec.metadata) == facts[check_id]["metadata"]
        # Our own wording, translatable later.
        for text in (spec.name, spec.lead, spec.action, *spec.criteria):
            assert isinstance(text, Promise)
        colours = {str(c).split(":")[0] for c in spec.criteria}
        # Blue is the service limits' "unable to retrieve utilization or limits".
        assert colours <= ({"Green", "Yellow", "Red", "Blue"} if "Blue" in colours else COLOURS)
        assert "Blue" not in colours or spec.category == "service_limits"
        assert spec.resources
        assert all(
            url.startswith("https://") and "aws.amazon.com" in url for _, url in spec.resources
        )
        html = spec.description_html()
        for section in ("Alert Criteria", "Recommended Action", "Additional Resources"):
            assert section in html
        # Links are separated by real line breaks, not escaped markup.
        assert "&lt;" not in html
        assert html.count("<a href=") == len(spec.resources)
    assert {i for i, spec in REGISTRY.items() if spec.core} == CORE


# --- Security groups ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("from_port", "to_port", "status"),
    [
        (25, 25, OK),
        (80, 80, OK),
        (443, 443, OK),
        (465, 465, OK),
        (22, 22, WARNING),
        (8080, 8080, WARNING),
        (80, 443, WARNING),  # a range of mostly other ports
        (20, 20, ERROR),
        (21, 21, ERROR),
        (1433, 1434, ERROR),
        (3306, 3306, ERROR),
        (3389, 3389, ERROR),
        (4333, 4333, ERROR),
        (5432, 5432, ERROR),
        (5500, 5500, ERROR),
        (5000, 6000, ERROR),  # contains 5432 and 5500
        (0, 65535, ERROR),
    ],
)
def test_specific_ports_colour(from_port: int, to_port: int, status: str) -> None:
    assert port_range_status(from_port, to_port) == status


def _open_group(ec2: Any, name: str, permissions: list[dict[str, Any]]) -> str:
    group_id = ec2.create_security_group(GroupName=name, Description=name)["GroupId"]
    ec2.authorize_security_group_ingress(GroupId=group_id, IpPermissions=permissions)
    return group_id


def _rule(port: int, cidr: str = "0.0.0.0/0", protocol: str = "tcp") -> dict[str, Any]:
    return {
        "IpProtocol": protocol,
        "FromPort": port,
        "ToPort": port,
        "IpRanges": [{"CidrIp": cidr}],
    }


@pytest.fixture
def open_groups(aws_client: AwsClient) -> dict[str, str]:
    ec2 = aws_client("ec2")
    web = _open_group(ec2, "web", [_rule(80), _rule(22), _rule(8080, "10.0.0.0/8")])
    db = _open_group(ec2, "db", [_rule(3306), _rule(53, protocol="udp")])
    wide = _open_group(ec2, "wide", [{"IpProtocol": "-1", "IpRanges": [{"CidrIp": "0.0.0.0/0"}]}])
    ping = {
        "IpProtocol": "icmp",
        "FromPort": 8,
        "ToPort": -1,
        "IpRanges": [{"CidrIp": "0.0.0.0/0"}],
    }
    _open_group(ec2, "ping", [ping])  # ICMP has no ports: not evaluated
    return {"web": web, "db": db, "wide": wide}


def test_security_groups_specific_ports(
    open_groups: dict[str, str], moto_endpoint: str, make_env: MakeEnv
) -> None:
    evaluation = run("HCP4007jGY", make_env(moto_endpoint))
    assert evaluation.processed == 5  # four groups and the default VPC's
    rows = {(r.metadata[1], r.metadata[5]): r for r in evaluation.rows}
    assert {key: r.status for key, r in rows.items()} == {
        ("web", "80"): OK,  # green rows are listed
        ("web", "22"): WARNING,
        ("db", "3306"): ERROR,
        ("db", "53"): WARNING,
        ("wide", "0-65535"): ERROR,
    }
    web = rows[("web", "22")]
    assert web.metadata == ["us-east-1", "web", open_groups["web"], "tcp", "Yellow", "22"]
    assert web.region == "us-east-1"
    assert web.arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{open_groups['web']}"
    # Rows of one group share its ARN; the key names the rule.
    assert web.key == f"{web.arn}|tcp|22-22|0.0.0.0/0"
    assert rows[("wide", "0-65535")].key.endswith("|all|0-65535|0.0.0.0/0")
    assert len({r.identity for r in evaluation.rows}) == len(evaluation.rows)
    assert rows[("db", "53")].metadata[3] == "udp"
    assert rows[("wide", "0-65535")].metadata[3] == "all"


def test_security_groups_unrestricted_access(
    open_groups: dict[str, str], moto_endpoint: str, make_env: MakeEnv
) -> None:
    evaluation = run("1iG5NDGVre", make_env(moto_endpoint))
    assert evaluation.processed == 5
    assert {(r.metadata[1], r.metadata[4]) for r in evaluation.rows} == {
        ("web", "22"),
        ("db", "3306"),
        ("db", "53"),
        ("wide", "0-65535"),
    }
    assert all(r.status == ERROR for r in evaluation.rows)
    row = next(r for r in evaluation.rows if r.metadata[4] == "3306")
    assert row.metadata == ["us-east-1", "db", open_groups["db"], "tcp", "3306", "Red", "0.0.0.0/0"]
    assert row.key == f"{row.arn}|tcp|3306-3306|0.0.0.0/0"
    assert len({r.identity for r in evaluation.rows}) == len(evaluation.rows)


# --- S3 ----------------------------------------------------------------------------------------


def _grant(owner: dict[str, str], *grants: tuple[str, str]) -> dict[str, Any]:
    return {
        "Owner": owner,
        "Grants": [
            {"Grantee": {"Type": "CanonicalUser", "ID": owner["ID"]}, "Permission": "FULL_CONTROL"},
            *({"Grantee": {"Type": "Group", "URI": uri}, "Permission": p} for uri, p in grants),
        ],
    }


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

    evaluation = run("Pfx0RwqBli", make_env(moto_endpoint))
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
    assert rows["orphan-bucket"].metadata[2:] == [
        "gone-logs-bucket",
        "No",
        "No",
        None,
        "Yellow",
        "The target bucket does not exist.",
    ]
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
    assert row.status == WARNING
    assert row.metadata[3:] == [
        "Yes",
        "Yes",
        "No",
        "Yellow",
        "Log delivery has no permission to write to the target bucket.",
    ]


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


# --- EBS and EC2 -------------------------------------------------------------------------------


def test_public_ebs_snapshots(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    ec2 = aws_client("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
    public = ec2.create_snapshot(VolumeId=volume, Description="shared")["SnapshotId"]
    ec2.create_snapshot(VolumeId=volume, Description="private")
    ec2.modify_snapshot_attribute(
        SnapshotId=public,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    evaluation = run("ePs02jT06w", make_env(moto_endpoint))
    assert evaluation.processed == 2
    [row] = evaluation.rows
    assert row.status == ERROR
    assert row.metadata == ["Red", "us-east-1", volume, public, "shared"]
    assert row.arn == f"arn:aws:ec2:us-east-1::snapshot/{public}"


def _aws_like_snapshot_filter(ec2: Any, seen: list[str]) -> _Patched:
    """`ec2` answering describe_snapshots(RestorableByUserIds=["all"]) with the public snapshots
    only, as AWS does (moto answers every snapshot), and recording describe_snapshot_attribute
    calls in `seen`."""

    def public(snapshot_id: str) -> bool:
        answer = ec2.describe_snapshot_attribute(
            SnapshotId=snapshot_id, Attribute="createVolumePermission"
        )
        return any(p.get("Group") == "all" for p in answer["CreateVolumePermissions"])

    def describe_snapshots(**params: Any) -> Any:
        answer = ec2.describe_snapshots(**params)
        if params.get("RestorableByUserIds") == ["all"]:
            answer["Snapshots"] = [s for s in answer["Snapshots"] if public(s["SnapshotId"])]
        return answer

    def describe_snapshot_attribute(**params: Any) -> Any:
        seen.append(params["SnapshotId"])
        return ec2.describe_snapshot_attribute(**params)

    return _Patched(
        ec2,
        {
            "describe_snapshots": describe_snapshots,
            "describe_snapshot_attribute": describe_snapshot_attribute,
        },
    )


def test_public_ebs_snapshots_through_the_narrowed_listing(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    volume = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
    public = ec2.create_snapshot(VolumeId=volume, Description="shared")["SnapshotId"]
    for index in range(3):
        ec2.create_snapshot(VolumeId=volume, Description=f"private {index}")
    ec2.modify_snapshot_attribute(
        SnapshotId=public,
        Attribute="createVolumePermission",
        OperationType="add",
        GroupNames=["all"],
    )
    seen: list[str] = []

    def wrap(service: str, region: str, client: Any) -> Any:
        return _aws_like_snapshot_filter(client, seen) if service == "ec2" else client

    evaluation = run("ePs02jT06w", _with_clients(make_env(moto_endpoint), wrap))
    # Only the candidate AWS returned is confirmed, but every own snapshot was looked at.
    assert seen == [public]
    assert (evaluation.processed, evaluation.ignored) == (4, 0)
    [row] = evaluation.rows
    assert row.metadata == ["Red", "us-east-1", volume, public, "shared"]

    # A candidate whose attribute cannot be read is ignored, not reported.
    def refuse(service: str, region: str, client: Any) -> Any:
        if service != "ec2":
            return client
        return _refusing(client, "describe_snapshot_attribute", "UnauthorizedOperation")

    evaluation = run("ePs02jT06w", _with_clients(make_env(moto_endpoint), refuse))
    assert (evaluation.rows, evaluation.processed, evaluation.ignored) == ([], 0, 4)


@pytest.mark.parametrize(
    ("age", "status"),
    [
        (None, ERROR),
        (timedelta(hours=1), OK),
        (timedelta(days=7), OK),
        (timedelta(days=7, seconds=1), WARNING),
        (timedelta(days=30), WARNING),
        (timedelta(days=30, seconds=1), ERROR),
    ],
)
def test_snapshot_age_buckets(age: timedelta | None, status: str) -> None:
    assert snapshot_age_status(age) == status


def test_ebs_snapshot_age(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    ec2 = aws_client("ec2")
    tags = [{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "data"}]}]
    backed_up = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10, TagSpecifications=tags)
    never = ec2.create_volume(AvailabilityZone="us-east-1a", Size=10)["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=backed_up["VolumeId"])
    taken = snapshot["StartTime"]

    fresh = run("H7IgTzjTYb", make_env(moto_endpoint, now=taken + timedelta(days=1)))
    assert fresh.processed == 2
    assert [r.metadata[1] for r in fresh.rows] == [never]  # green volumes are not listed
    assert fresh.rows[0].metadata == [
        "us-east-1",
        never,
        None,
        None,
        None,
        None,
        None,
        "Red",
        "The volume has no snapshot.",
    ]

    for days, status, colour in ((10, WARNING, "Yellow"), (45, ERROR, "Red")):
        env = make_env(moto_endpoint, now=taken + timedelta(days=days, hours=1))
        row = by_name(run("H7IgTzjTYb", env), 1)[backed_up["VolumeId"]]
        assert row.status == status
        assert row.metadata[2:] == [
            "data",
            snapshot["SnapshotId"],
            None,
            str(days),
            None,
            colour,
            f"The newest snapshot is {days} days old.",
        ]


def test_underutilized_volumes(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    instance = ec2.run_instances(ImageId=IMAGE_ID, MinCount=1, MaxCount=1)["Instances"][0]
    instance_id = instance["InstanceId"]
    tags = [{"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": "spare"}]}]
    spare = ec2.create_volume(
        AvailabilityZone="us-east-1a", Size=100, VolumeType="gp2", TagSpecifications=tags
    )["VolumeId"]
    snapshot = ec2.create_snapshot(VolumeId=spare)
    idle = ec2.create_volume(AvailabilityZone="us-east-1a", Size=50, VolumeType="gp3")["VolumeId"]
    busy = ec2.create_volume(AvailabilityZone="us-east-1a", Size=20, VolumeType="io1", Iops=100)
    ec2.attach_volume(VolumeId=idle, InstanceId=instance_id, Device="/dev/sdf")
    ec2.attach_volume(VolumeId=busy["VolumeId"], InstanceId=instance_id, Device="/dev/sdg")
    now = snapshot["StartTime"] + timedelta(days=3, hours=2)
    put_daily(
        aws_client("cloudwatch"),
        now=now,
        namespace="AWS/EBS",
        metric="VolumeReadOps",
        dimensions={"VolumeId": busy["VolumeId"]},
        values=[100_000.0] * 7,
    )

    evaluation = run("DAvU99Dc4C", make_env(moto_endpoint, now=now))
    assert evaluation.processed == 4  # with the instance's root volume
    rows = by_name(evaluation, 1)
    assert set(rows) == {spare, idle}  # the root and the busy volume are not flagged
    assert rows[spare].metadata == [
        "us-east-1",
        spare,
        "spare",
        "gp2",
        "100",
        "$10.00",
        snapshot["SnapshotId"],
        None,
        "3",
    ]
    assert rows[spare].savings == 10.0
    assert rows[idle].metadata[3:6] == ["gp3", "50", "$4.00"]
    root_cost = pricing.ebs_monthly("gp2", 8)
    assert evaluation.monthly_cost == pytest.approx(10.0 + 4.0 + 2.5 + root_cost)


def test_unassociated_eips(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    ec2 = aws_client("ec2")
    running, stopped = (
        i["InstanceId"]
        for i in ec2.run_instances(ImageId=IMAGE_ID, MinCount=2, MaxCount=2)["Instances"]
    )
    ec2.stop_instances(InstanceIds=[stopped])
    free = ec2.allocate_address(Domain="vpc")
    for instance_id in (running, stopped):
        allocation = ec2.allocate_address(Domain="vpc")["AllocationId"]
        ec2.associate_address(AllocationId=allocation, InstanceId=instance_id)
    stopped_ip = ec2.describe_addresses(Filters=[{"Name": "instance-id", "Values": [stopped]}])

    evaluation = run("Z4AUBRNSmz", make_env(moto_endpoint))
    assert evaluation.processed == 3
    assert evaluation.monthly_cost == pytest.approx(3 * pricing.EIP_MONTHLY)
    rows = by_name(evaluation, 1)
    assert set(rows) == {free["PublicIp"], stopped_ip["Addresses"][0]["PublicIp"]}
    row = rows[free["PublicIp"]]
    assert row.metadata == ["us-east-1", free["PublicIp"]]
    assert row.arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:elastic-ip/{free['AllocationId']}"
    assert (row.status, row.savings) == (WARNING, pricing.EIP_MONTHLY)


def test_low_utilization_instances(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "batch"}]}]
    idle, busy, stopped = (
        ec2.run_instances(
            ImageId=IMAGE_ID,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.large",
            TagSpecifications=tags,
        )["Instances"][0]["InstanceId"]
        for _ in range(3)
    )
    ec2.stop_instances(InstanceIds=[stopped])
    cloudwatch = aws_client("cloudwatch")
    # idle: 5 quiet days, 1 day with heavy traffic, 8 busy days; busy: only 3 quiet days.
    patterns = {
        idle: ([None] * 5 + [2.0] * 6 + [50.0] * 3, [1e6] * 5 + [9e6] + [1e6] * 8),
        busy: ([3.0] * 3 + [40.0] * 11, [1e6] * 14),
    }
    for instance_id, (cpu, network) in patterns.items():
        dimensions = {"InstanceId": instance_id}
        put_daily(
            cloudwatch,
            now=NOW,
            namespace="AWS/EC2",
            metric="CPUUtilization",
            dimensions=dimensions,
            values=cpu,
        )
        for metric in ("NetworkIn", "NetworkOut"):
            values = [v / 2 for v in network]
            put_daily(
                cloudwatch,
                now=NOW,
                namespace="AWS/EC2",
                metric=metric,
                dimensions=dimensions,
                values=values,
            )

    evaluation = run("Qch7DwouX1", make_env(moto_endpoint, now=NOW))
    assert evaluation.processed == 2  # running instances only
    monthly = pricing.ec2_monthly("t3.large")
    assert monthly == 60.74
    assert evaluation.monthly_cost == pytest.approx(2 * monthly)
    [row] = evaluation.rows
    assert row.arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{idle}"
    assert (row.status, row.savings) == (WARNING, monthly)
    days = row.metadata[5:19]
    assert days[:6] == [None] * 5 + ["2.0% 9.00MB"]
    assert days[6] == "2.0% 1.00MB"
    assert days[-1] == "50.0% 1.00MB"
    assert row.metadata[:5] == ["us-east-1a", idle, "batch", "t3.large", "$60.74"]
    # Five quiet days: day 6 moved 9 MB, above the 5 MB bar.
    assert row.metadata[19:] == [f"{(2.0 * 6 + 50.0 * 3) / 9:.1f}%", "1.57MB", "5"]


def test_daily_metrics_batches_queries(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    put_daily(
        aws_client("cloudwatch"),
        now=NOW,
        namespace="AWS/EBS",
        metric="VolumeReadOps",
        dimensions={"VolumeId": "vol-last"},
        values=[None, 5.0, 7.0],
    )
    queries = [
        MetricQuery.of("AWS/EBS", "VolumeReadOps", {"VolumeId": f"vol-{index}"}, "Sum")
        for index in range(MAX_METRIC_QUERIES)
    ]
    queries.append(MetricQuery.of("AWS/EBS", "VolumeReadOps", {"VolumeId": "vol-last"}, "Sum"))
    batches: list[int] = []

    def count(service: str, region: str, client: Any) -> Any:
        def get_metric_data(**params: Any) -> Any:
            batches.append(len(params["MetricDataQueries"]))
            assert all(q["Id"][0].islower() for q in params["MetricDataQueries"])
            return client.get_metric_data(**params)

        return _Patched(client, {"get_metric_data": get_metric_data})

    env = _with_clients(make_env(moto_endpoint, now=NOW), count)
    series = daily_metrics(env, "us-east-1", queries, days=3)
    assert batches == [MAX_METRIC_QUERIES, 1]
    assert series[0] == [None, None, None]
    assert series[-1] == [None, 5.0, 7.0]
    assert daily_metrics(env, "us-east-1", [], days=3) == []
    assert batches == [MAX_METRIC_QUERIES, 1]  # nothing to ask, no call


class _PagedCloudWatch:
    """A CloudWatch client whose get_metric_data answer comes in two pages: q0's datapoints
    split across them (PartialData), q1 Forbidden."""

    def __init__(self, start: datetime) -> None:
        self.start = start

    def can_paginate(self, operation: str) -> bool:
        return operation == "get_metric_data"

    def get_paginator(self, operation: str) -> Any:
        day = timedelta(days=1)
        first = {"Id": "q0", "StatusCode": "PartialData", "Timestamps": [self.start], "Values": [1]}
        second = {"Id": "q0", "StatusCode": "Complete", "Timestamps": [self.start + 2 * day]}
        second["Values"] = [3]
        forbidden = {"Id": "q1", "StatusCode": "Forbidden", "Timestamps": [], "Values": []}

        class Paginator:
            def paginate(self, **params: Any) -> Any:
                yield {"MetricDataResults": [first], "NextToken": "more"}
                yield {"MetricDataResults": [second, forbidden]}

        return Paginator()


def test_daily_metrics_joins_pages_and_reports_unavailable_series() -> None:
    end = NOW.replace(minute=0)
    cloudwatch = _PagedCloudWatch(start=end - timedelta(days=3))
    env = _regions_env("us-east-1")
    env.client = lambda service, region=None: cloudwatch  # type: ignore[method-assign]
    queries = [
        MetricQuery.of("AWS/EC2", "CPUUtilization", {"InstanceId": instance_id}, "Average")
        for instance_id in ("i-1", "i-2")
    ]
    assert daily_metrics(env, "us-east-1", queries, days=3) == [[1.0, None, 3.0], None]


# --- RDS ---------------------------------------------------------------------------------------


def _db(rds: Any, name: str, **options: Any) -> None:
    params = {
        "DBInstanceClass": "db.t3.medium",
        "Engine": "mysql",
        "MasterUsername": "admin",
        "MasterUserPassword": "password-123",
        "AllocatedStorage": 20,
    }
    rds.create_db_instance(DBInstanceIdentifier=name, **{**params, **options})


def test_rds_backups_and_multi_az(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    rds = aws_client("rds", "eu-west-1")
    _db(rds, "fragile", BackupRetentionPeriod=0, MultiAZ=False)
    _db(rds, "sturdy", BackupRetentionPeriod=7, MultiAZ=True)
    _db(rds, "mssql", Engine="sqlserver-se", BackupRetentionPeriod=1, MultiAZ=False)
    rds.create_db_cluster(
        DBClusterIdentifier="aurora",
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password-123",
    )
    # Aurora instances report MultiAZ false: their availability is the cluster's.
    rds.create_db_instance(
        DBInstanceIdentifier="aurora-1",
        DBInstanceClass="db.r5.large",
        Engine="aurora-mysql",
        DBClusterIdentifier="aurora",
    )
    env = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1"))

    backups = run("opQPADkZvH", env)
    assert backups.processed == 4
    [row] = backups.rows
    assert row.status == ERROR
    assert row.region == "eu-west-1"
    assert row.arn == f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:fragile"
    assert row.metadata[1:] == ["fragile", None, "0", "Red"]
    assert row.metadata[0].startswith("eu-west-1")

    multi_az = run("f2iK5R6Dep", env)
    assert multi_az.processed == 2  # neither SQL Server nor Aurora is evaluated
    assert [(r.status, r.metadata[1:]) for r in multi_az.rows] == [
        (WARNING, ["fragile", None, "No", "Yellow"])
    ]


def _created(rds: Any, name: str) -> datetime:
    [db] = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"]
    return db["InstanceCreateTime"]


@pytest.mark.parametrize(
    ("age", "flagged"),
    [(timedelta(hours=1), False), (timedelta(days=6, hours=23), False), (timedelta(days=8), True)],
)
def test_new_db_instance_is_not_idle_yet(
    age: timedelta, flagged: bool, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    rds = aws_client("rds")
    _db(rds, "fresh")
    evaluation = run("Ti39halfu8", make_env(moto_endpoint, now=_created(rds, "fresh") + age))
    # Looked at (and priced) either way; flagged only once it has had a week to be used.
    assert (evaluation.processed, evaluation.ignored) == (1, 0)
    assert evaluation.monthly_cost == pricing.rds_monthly("db.t3.medium", 20, multi_az=False)
    assert [r.metadata[5] for r in evaluation.rows] == (["14+"] if flagged else [])


def test_days_since_connection() -> None:
    assert days_since_connection([None] * 14) is None
    assert days_since_connection([0.0] * 14) is None
    assert days_since_connection([0.0] * 13 + [3.0]) == 0
    assert days_since_connection([0.0] * 4 + [1.0] + [0.0] * 9) == 9


def test_idle_db_instances(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    rds = aws_client("rds")
    _db(rds, "silent")
    _db(rds, "forgotten", DBInstanceClass="db.m5.large", AllocatedStorage=100, MultiAZ=True)
    _db(rds, "used")
    # moto stamps InstanceCreateTime with the real clock; look a month after the creation.
    now = _created(rds, "used") + timedelta(days=30)
    cloudwatch = aws_client("cloudwatch")
    history = {
        "forgotten": [0.0] * 4 + [2.0] + [0.0] * 9,  # last connection 9 days ago
        "used": [0.0] * 13 + [12.0],
    }
    for name, values in history.items():
        put_daily(
            cloudwatch,
            now=now,
            namespace="AWS/RDS",
            metric="DatabaseConnections",
            dimensions={"DBInstanceIdentifier": name},
            values=values,
        )

    evaluation = run("Ti39halfu8", make_env(moto_endpoint, now=now))
    assert evaluation.processed == 3
    rows = by_name(evaluation, 1)
    assert set(rows) == {"silent", "forgotten"}
    silent = pricing.rds_monthly("db.t3.medium", 20, multi_az=False)
    forgotten = pricing.rds_monthly("db.m5.large", 100, multi_az=True)
    assert forgotten == round(2 * (0.171 * 730 + 100 * 0.115), 2)
    assert rows["silent"].metadata == [
        "us-east-1",
        "silent",
        "No",
        "db.t3.medium",
        "20",
        "14+",
        f"${silent:.2f}",
    ]
    assert rows["forgotten"].metadata[2:6] == ["Yes", "db.m5.large", "100", "9"]
    assert rows["forgotten"].savings == forgotten
    assert evaluation.monthly_cost == pytest.approx(2 * silent + forgotten)


def test_public_rds_snapshots(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    rds = aws_client("rds")
    _db(rds, "source")
    for name in ("shared-snap", "private-snap"):
        rds.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier="source")
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="shared-snap", AttributeName="restore", ValuesToAdd=["all"]
    )
    rds.create_db_cluster(
        DBClusterIdentifier="aurora",
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password-123",
    )
    rds.create_db_cluster_snapshot(
        DBClusterSnapshotIdentifier="cluster-snap", DBClusterIdentifier="aurora"
    )
    rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="cluster-snap", AttributeName="restore", ValuesToAdd=["all"]
    )

    evaluation = run("rSs93HQwa1", make_env(moto_endpoint))
    assert evaluation.processed == 3
    assert sorted((r.arn, list(r.metadata)) for r in evaluation.rows) == [
        (
            f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster-snapshot:cluster-snap",
            ["Red", "us-east-1", "aurora", "cluster-snap"],
        ),
        (
            f"arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:shared-snap",
            ["Red", "us-east-1", "source", "shared-snap"],
        ),
    ]


# --- ELB ---------------------------------------------------------------------------------------


def test_classic_load_balancers(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2, elb = aws_client("ec2"), aws_client("elb")
    running, stopped = (
        i["InstanceId"]
        for i in ec2.run_instances(ImageId=IMAGE_ID, MinCount=2, MaxCount=2)["Instances"]
    )
    ec2.stop_instances(InstanceIds=[stopped])
    listeners = [{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}]
    members = {"empty": [], "broken": [stopped], "quiet": [running], "busy": [running]}
    for name, instances in members.items():
        elb.create_load_balancer(
            LoadBalancerName=name, Listeners=listeners, AvailabilityZones=["us-east-1a"]
        )
        if instances:
            elb.register_instances_with_load_balancer(
                LoadBalancerName=name, Instances=[{"InstanceId": i} for i in instances]
            )
    put_daily(
        aws_client("cloudwatch"),
        now=NOW,
        namespace="AWS/ELB",
        metric="RequestCount",
        dimensions={"LoadBalancerName": "busy"},
        values=[40.0] * 6 + [500.0],
    )
    elb.modify_load_balancer_attributes(
        LoadBalancerName="busy",
        LoadBalancerAttributes={
            "ConnectionDraining": {"Enabled": True, "Timeout": 60},
            "CrossZoneLoadBalancing": {"Enabled": True},
        },
    )
    env = make_env(moto_endpoint, now=NOW)

    idle = run("hjLMh88uM8", env)
    assert idle.processed == 4
    assert idle.monthly_cost == pytest.approx(4 * pricing.ELB_MONTHLY)
    assert {r.metadata[1]: r.metadata[2] for r in idle.rows} == {
        "empty": "No active back-end instances",
        "broken": "No healthy back-end instances",
        "quiet": "Low request count",
    }
    row = by_name(idle, 1)["empty"]
    assert row.metadata == ["us-east-1", "empty", "No active back-end instances", "$18.25"]
    assert (row.savings, row.status) == (18.25, WARNING)
    assert row.arn == f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/empty"

    for check_id, reason in (
        ("7qGXsKIUw", "Connection draining is disabled"),
        ("xdeXZKIUy", "Cross-zone load balancing is disabled"),
    ):
        evaluation = run(check_id, env)
        assert evaluation.processed == 4
        assert sorted(r.metadata[1] for r in evaluation.rows) == ["broken", "empty", "quiet"]
        assert by_name(evaluation, 1)["quiet"].metadata == ["us-east-1", "quiet", "Yellow", reason]


# --- Service limits ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("usage", "limit", "status"),
    [(0, 5, OK), (3, 5, OK), (4, 5, WARNING), (799, 1000, OK), (800, 1000, WARNING)]
    + [(5, 5, ERROR), (6, 5, ERROR), (0, 0, OK), (1, 0, ERROR)],
)
def test_limit_colours(usage: int, limit: int, status: str) -> None:
    assert usage_status(usage, limit) == status


def test_iam_limits(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    iam = aws_client("iam")
    for name in ("alice", "bob"):
        iam.create_user(UserName=name)
    iam.create_group(GroupName="admins")
    env = make_env(moto_endpoint)
    expected = {
        "qS7VV0l7J9": ["-", "IAM", "Users", "5000", "2", "Green"],
        "oQ7TT0l7J9": ["-", "IAM", "Roles", "1000", "0", "Green"],
        "sU7XX0l7J9": ["-", "IAM", "Groups", "300", "1", "Green"],
        "nO7SS0l7J9": ["-", "IAM", "Instance profiles", "1000", "0", "Green"],
        "pR7UU0l7J9": ["-", "IAM", "Managed policies", "1500", "0", "Green"],
        "rT7WW0l7J9": ["-", "IAM", "Server certificates", "20", "0", "Green"],
    }
    for check_id, metadata in expected.items():
        evaluation = run(check_id, env)
        assert evaluation.processed == 1
        [row] = evaluation.rows
        assert (row.status, row.region, list(row.metadata)) == (OK, None, metadata)


def test_vpc_limits(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    eu = aws_client("ec2", "eu-west-1")
    for index in range(3):
        eu.create_vpc(CidrBlock=f"10.{index}.0.0/16")
    for _ in range(4):
        eu.allocate_address(Domain="vpc")
    aws_client("ec2").create_internet_gateway()
    env = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1"))

    def rows(check_id: str) -> dict[str | None, list[str | None]]:
        evaluation = run(check_id, env)
        assert evaluation.processed == 2
        return {r.region: list(r.metadata) for r in evaluation.rows}

    # Each region has a default VPC; the quota (5) comes from Service Quotas.
    assert rows("jL7PP0l7J9") == {
        "us-east-1": ["us-east-1", "VPC", "VPCs", "5", "1", "Green"],
        "eu-west-1": ["eu-west-1", "VPC", "VPCs", "5", "4", "Yellow"],
    }
    assert rows("kM7QQ0l7J9")["us-east-1"] == [
        "us-east-1",
        "VPC",
        "Internet gateways",
        "5",
        "1",
        "Green",
    ]
    # moto's Service Quotas has no ec2 quotas: the limit is the vpc-max-elastic-ips attribute.
    assert rows("lN7RR0l7J9")["eu-west-1"] == [
        "eu-west-1",
        "VPC",
        "EC2-VPC Elastic IPs",
        "5",
        "4",
        "Yellow",
    ]
    unknown = RegionalQuota(
        service_code="ec2",
        quota_code="L-00000000",
        account_attribute=None,
        default=7,
        service="EC2",
        limit_name="Unknown",
        usage=lambda env, region: 0,
    )
    assert regional_quota_value(env, "us-east-1", unknown) == 7


# --- Errors ------------------------------------------------------------------------------------

# Checks that read no region: IAM and S3 are global, and S3 buckets are read in their own region.
GLOBAL_CHECKS = {
    "7DAFEmoDos",
    "zXCkfM1nI3",
    "Yw2K9puPzl",
    "DqdJqYeRm5",
    "Pfx0RwqBli",
    "R365s2Qddf",
    "BueAdJ7NrP",
    "qS7VV0l7J9",
    "oQ7TT0l7J9",
    "sU7XX0l7J9",
    "nO7SS0l7J9",
    "pR7UU0l7J9",
    "rT7WW0l7J9",
}


def _error(code: str, operation: str = "Call") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} (test)"}}, operation)


class _Refusing:
    """A client whose every call fails with `code`."""

    def __init__(self, code: str) -> None:
        self.code = code

    def can_paginate(self, operation: str) -> bool:
        return False

    def __getattr__(self, operation: str) -> Any:
        def call(**params: Any) -> Any:
            raise _error(self.code, operation)

        return call


class _RefusingEnvironment(Environment):
    def __init__(self, code: str) -> None:
        super().__init__(session=None, regions=["us-east-1"], account_id=ACCOUNT, now=NOW)
        self.refusing = _Refusing(code)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.refusing


class _Patched:
    """`client`, except that the operations in `calls` run the given functions instead (and are
    called directly rather than through a paginator)."""

    def __init__(self, client: Any, calls: dict[str, Callable[..., Any]]) -> None:
        self.client = client
        self.calls = calls

    def can_paginate(self, operation: str) -> bool:
        return operation not in self.calls and self.client.can_paginate(operation)

    def __getattr__(self, name: str) -> Any:
        return self.calls.get(name) or getattr(self.client, name)


def _refusing(
    client: Any, operation: str, code: str, only: Callable[[dict[str, Any]], bool] | None = None
) -> _Patched:
    """`client` with `operation` failing with `code` (for the calls `only` accepts)."""
    real = getattr(client, operation)

    def call(**params: Any) -> Any:
        if only is None or only(params):
            raise _error(code, operation)
        return real(**params)

    return _Patched(client, {operation: call})


Wrap = Callable[[str, str, Any], Any]


def _with_clients(env: Environment, wrap: Wrap) -> Environment:
    """`env`, with each client passed through `wrap(service, region, client)`."""
    real = env.client

    def client(service: str, region: str | None = None) -> Any:
        return wrap(service, region or "us-east-1", real(service, region))

    env.client = client  # type: ignore[method-assign]
    return env


def test_not_configured_is_a_finding_but_access_denied_propagates() -> None:
    [row] = REGISTRY["Yw2K9puPzl"].evaluate(_RefusingEnvironment("NoSuchEntity")).rows
    assert row.status == ERROR
    # Nothing could be read at all (the only region, or the account-level call, refused):
    # every check lets AWS's error through, and the run is abandoned with its message.
    for check_id in sorted(REGISTRY):
        with pytest.raises(ClientError, match="AccessDenied"):
            REGISTRY[check_id].evaluate(_RefusingEnvironment("AccessDenied"))


def _fails_in(regions: dict[str, Exception]) -> Callable[[str], Evaluation]:
    def evaluate_region(region: str) -> Evaluation:
        if region in regions:
            raise regions[region]
        return Evaluation(rows=[], processed=2, monthly_cost=1.5)

    return evaluate_region


def _regions_env(*regions: str) -> Environment:
    return Environment(session=None, regions=regions, account_id=ACCOUNT, now=NOW)


@pytest.mark.parametrize(
    ("failures", "processed", "ignored"),
    [
        ({}, 6, 0),
        ({"ap-east-1": _error("OptInRequired")}, 4, 1),
        ({"ap-east-1": _error("AuthFailure"), "eu-west-1": _error("AccessDenied")}, 2, 2),
        ({"eu-west-1": _error("Throttling")}, 4, 1),
        ({"eu-west-1": _error("ValidationError")}, 4, 1),
    ],
)
def test_per_region_leaves_out_and_counts_the_regions_it_cannot_read(
    failures: dict[str, Exception], processed: int, ignored: int
) -> None:
    env = _regions_env("us-east-1", "eu-west-1", "ap-east-1")
    evaluation = per_region(env, _fails_in(failures))
    assert (evaluation.processed, evaluation.ignored) == (processed, ignored)
    assert evaluation.monthly_cost == pytest.approx(1.5 * (3 - len(failures)))


@pytest.mark.parametrize(
    ("codes", "raised"),
    [
        (("AccessDenied",), "AccessDenied"),
        (("OptInRequired", "AccessDenied"), "AccessDenied"),  # the one that says more
        (("AuthFailure", "UnauthorizedOperation"), "UnauthorizedOperation"),
        (("OptInRequired", "AuthFailure"), "OptInRequired"),
    ],
)
def test_per_region_raises_when_no_region_could_be_read(
    codes: tuple[str, ...], raised: str
) -> None:
    regions = [f"region-{index}" for index in range(len(codes))]
    failures: dict[str, Exception] = {
        region: _error(code) for region, code in zip(regions, codes, strict=True)
    }
    with pytest.raises(ClientError) as error:
        per_region(_regions_env(*regions), _fails_in(failures))
    assert error_code(error.value) == raised


def test_per_region_lets_other_exceptions_through() -> None:
    with pytest.raises(KeyError):
        per_region(_regions_env("us-east-1", "eu-west-1"), _fails_in({"eu-west-1": KeyError()}))


@pytest.mark.parametrize(
    ("code", "ignored"),
    [
        ("AccessDenied", 1),
        ("AccessDeniedException", 1),
        ("UnauthorizedOperation", 1),
        ("Throttling", 1),
        ("RequestLimitExceeded", 1),
        ("SlowDown", 1),
        ("InternalError", 1),
        ("NoSuchBucket", 0),  # deleted since it was listed: not there to report
        ("InvalidSnapshot.NotFound", 0),
        ("DBSnapshotNotFound", 0),
    ],
)
def test_read_resource_skips_what_cannot_be_read(code: str, ignored: int) -> None:
    evaluation = Evaluation()

    def read(**params: Any) -> dict[str, Any]:
        raise _error(code)

    assert read_resource(evaluation, read, Bucket="b") is None
    assert try_read(read, Bucket="b") is None
    assert evaluation.ignored == ignored
    assert read_resource(evaluation, dict, answer=1) == {"answer": 1}


def test_read_resource_lets_other_errors_through() -> None:
    def read() -> None:
        raise _error("ValidationError")

    with pytest.raises(ClientError, match="ValidationError"):
        read_resource(Evaluation(), read)
    with pytest.raises(ClientError, match="ValidationError"):
        try_read(read)


REGION_CODES = (
    "OptInRequired",
    "AuthFailure",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "AccessDenied",
    "UnauthorizedOperation",
    "Throttling",
)


def test_an_unreadable_region_is_left_out_and_counted(
    moto_endpoint: str, make_env: MakeEnv
) -> None:
    """Every check against the sample, once as is and once with an extra region that refuses
    every call (an opt-in region not enabled, a region an SCP denies, one that throttles)."""
    now = timezone.now()
    sample.seed(moto_endpoint, now=now)
    for index, check_id in enumerate(sorted(REGISTRY)):
        code = REGION_CODES[index % len(REGION_CODES)]
        baseline = run(check_id, make_env(moto_endpoint, regions=SAMPLE_REGIONS, now=now))
        env = _with_clients(
            make_env(moto_endpoint, regions=(*SAMPLE_REGIONS, "ap-east-1"), now=now),
            lambda service, region, client, code=code: (
                _Refusing(code) if region == "ap-east-1" else client
            ),
        )
        evaluation = run(check_id, env)
        assert evaluation.rows == baseline.rows, check_id
        assert evaluation.processed == baseline.processed, check_id
        extra = 0 if check_id in GLOBAL_CHECKS else 1
        assert evaluation.ignored == baseline.ignored + extra, (check_id, code)


def test_every_row_of_the_sample_has_its_own_identity(
    moto_endpoint: str, make_env: MakeEnv
) -> None:
    """The stored resourceId hashes `row.key or row.arn`: it must be unique within a check.
    Also: CloudWatch is read with at most one get_metric_data batch per region."""
    now = timezone.now()
    sample.seed(moto_endpoint, now=now)
    calls: Counter[tuple[str, str]] = Counter()

    def count(service: str, region: str, client: Any) -> Any:
        if service != "cloudwatch":
            return client

        def get_metric_data(**params: Any) -> Any:
            assert len(params["MetricDataQueries"]) <= MAX_METRIC_QUERIES
            calls[("get_metric_data", region)] += 1
            return client.get_metric_data(**params)

        def get_metric_statistics(**params: Any) -> Any:
            calls[("get_metric_statistics", region)] += 1
            return client.get_metric_statistics(**params)

        calls_by_name = {
            "get_metric_data": get_metric_data,
            "get_metric_statistics": get_metric_statistics,
        }
        return _Patched(client, calls_by_name)

    shared_arns = set()
    for check_id in sorted(REGISTRY):
        calls.clear()
        env = _with_clients(make_env(moto_endpoint, regions=SAMPLE_REGIONS, now=now), count)
        rows = run(check_id, env).rows
        identities = [row.identity for row in rows]
        assert len(set(identities)) == len(identities), (check_id, identities)
        if len({row.arn for row in rows}) < len(rows):
            shared_arns.add(check_id)
        assert all(n == 1 for n in calls.values()), (check_id, calls)
        assert not any(name == "get_metric_statistics" for name, _region in calls), check_id
    # The sample has the cases keys are for: a group with several open rules, a user with two
    # active keys, a multi-region trail.
    assert {"HCP4007jGY", "1iG5NDGVre", "DqdJqYeRm5", "vjafUGJ9H0"} <= shared_arns


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


VPC_ROW = ["us-east-1", "VPC", "VPCs"]
EIP_ROW = ["us-east-1", "VPC", "EC2-VPC Elastic IPs"]


@pytest.mark.parametrize(
    ("check_id", "failing", "metadata"),
    [
        # Service Quotas refuses: the limit is unknown, the row Blue.
        ("jL7PP0l7J9", {("service-quotas", "get_service_quota")}, [*VPC_ROW, None, "1", "Blue"]),
        # The usage cannot be counted.
        ("jL7PP0l7J9", {("ec2", "describe_vpcs")}, [*VPC_ROW, "5", None, "Blue"]),
        # The EC2 account attribute still gives the Elastic IP limit.
        ("lN7RR0l7J9", {("service-quotas", "get_service_quota")}, [*EIP_ROW, "5", "0", "Green"]),
        (
            "lN7RR0l7J9",
            {("service-quotas", "get_service_quota"), ("ec2", "describe_account_attributes")},
            [*EIP_ROW, None, "0", "Blue"],
        ),
        # Nothing at all about the region: left out and counted, like an unusable region.
        (
            "jL7PP0l7J9",
            {("service-quotas", "get_service_quota"), ("ec2", "describe_vpcs")},
            None,
        ),
    ],
)
def test_a_limit_that_cannot_be_read_is_blue(
    check_id: str,
    failing: set[tuple[str, str]],
    metadata: list[str | None] | None,
    moto_endpoint: str,
    make_env: MakeEnv,
) -> None:
    def wrap(service: str, region: str, client: Any) -> Any:
        for failing_service, operation in failing:
            if (service, region) == (failing_service, "us-east-1"):
                client = _refusing(client, operation, "AccessDenied")
        return client

    env = _with_clients(make_env(moto_endpoint, regions=("us-east-1", "eu-west-1")), wrap)
    evaluation = run(check_id, env)
    rows = {r.region: r for r in evaluation.rows}
    assert rows["eu-west-1"].metadata[-1] == "Green"  # the other region is unaffected
    if metadata is None:
        assert set(rows) == {"eu-west-1"}
        assert (evaluation.processed, evaluation.ignored) == (1, 1)
        return
    assert (evaluation.processed, evaluation.ignored) == (2, 0)
    assert list(rows["us-east-1"].metadata) == metadata
    # Blue is not a finding: the row status stays ok.
    assert rows["us-east-1"].status == OK


def test_an_iam_limit_without_its_quota_is_blue(moto_endpoint: str, make_env: MakeEnv) -> None:
    def wrap(service: str, region: str, client: Any) -> Any:
        summary = {"SummaryMap": {"Users": 3, "Roles": 2, "RolesQuota": 1000}}
        return _Patched(client, {"get_account_summary": lambda: summary})

    env = _with_clients(make_env(moto_endpoint), wrap)
    [users] = run("qS7VV0l7J9", env).rows
    assert (users.status, list(users.metadata)) == (OK, ["-", "IAM", "Users", None, "3", "Blue"])
    [roles] = run("oQ7TT0l7J9", env).rows
    assert list(roles.metadata) == ["-", "IAM", "Roles", "1000", "2", "Green"]
