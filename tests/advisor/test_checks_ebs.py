"""The EBS checks (public snapshots, snapshot age, idle volumes), computed against moto."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from advisor.checks import pricing
from advisor.checks.base import ERROR, OK, WARNING
from advisor.checks.ebs import snapshot_age_status
from connections.sample import IMAGE_ID
from tests.advisor.check_helpers import _Patched, _refusing, _with_clients, by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv, put_daily


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
