"""The Trusted Advisor checks, computed through boto3 against moto."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.utils.functional import Promise

from advisor.checks import REGISTRY, pricing
from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation, catalog
from advisor.checks.ebs import snapshot_age_status
from advisor.checks.helpers import usage_status
from advisor.checks.iam import key_rotation_status
from advisor.checks.limits import RegionalQuota, regional_quota_value
from advisor.checks.rds import days_since_connection
from advisor.checks.s3 import ALL_USERS, AUTHENTICATED_USERS, LOG_DELIVERY
from advisor.checks.security_groups import port_range_status
from advisor.sample import IMAGE_ID, SAMPLE_ACCOUNT_ID
from tests.advisor.conftest import AwsClient, MakeEnv, put_daily

# CloudWatch tests write their history relative to this instant; age tests use the creation
# times moto reports instead, since moto stamps resources with the real clock.
NOW = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
ACCOUNT = SAMPLE_ACCOUNT_ID
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
        assert all(str(c).split(":")[0] in ("Green", "Yellow", "Red") for c in spec.criteria)
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
        assert row.arn == f"arn:aws:iam::{ACCOUNT}:user/alice"
        assert row.region is None
        stamp = created.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        assert row.metadata == [colour, "alice", key["AccessKeyId"], stamp, reason]


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
    env = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1"))

    backups = run("opQPADkZvH", env)
    assert backups.processed == 3
    [row] = backups.rows
    assert row.status == ERROR
    assert row.region == "eu-west-1"
    assert row.arn == f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:fragile"
    assert row.metadata[1:] == ["fragile", None, "0", "Red"]
    assert row.metadata[0].startswith("eu-west-1")

    multi_az = run("f2iK5R6Dep", env)
    assert multi_az.processed == 2  # SQL Server is not evaluated
    assert [(r.status, r.metadata[1:]) for r in multi_az.rows] == [
        (WARNING, ["fragile", None, "No", "Yellow"])
    ]


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
    cloudwatch = aws_client("cloudwatch")
    history = {
        "forgotten": [0.0] * 4 + [2.0] + [0.0] * 9,  # last connection 9 days ago
        "used": [0.0] * 13 + [12.0],
    }
    for name, values in history.items():
        put_daily(
            cloudwatch,
            now=NOW,
            namespace="AWS/RDS",
            metric="DatabaseConnections",
            dimensions={"DBInstanceIdentifier": name},
            values=values,
        )

    evaluation = run("Ti39halfu8", make_env(moto_endpoint, now=NOW))
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


class _Refusing:
    """A client whose every call fails with `code`."""

    def __init__(self, code: str) -> None:
        self.code = code

    def can_paginate(self, operation: str) -> bool:
        return False

    def __getattr__(self, operation: str) -> Any:
        def call(**params: Any) -> Any:
            raise ClientError({"Error": {"Code": self.code, "Message": "no"}}, operation)

        return call


class _RefusingEnvironment(Environment):
    def __init__(self, code: str) -> None:
        super().__init__(session=None, regions=["us-east-1"], account_id=ACCOUNT, now=NOW)
        self.refusing = _Refusing(code)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.refusing


def test_not_configured_is_a_finding_but_access_denied_propagates() -> None:
    [row] = REGISTRY["Yw2K9puPzl"].evaluate(_RefusingEnvironment("NoSuchEntity")).rows
    assert row.status == ERROR
    for check_id in ("Yw2K9puPzl", "7DAFEmoDos", "HCP4007jGY", "Pfx0RwqBli", "jL7PP0l7J9"):
        with pytest.raises(ClientError, match="AccessDenied"):
            REGISTRY[check_id].evaluate(_RefusingEnvironment("AccessDenied"))
