"""The EC2 performance checks (high utilization, security-group rule counts) and the
Availability Zone balance checks, against moto, with their thresholds at the boundary."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest

from advisor.checks.balance import (
    REASON_LB_EMPTY_ZONE,
    REASON_LB_SINGLE_ZONE,
    REASON_LB_UNEVEN,
    load_balancer_reasons,
    zone_balance_status,
)
from advisor.checks.base import ERROR, OK, WARNING
from advisor.checks.performance import high_days, permission_rules, too_many_rules
from connections.sample import IMAGE_ID
from tests.advisor.check_helpers import ACCOUNT, NOW, by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv, put_daily


def _launch(ec2: Any, name: str, zone: str = "us-east-1a", **params: Any) -> str:
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": name}]}]
    reservation = ec2.run_instances(
        ImageId=IMAGE_ID,
        MinCount=1,
        MaxCount=1,
        Placement={"AvailabilityZone": zone},
        TagSpecifications=tags,
        **params,
    )
    return str(reservation["Instances"][0]["InstanceId"])


# --- High utilization --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("cpu", "days"),
    [
        ([90.0] * 14, 0),  # exactly 90 % is not above it
        ([90.1] * 4 + [10.0] * 10, 4),
        ([None] * 10 + [99.0] * 4, 4),  # days without data are not counted
        ([95.0] * 3 + [None] * 11, 3),
    ],
)
def test_high_days(cpu: list[float | None], days: int) -> None:
    assert high_days(cpu) == days


def test_high_utilization_instances(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2, cloudwatch = aws_client("ec2"), aws_client("cloudwatch")
    hot = _launch(ec2, "hot", InstanceType="c5.large")
    warm = _launch(ec2, "warm")
    _launch(ec2, "idle")
    stopped_hot = _launch(ec2, "stopped-hot")
    stopped_quiet = _launch(ec2, "stopped-quiet")
    ec2.stop_instances(InstanceIds=[stopped_hot, stopped_quiet])
    history: dict[str, list[float | None]] = {
        hot: [50.0] * 10 + [90.5] * 4,  # 4 days above 90 %: flagged
        warm: [95.0] * 3 + [90.0] * 11,  # 3 days above, 11 at exactly 90 %: not
        stopped_hot: [99.0] * 5 + [None] * 9,  # ran the first 5 days of the window
    }
    for instance_id, cpu in history.items():
        put_daily(
            cloudwatch,
            now=NOW,
            namespace="AWS/EC2",
            metric="CPUUtilization",
            dimensions={"InstanceId": instance_id},
            values=cpu,
        )

    evaluation = run("ZRxQlPsb6c", make_env(moto_endpoint, now=NOW))
    # Running instances, and the stopped one that ran in the window; not stopped-quiet.
    assert evaluation.processed == 4
    rows = by_name(evaluation, 1)
    assert set(rows) == {hot, stopped_hot}  # not warm, idle or stopped-quiet
    row = rows[hot]
    assert row.status == WARNING
    assert row.arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{hot}"
    assert row.metadata[:4] == ["us-east-1a", hot, "hot", "c5.large"]
    assert row.metadata[4:18] == ["50.0%"] * 10 + ["90.5%"] * 4
    assert row.metadata[18:] == [f"{(500 + 4 * 90.5) / 14:.1f}%", "4"]
    assert rows[stopped_hot].metadata[4:9] == ["99.0%"] * 5
    assert rows[stopped_hot].metadata[9:] == [None] * 9 + ["99.0%", "5"]


# --- Security group rule counts ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("total", "classic", "flagged"),
    [
        (50, False, False),
        (51, False, True),
        (100, True, False),
        (101, True, True),
        (60, True, False),
    ],
)
def test_rule_limits(total: int, classic: bool, flagged: bool) -> None:
    assert too_many_rules(total, classic=classic) is flagged


def test_each_source_is_a_rule() -> None:
    permission = {
        "IpProtocol": "tcp",
        "IpRanges": [{"CidrIp": "10.0.0.0/8"}, {"CidrIp": "192.168.0.0/16"}],
        "Ipv6Ranges": [{"CidrIpv6": "2001:db8::/32"}],
        "PrefixListIds": [{"PrefixListId": "pl-1"}],
        "UserIdGroupPairs": [{"GroupId": "sg-1"}, {"GroupId": "sg-2"}],
    }
    assert permission_rules(permission) == 6
    assert permission_rules({"IpProtocol": "-1"}) == 0


def _group_with_rules(ec2: Any, name: str, inbound: int) -> str:
    """A group with `inbound` single-address inbound rules and the default outbound rule."""
    group_id = str(ec2.create_security_group(GroupName=name, Description=name)["GroupId"])
    ranges = [{"CidrIp": f"10.{index // 200}.{index % 200}.1/32"} for index in range(inbound)]
    ec2.authorize_security_group_ingress(
        GroupId=group_id,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": 443, "ToPort": 443, "IpRanges": ranges}],
    )
    return group_id


def test_security_group_rule_counts(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    at_limit = _group_with_rules(ec2, "at-limit", 49)  # 49 + 1 outbound = 50: not flagged
    over = _group_with_rules(ec2, "over", 50)  # 51: flagged
    both = _launch(ec2, "both", SecurityGroupIds=[at_limit, over])
    single = _launch(ec2, "single", SecurityGroupIds=[at_limit])
    env = make_env(moto_endpoint, now=NOW)

    groups = run("tfg86AVHAZ", env)
    assert groups.processed == 3  # the two groups and the default VPC's default group
    [row] = groups.rows
    vpc_id = ec2.describe_security_groups(GroupIds=[over])["SecurityGroups"][0]["VpcId"]
    assert row.metadata == ["us-east-1", "over", over, "over", "1", vpc_id, "50", "1"]
    assert row.status == WARNING
    assert row.arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:security-group/{over}"

    applied = run("j3DFqYTe29", env)
    assert applied.processed == 2
    [row] = applied.rows
    # `single` has exactly 50 rules; `both` adds them up over its two groups.
    assert row.metadata == ["us-east-1", both, "both", vpc_id, "99", "2"]
    assert row.arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{both}"
    assert single not in {r.metadata[1] for r in applied.rows}


# --- Availability Zone balance -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("counts", "status"),
    [
        ({}, OK),
        ({"us-east-1a": 3}, ERROR),
        ({"us-east-1a": 5, "us-east-1b": 4}, OK),  # a difference of exactly 20 % of 5
        ({"us-east-1a": 5, "us-east-1b": 3}, WARNING),
        ({"us-east-1a": 10, "us-east-1b": 8}, OK),
        ({"us-east-1a": 10, "us-east-1b": 7, "us-east-1c": 10}, WARNING),
        ({"us-east-1a": 1, "us-east-1b": 1}, OK),
    ],
)
def test_zone_balance_status(counts: dict[str, int], status: str) -> None:
    assert zone_balance_status(Counter(counts)) == status


@pytest.mark.parametrize(
    ("zones", "active", "reasons"),
    [
        (["a"], {"a": 2}, [REASON_LB_SINGLE_ZONE]),
        (["a", "b"], {"a": 1}, [REASON_LB_EMPTY_ZONE]),
        (["a", "b"], {"a": 2, "b": 1}, []),  # a difference of one instance is fine
        (["a", "b"], {"a": 5, "b": 3}, [REASON_LB_UNEVEN]),
        (["a", "b"], {"a": 10, "b": 8}, []),  # 2 is exactly 20 % of 10
        (["a", "b"], {"a": 10, "b": 7}, [REASON_LB_UNEVEN]),
        (["a", "b", "c"], {"a": 6, "b": 3}, [REASON_LB_EMPTY_ZONE, REASON_LB_UNEVEN]),
        (["a"], {}, [REASON_LB_SINGLE_ZONE, REASON_LB_EMPTY_ZONE]),
    ],
)
def test_load_balancer_reasons(
    zones: list[str], active: dict[str, int], reasons: list[str]
) -> None:
    assert load_balancer_reasons(zones, Counter(active)) == reasons


def test_availability_zone_balance(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2, eu = aws_client("ec2"), aws_client("ec2", "eu-west-1")
    for zone in ("us-east-1a", "us-east-1a", "us-east-1c"):
        _launch(ec2, "web", zone)
    ec2.stop_instances(InstanceIds=[_launch(ec2, "stopped", "us-east-1f")])  # not counted
    _launch(eu, "lonely", "eu-west-1b")
    env = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1", "us-west-2"), now=NOW)

    evaluation = run("wuy7G1zxql", env)
    assert evaluation.processed == 2  # us-west-2 has no instances
    rows = by_name(evaluation, 0)
    assert rows["us-east-1"].status == WARNING  # 2 and 1: a difference of 50 %
    assert rows["us-east-1"].metadata == [
        "us-east-1",
        "2",
        "0",
        "1",
        "0",
        "0",
        "0",
        "Yellow",
        "Instances are unevenly distributed across Availability Zones",
    ]
    assert rows["eu-west-1"].status == ERROR
    assert rows["eu-west-1"].metadata[1:] == [
        "0",
        "1",
        "0",
        "0",
        "0",
        "0",
        "Red",
        "All instances are in a single Availability Zone",
    ]
    assert rows["eu-west-1"].region == "eu-west-1"


def test_load_balancer_optimization(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2, elb = aws_client("ec2"), aws_client("elb")
    in_a = [_launch(ec2, "a", "us-east-1a") for _ in range(2)]
    in_b = [_launch(ec2, "b", "us-east-1b") for _ in range(2)]
    stopped = _launch(ec2, "stopped", "us-east-1b")
    ec2.stop_instances(InstanceIds=[stopped])
    listeners = [{"Protocol": "HTTP", "LoadBalancerPort": 80, "InstancePort": 80}]
    members = {
        "balanced": (["us-east-1a", "us-east-1b"], [*in_a, *in_b]),
        # the stopped instance is not active: zone b is empty
        "half-empty": (["us-east-1a", "us-east-1b"], [in_a[0], stopped]),
        "one-zone": (["us-east-1a"], in_a),
    }
    for name, (zones, instances) in members.items():
        elb.create_load_balancer(
            LoadBalancerName=name, Listeners=listeners, AvailabilityZones=zones
        )
        elb.register_instances_with_load_balancer(
            LoadBalancerName=name, Instances=[{"InstanceId": i} for i in instances]
        )

    evaluation = run("iqdCTZKCUp", make_env(moto_endpoint, now=NOW))
    assert evaluation.processed == 3
    rows = by_name(evaluation, 1)
    assert set(rows) == {"half-empty", "one-zone"}
    assert rows["half-empty"].metadata == [
        "us-east-1",
        "half-empty",
        "2",
        "1",
        "0",
        "0",
        "0",
        "0",
        "0",
        "Yellow",
        REASON_LB_EMPTY_ZONE,
    ]
    assert rows["one-zone"].metadata[2:4] == ["1", "2"]
    assert rows["one-zone"].metadata[-1] == REASON_LB_SINGLE_ZONE
    assert rows["one-zone"].arn == (
        f"arn:aws:elasticloadbalancing:us-east-1:{ACCOUNT}:loadbalancer/one-zone"
    )
