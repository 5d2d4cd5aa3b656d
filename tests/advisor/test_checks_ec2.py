"""The EC2 checks (security groups, Elastic IPs, instances, load balancers) against moto."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone

from advisor.checks import pricing
from advisor.checks.base import ERROR, OK, WARNING
from advisor.checks.ec2 import _ran_during
from advisor.checks.security_groups import port_range_status
from connections.sample import IMAGE_ID
from tests.advisor.check_helpers import ACCOUNT, NOW, by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv, put_daily

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
    ping_id = _open_group(ec2, "ping", [ping])
    v6 = [
        {"IpProtocol": "tcp", "FromPort": p, "ToPort": p, "Ipv6Ranges": [{"CidrIpv6": c}]}
        for p, c in ((22, "::/0"), (443, "::/0"), (5432, "2001:db8::/32"))
    ]
    v6.append(
        {"IpProtocol": "icmpv6", "FromPort": -1, "ToPort": -1, "Ipv6Ranges": [{"CidrIpv6": "::/0"}]}
    )
    v6_id = _open_group(ec2, "v6", v6)
    return {"web": web, "db": db, "wide": wide, "ping": ping_id, "v6": v6_id}


def test_security_groups_specific_ports(
    open_groups: dict[str, str], moto_endpoint: str, make_env: MakeEnv
) -> None:
    evaluation = run("HCP4007jGY", make_env(moto_endpoint))
    assert evaluation.processed == 6  # five groups and the default VPC's
    rows = {(r.metadata[1], r.metadata[5]): r for r in evaluation.rows}
    # ICMP has no ports: the ping group is not listed. ::/0 counts like 0.0.0.0/0; a narrower
    # IPv6 range does not.
    assert {key: r.status for key, r in rows.items()} == {
        ("web", "80"): OK,  # green rows are listed
        ("web", "22"): WARNING,
        ("db", "3306"): ERROR,
        ("db", "53"): WARNING,
        ("wide", "0-65535"): ERROR,
        ("v6", "22"): WARNING,
        ("v6", "443"): OK,
    }
    assert rows[("v6", "22")].key.endswith("|tcp|22-22|::/0")
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
    assert evaluation.processed == 6
    assert {(r.metadata[1], r.metadata[3], r.metadata[4]) for r in evaluation.rows} == {
        ("web", "tcp", "22"),
        ("db", "tcp", "3306"),
        ("db", "udp", "53"),
        ("wide", "all", "0-65535"),
        # A /0 source for ICMP is a rule open to the world for something other than mail or web.
        ("ping", "icmp", "8"),
        ("v6", "tcp", "22"),
        ("v6", "icmpv6", "All"),
    }
    ping = next(r for r in evaluation.rows if r.metadata[1] == "ping")
    assert ping.metadata == [
        "us-east-1",
        "ping",
        open_groups["ping"],
        "icmp",
        "8",
        "Red",
        "0.0.0.0/0",
    ]
    assert next(r for r in evaluation.rows if r.metadata[3] == "icmpv6").metadata[6] == "::/0"
    assert all(r.status == ERROR for r in evaluation.rows)
    row = next(r for r in evaluation.rows if r.metadata[4] == "3306")
    assert row.metadata == ["us-east-1", "db", open_groups["db"], "tcp", "3306", "Red", "0.0.0.0/0"]
    assert row.key == f"{row.arn}|tcp|3306-3306|0.0.0.0/0"
    assert len({r.identity for r in evaluation.rows}) == len(evaluation.rows)


# --- Elastic IPs and instances -----------------------------------------------------------------


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
    # Addresses on network interfaces: one attached to the running instance (in use), one to
    # the stopped instance, one attached to nothing.
    subnet = ec2.describe_subnets()["Subnets"][0]["SubnetId"]
    on_interface = {}
    for name, instance_id in (("running", running), ("stopped", stopped), ("loose", None)):
        interface = ec2.create_network_interface(SubnetId=subnet)["NetworkInterface"]
        if instance_id:
            ec2.attach_network_interface(
                NetworkInterfaceId=interface["NetworkInterfaceId"],
                InstanceId=instance_id,
                DeviceIndex=1,
            )
        address = ec2.allocate_address(Domain="vpc")
        ec2.associate_address(
            AllocationId=address["AllocationId"],
            NetworkInterfaceId=interface["NetworkInterfaceId"],
        )
        on_interface[name] = address["PublicIp"]

    evaluation = run("Z4AUBRNSmz", make_env(moto_endpoint))
    assert evaluation.processed == 6
    assert evaluation.monthly_cost == pytest.approx(6 * pricing.EIP_MONTHLY)
    rows = by_name(evaluation, 1)
    assert set(rows) == {
        free["PublicIp"],
        stopped_ip["Addresses"][0]["PublicIp"],
        on_interface["stopped"],
        on_interface["loose"],
    }
    row = rows[free["PublicIp"]]
    assert row.metadata == ["us-east-1", free["PublicIp"]]
    assert row.arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:elastic-ip/{free['AllocationId']}"
    assert (row.status, row.savings) == (WARNING, pricing.EIP_MONTHLY)


def test_low_utilization_instances(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    tags = [{"ResourceType": "instance", "Tags": [{"Key": "Name", "Value": "batch"}]}]
    idle, busy, stopped, gone = (
        ec2.run_instances(
            ImageId=IMAGE_ID,
            MinCount=1,
            MaxCount=1,
            InstanceType="t3.large",
            TagSpecifications=tags,
        )["Instances"][0]["InstanceId"]
        for _ in range(4)
    )
    ec2.stop_instances(InstanceIds=[stopped])
    ec2.terminate_instances(InstanceIds=[gone])
    cloudwatch = aws_client("cloudwatch")
    # idle: 5 quiet days, 1 day with heavy traffic, 8 busy days; busy: only 3 quiet days.
    patterns = {
        idle: ([None] * 5 + [2.0] * 6 + [50.0] * 3, [1e6] * 5 + [9e6] + [1e6] * 8),
        busy: ([3.0] * 3 + [40.0] * 11, [1e6] * 14),
        # Ten quiet days, then stopped: it ran in the window, so it is listed.
        stopped: ([1.0] * 10 + [None] * 4, [1e6] * 10 + [None] * 4),
        gone: ([1.0] * 14, [1e6] * 14),
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
            values = [None if v is None else v / 2 for v in network]
            put_daily(
                cloudwatch,
                now=NOW,
                namespace="AWS/EC2",
                metric=metric,
                dimensions=dimensions,
                values=values,
            )

    evaluation = run("Qch7DwouX1", make_env(moto_endpoint, now=NOW))
    # Instances that ran in the window: the terminated one is left out.
    assert evaluation.processed == 3
    monthly = pricing.ec2_monthly("t3.large")
    assert monthly == 60.74
    # The stopped instance costs nothing now.
    assert evaluation.monthly_cost == pytest.approx(2 * monthly)
    rows = {r.metadata[1]: r for r in evaluation.rows}
    assert set(rows) == {idle, stopped}
    quiet = rows[stopped]
    assert (quiet.status, quiet.savings) == (WARNING, 0.0)
    assert quiet.metadata[4] == "$0.00"
    assert quiet.metadata[19:] == ["1.0%", "1.00MB", "10"]
    row = rows[idle]
    assert row.arn == f"arn:aws:ec2:us-east-1:{ACCOUNT}:instance/{idle}"
    assert (row.status, row.savings) == (WARNING, monthly)
    days = row.metadata[5:19]
    assert days[:6] == [None] * 5 + ["2.0% 9.00MB"]
    assert days[6] == "2.0% 1.00MB"
    assert days[-1] == "50.0% 1.00MB"
    assert row.metadata[:5] == ["us-east-1a", idle, "batch", "t3.large", "$60.74"]
    # Five quiet days: day 6 moved 9 MB, above the 5 MB bar.
    assert row.metadata[19:] == [f"{(2.0 * 6 + 50.0 * 3) / 9:.1f}%", "1.57MB", "5"]


WINDOW_START = datetime(2025, 3, 1, 12, tzinfo=UTC)


@pytest.mark.parametrize(
    ("state", "launched", "reason", "ran"),
    [
        ("running", datetime(2020, 1, 1, tzinfo=UTC), "", True),
        ("pending", None, "", True),
        ("stopping", None, "", True),
        ("terminated", datetime(2025, 3, 10, tzinfo=UTC), "", False),
        ("shutting-down", datetime(2025, 3, 10, tzinfo=UTC), "", False),
        # Started in the window, stopped since.
        (
            "stopped",
            datetime(2025, 3, 2, tzinfo=UTC),
            "User initiated (2025-03-03 10:00:00 GMT)",
            True,
        ),
        # Started long ago, stopped in the window (the window's first instant included).
        (
            "stopped",
            datetime(2024, 1, 1, tzinfo=UTC),
            "User initiated (2025-03-01 12:00:00 GMT)",
            True,
        ),
        # Stopped just before the window.
        (
            "stopped",
            datetime(2024, 1, 1, tzinfo=UTC),
            "User initiated (2025-03-01 11:59:59 GMT)",
            False,
        ),
        # No stop time given: CloudWatch decides.
        ("stopped", datetime(2024, 1, 1, tzinfo=UTC), "", None),
        ("stopped", None, "Server.SpotInstanceTermination", None),
    ],
)
def test_which_instances_ran_in_the_window(
    state: str, launched: datetime | None, reason: str, ran: bool | None
) -> None:
    instance: dict[str, Any] = {"State": {"Name": state}, "StateTransitionReason": reason}
    if launched is not None:
        instance["LaunchTime"] = launched
    assert _ran_during(instance, WINDOW_START) is ran


def test_an_instance_stopped_before_the_window_is_not_evaluated(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    ec2 = aws_client("ec2")
    [instance] = ec2.run_instances(ImageId=IMAGE_ID, MinCount=1, MaxCount=1)["Instances"]
    ec2.stop_instances(InstanceIds=[instance["InstanceId"]])
    # moto stamps the stop with the real clock: a month later it lies before the window.
    later = timezone.now() + timedelta(days=30)
    evaluation = run("Qch7DwouX1", make_env(moto_endpoint, now=later))
    assert (evaluation.processed, evaluation.rows) == (0, [])
    evaluation = run("Qch7DwouX1", make_env(moto_endpoint, now=timezone.now()))
    assert (evaluation.processed, evaluation.rows) == (1, [])


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
