"""The EBS performance checks against moto: Provisioned IOPS volumes on instances that are not
EBS-optimized, overutilized magnetic volumes, and EC2 to EBS throughput."""

from __future__ import annotations

from typing import Any

import pytest

from advisor.checks.base import WARNING
from advisor.checks.ebs_performance import (
    MagneticDay,
    magnetic_day,
    near_max_share,
)
from advisor.checks.metric_periods import FIVE_MINUTES, HOUR, day_start, hour_start
from connections.metrics import DAY
from connections.sample import IMAGE_ID
from tests.advisor.check_helpers import ACCOUNT, NOW, by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv
from tests.advisor.metric_points import put_periods


def _launch(ec2: Any, instance_type: str, **params: Any) -> str:
    reservation = ec2.run_instances(
        ImageId=IMAGE_ID,
        MinCount=1,
        MaxCount=1,
        InstanceType=instance_type,
        Placement={"AvailabilityZone": "us-east-1a"},
        **params,
    )
    return str(reservation["Instances"][0]["InstanceId"])


def _volume(
    ec2: Any,
    name: str,
    volume_type: str,
    instance: str | None,
    *,
    device: str = "/dev/sdf",
    **params: Any,
) -> str:
    volume_id = str(
        ec2.create_volume(
            AvailabilityZone="us-east-1a",
            Size=100,
            VolumeType=volume_type,
            TagSpecifications=[
                {"ResourceType": "volume", "Tags": [{"Key": "Name", "Value": name}]}
            ],
            **params,
        )["VolumeId"]
    )
    if instance:
        ec2.attach_volume(VolumeId=volume_id, InstanceId=instance, Device=device)
    return volume_id


# --- Provisioned IOPS attachment ---------------------------------------------------------------


def test_provisioned_iops_attachments(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    # m3.xlarge can be EBS-optimized; m5.large always is; m1.small never can be.
    plain = _launch(ec2, "m3.xlarge", EbsOptimized=False)
    optimized = _launch(ec2, "m3.xlarge", EbsOptimized=True)
    nitro = _launch(ec2, "m5.large", EbsOptimized=False)
    old = _launch(ec2, "m1.small")
    flagged = _volume(ec2, "orders", "io1", plain, Iops=1000)
    _volume(ec2, "fine", "io2", optimized, Iops=1000)
    _volume(ec2, "nitro", "io1", nitro, Iops=1000)
    _volume(ec2, "old", "io1", old, Iops=1000)
    _volume(ec2, "general", "gp3", plain, device="/dev/sdg")  # not Provisioned IOPS
    _volume(ec2, "spare", "io1", None, Iops=1000)  # not attached

    evaluation = run("PPkZrjsH2q", make_env(moto_endpoint, now=NOW))
    assert evaluation.processed == 4
    [row] = evaluation.rows
    assert row.metadata == [
        "us-east-1a",
        flagged,
        "orders",
        "/dev/sdf",
        plain,
        "m3.xlarge",
        "No",
        "Yellow",
    ]
    assert (row.status, row.region) == (WARNING, "us-east-1")
    assert row.arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/{flagged}"


# --- Magnetic volumes --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("iops", "over", "label"),
    [
        ([], False, None),  # no data: the volume was not active
        ([200.0] * 11, False, "N/A"),  # too few hours to measure
        ([95.0] * 12, False, "95 / 0%"),  # a median of exactly 95 is not above it
        ([96.0] * 12, True, "96 / 0%"),
        ([90.0, 110.0] * 12, False, "100 / 10%"),  # varies by exactly 10 % of the median
        ([91.0, 109.0] * 12, True, "100 / 9%"),
        ([None] * 12 + [300.0] * 12, True, "300 / 0%"),
        ([0.0] * 24, False, "0 / 100%"),
    ],
)
def test_magnetic_day(iops: list[float | None], over: bool, label: str | None) -> None:
    day = magnetic_day(iops)
    assert (day.over, day.label) == (over, label)


def test_magnetic_day_keeps_hours_measured() -> None:
    assert magnetic_day([None, 1.0, None]) == MagneticDay(1)


def test_overutilized_magnetic_volumes(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2, cloudwatch = aws_client("ec2"), aws_client("cloudwatch")
    optimizable = _launch(ec2, "m3.xlarge")
    old = _launch(ec2, "m1.small")
    seven = _volume(ec2, "seven-days", "standard", optimizable)
    ec2_second = _launch(ec2, "m5.large")
    six = _volume(ec2, "six-days", "standard", ec2_second)
    unsupported = _volume(ec2, "on-m1", "standard", old)
    _volume(ec2, "spare", "standard", None)
    _volume(ec2, "ssd", "gp3", optimizable, device="/dev/sdg")

    start = hour_start(NOW) - 14 * DAY
    busy_day = [120.0 * 3600] * 24  # 120 IOPS every hour
    quiet_day = [20.0 * 3600] * 24
    sparse_day = [150.0 * 3600] * 6 + [None] * 18
    patterns = {
        seven: busy_day * 7 + quiet_day * 5 + sparse_day + [None] * 24,
        six: busy_day * 6 + quiet_day * 8,
        unsupported: busy_day * 14,
    }
    for volume_id, values in patterns.items():
        # Reads and writes together make the volume's IOPS; split them evenly.
        for metric in ("VolumeReadOps", "VolumeWriteOps"):
            put_periods(
                cloudwatch,
                start=start,
                period=HOUR,
                namespace="AWS/EBS",
                metric=metric,
                dimensions={"VolumeId": volume_id},
                values=[None if v is None else v / 2 for v in values],
            )

    evaluation = run("k3J2hns32g", make_env(moto_endpoint, now=NOW))
    assert evaluation.processed == 2  # the magnetic volumes attached to eligible instances
    rows = by_name(evaluation, 1)
    assert set(rows) == {seven}
    row = rows[seven]
    assert row.metadata[:3] == ["us-east-1", seven, "seven-days"]
    assert row.metadata[3:17] == ["120 / 0%"] * 7 + ["20 / 0%"] * 5 + ["N/A", None]
    assert row.metadata[17:] == ["7", "120", "Yellow"]
    assert (row.status, row.arn) == (WARNING, f"arn:aws:ec2:us-east-1:{ACCOUNT}:volume/{seven}")


# --- EC2 to EBS throughput ---------------------------------------------------------------------

M5_LARGE_MAX = 593.75  # MB/s


@pytest.mark.parametrize(
    ("throughput", "share"),
    [
        ([], 0.0),
        ([0.95 * M5_LARGE_MAX] * 4, 0.0),  # exactly 95 % is not above it
        ([0.96 * M5_LARGE_MAX] * 3 + [0.0], 0.75),
        ([M5_LARGE_MAX * 2, 1.0], 0.5),
    ],
)
def test_near_max_share(throughput: list[float], share: float) -> None:
    assert near_max_share(throughput, M5_LARGE_MAX) == share


def test_ebs_throughput(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    ec2, cloudwatch = aws_client("ec2"), aws_client("cloudwatch")
    saturated = _launch(ec2, "m5.large")  # EBS-optimized by default
    half = _launch(ec2, "m5.large")
    not_optimized = _launch(ec2, "m3.xlarge", EbsOptimized=False)
    _launch(ec2, "m5.large")  # only its root volume, which is quiet
    volumes = {
        "saturated-read": _volume(ec2, "a", "gp3", saturated),
        "saturated-write": _volume(ec2, "b", "gp3", saturated, device="/dev/sdg"),
        "half": _volume(ec2, "c", "gp3", half),
        "not-optimized": _volume(ec2, "d", "gp3", not_optimized),
    }
    seconds = FIVE_MINUTES.total_seconds()
    fast = 570e6 * seconds  # bytes in five minutes at 570 MB/s, above 95 % of 593.75
    start = day_start(NOW) - DAY
    periods = int(DAY / FIVE_MINUTES)
    assert periods == 288

    def put(volume: str, metric: str, values: list[float | None], begin: Any = start) -> None:
        put_periods(
            cloudwatch,
            start=begin,
            period=FIVE_MINUTES,
            namespace="AWS/EBS",
            metric=metric,
            dimensions={"VolumeId": volumes[volume]},
            values=values,
        )

    # 145 of 288 periods near the maximum, made of both volumes' reads and writes together.
    put("saturated-read", "VolumeReadBytes", [fast / 2] * 145)
    put("saturated-write", "VolumeWriteBytes", [fast / 2] * 145)
    # Exactly half the day: not more than half.
    put("half", "VolumeWriteBytes", [fast] * 144)
    # Later today is outside the previous UTC day.
    put("half", "VolumeWriteBytes", [fast] * 100, begin=day_start(NOW))
    put("not-optimized", "VolumeWriteBytes", [fast] * periods)

    evaluation = run("Bh2xRR2FGH", make_env(moto_endpoint, now=NOW))
    # The EBS-optimized instances with attached volumes (every instance has its root volume).
    assert evaluation.processed == 3
    rows = by_name(evaluation, 1)
    assert set(rows) == {saturated}
    row = rows[saturated]
    assert row.metadata == ["us-east-1", saturated, "m5.large", "Yellow", f"{145 / 288:.0%}"]
    assert row.arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{saturated}"
