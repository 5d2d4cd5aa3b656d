"""Amazon EC2 cost checks: unassociated Elastic IP addresses and low-utilization instances.

Both read region by region (`regional`): a region that cannot be read is left out and counted
as ignored. The utilization check reads CloudWatch with one batched `get_metric_data` per
region; instances whose metrics cannot be read are ignored.

The utilization check covers every instance that ran at some point in the 14-day window, not
only those running now: an instance stopped yesterday after ten idle days is still listed. A
stopped instance ran in the window if it was last started in it (`LaunchTime`) or stopped in it
(the time in `StateTransitionReason`); when neither says so, CloudWatch does: an instance with
CPU data in the window was running then. Terminated instances are left out (there is nothing
left to change about them).
"""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from django.utils.translation import gettext_lazy as _

from advisor.checks import pricing
from advisor.checks.base import WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import (
    MetricQuery,
    Series,
    arn,
    daily_metrics,
    known_series,
    money,
    paginate,
    regional,
    tag_value,
    try_read,
)
from connections.metrics import DAY, window_end

LOW_CPU_PERCENT = 10.0
LOW_NETWORK_BYTES = 5 * 1000 * 1000  # 5 MB in and out together
LOW_DAYS_TO_FLAG = 4
UTILIZATION_DAYS = 14
# Instance states that bill (or are about to): the instance is running in the window.
ACTIVE_STATES = frozenset({"pending", "running", "stopping"})
# "User initiated (2025-03-01 10:00:00 GMT)": when a stopped instance stopped.
TRANSITION_TIME = re.compile(r"\((\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2}) (?:GMT|UTC)\)")
# The three daily series each instance is judged on, in query order.
UTILIZATION_METRICS = (("CPUUtilization", "Average"), ("NetworkIn", "Sum"), ("NetworkOut", "Sum"))

EC2_PRICING = (
    _("Amazon EC2 On-Demand Pricing"),
    "https://aws.amazon.com/ec2/pricing/on-demand/",
)


def instances(env: Environment, region: str) -> list[dict[str, Any]]:
    """Every instance in `region` (all states), sorted by id."""
    ec2 = env.client("ec2", region)
    found = [
        instance
        for reservation in paginate(ec2, "describe_instances", "Reservations")
        for instance in reservation.get("Instances", [])
    ]
    return sorted(found, key=lambda i: i["InstanceId"])


@check(
    "Z4AUBRNSmz",
    name=_("Unassociated Elastic IP Addresses"),
    lead=_(
        "Looks for Elastic IP addresses that are not attached to a running instance. Every "
        "public IPv4 address is billed by the hour, so an idle one costs money for nothing."
    ),
    criteria=[
        _("Yellow: the Elastic IP address is not associated with a running EC2 instance."),
    ],
    action=_(
        "Associate the address with a running instance, or release it if nothing needs it any more."
    ),
    resources=[
        (
            _("Elastic IP addresses"),
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/elastic-ip-addresses-eip.html",
        ),
        (_("Amazon VPC pricing"), "https://aws.amazon.com/vpc/pricing/"),
    ],
)
@regional
def unassociated_eips(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    addresses = env.client("ec2", region).describe_addresses().get("Addresses", [])
    if not addresses:
        return evaluation
    state = {i["InstanceId"]: i["State"]["Name"] for i in instances(env, region)}
    holders = _interface_instances(env, region, addresses)
    for address in sorted(addresses, key=lambda a: a["PublicIp"]):
        evaluation.processed += 1
        evaluation.monthly_cost += pricing.EIP_MONTHLY
        # An address on a network interface belongs to the instance the interface is attached
        # to, if any. One on an interface attached to no instance (a detached interface, a NAT
        # gateway's, a load balancer's) is not associated with a running instance either.
        instance_id = address.get("InstanceId") or holders.get(
            address.get("NetworkInterfaceId") or ""
        )
        idle = not instance_id or state.get(instance_id) != "running"
        if not idle:
            continue
        resource = address.get("AllocationId") or address["PublicIp"]
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=arn("ec2", region, env.account_id, f"elastic-ip/{resource}"),
                region=region,
                metadata=[region, address["PublicIp"]],
                savings=pricing.EIP_MONTHLY,
            )
        )
    return evaluation


def _interface_instances(
    env: Environment, region: str, addresses: list[dict[str, Any]]
) -> dict[str, str]:
    """The instance each address's network interface is attached to (interfaces attached to
    none are absent)."""
    ids = sorted({a["NetworkInterfaceId"] for a in addresses if a.get("NetworkInterfaceId")})
    if not ids:
        return {}
    interfaces = paginate(
        env.client("ec2", region),
        "describe_network_interfaces",
        "NetworkInterfaces",
        # A filter, not NetworkInterfaceIds: an interface deleted meanwhile is just absent.
        Filters=[{"Name": "network-interface-id", "Values": ids}],
    )
    return {
        interface["NetworkInterfaceId"]: interface["Attachment"]["InstanceId"]
        for interface in interfaces
        if (interface.get("Attachment") or {}).get("InstanceId")
    }


def _day_label(cpu: float | None, network: float | None) -> str | None:
    if cpu is None:
        return None
    return f"{cpu:.1f}% {(network or 0.0) / 1e6:.2f}MB"


@check(
    "Qch7DwouX1",
    name=_("Low Utilization Amazon EC2 Instances"),
    lead=_(
        "Reviews the CPU and network use over the last 14 days of every instance that ran at "
        "some point in them. An instance that mostly sits idle can usually be stopped, "
        "scheduled or moved to a smaller instance type."
    ),
    criteria=[
        _(
            # xgettext:no-python-format
            "Yellow: on at least 4 of the last 14 days, the instance's average CPU use was 10% "
            "or less and its network traffic 5 MB or less."
        ),
    ],
    action=_(
        "Stop or terminate instances nobody uses, schedule the ones needed only part of the "
        "day, and move the rest to a smaller instance type."
    ),
    resources=[
        (
            _("List the available CloudWatch metrics for your instances"),
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/viewing_metrics_with_cloudwatch.html",
        ),
        EC2_PRICING,
    ],
)
@regional
def low_utilization_instances(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    window_start = window_end(env.now) - UTILIZATION_DAYS * DAY
    candidates = [
        (instance, ran)
        for instance in instances(env, region)
        if (ran := _ran_during(instance, window_start)) is not False
    ]
    queries = [
        MetricQuery.of("AWS/EC2", metric, {"InstanceId": instance["InstanceId"]}, statistic)
        for instance, _ran in candidates
        for metric, statistic in UTILIZATION_METRICS
    ]
    answers = try_read(daily_metrics, env, region, queries, days=UTILIZATION_DAYS)
    width = len(UTILIZATION_METRICS)
    for index, (instance, ran) in enumerate(candidates):
        series = known_series(answers, index * width, width)
        if series is None:
            evaluation.ignored += 1  # CloudWatch could not say how busy it was
            continue
        cpu, network_in, network_out = series
        if ran is None and all(value is None for value in cpu):
            continue  # stopped at an unknown time, and no sign of running in the window
        evaluation.processed += 1
        # A stopped instance costs nothing now: stopping it saves nothing more.
        running = instance["State"]["Name"] in ACTIVE_STATES
        monthly = pricing.ec2_monthly(instance.get("InstanceType", "")) if running else 0.0
        evaluation.monthly_cost += monthly
        row = _utilization_row(env, region, instance, monthly, cpu, network_in, network_out)
        if row is not None:
            evaluation.rows.append(row)
    return evaluation


def _ran_during(instance: dict[str, Any], window_start: datetime) -> bool | None:
    """Whether the instance ran after `window_start`: True, False, or None when only its
    CloudWatch data can tell."""
    state = instance["State"]["Name"]
    if state in ACTIVE_STATES:
        return True
    if state != "stopped":
        return False  # terminated or being terminated
    launched = instance.get("LaunchTime")
    if launched is not None and launched >= window_start:
        return True
    match = TRANSITION_TIME.search(instance.get("StateTransitionReason") or "")
    if match is None:
        return None
    stopped = datetime.strptime(match.group(1), "%Y-%m-%d %H:%M:%S").replace(tzinfo=UTC)
    return stopped >= window_start


def _utilization_row(
    env: Environment,
    region: str,
    instance: dict[str, Any],
    monthly: float,
    cpu: Series,
    network_in: Series,
    network_out: Series,
) -> Row | None:
    network = [
        None if a is None and b is None else (a or 0.0) + (b or 0.0)
        for a, b in zip(network_in, network_out, strict=True)
    ]
    # A day without CPU data says nothing about use (the instance may have been stopped).
    low_days = sum(
        1
        for day_cpu, day_network in zip(cpu, network, strict=True)
        if day_cpu is not None
        and day_cpu <= LOW_CPU_PERCENT
        and (day_network or 0.0) <= LOW_NETWORK_BYTES
    )
    if low_days < LOW_DAYS_TO_FLAG:
        return None
    known_cpu = [c for c in cpu if c is not None]
    known_network = [n for n in network if n is not None]
    average_cpu = sum(known_cpu) / len(known_cpu)
    average_network = sum(known_network) / len(known_network) if known_network else 0.0
    return Row(
        status=WARNING,
        arn=arn("ec2", region, env.account_id, f"instance/{instance['InstanceId']}"),
        region=region,
        metadata=[
            instance.get("Placement", {}).get("AvailabilityZone") or region,
            instance["InstanceId"],
            tag_value(instance.get("Tags")),
            instance.get("InstanceType"),
            money(monthly),
            *[_day_label(c, n) for c, n in zip(cpu, network, strict=True)],
            f"{average_cpu:.1f}%",
            f"{average_network / 1e6:.2f}MB",
            str(low_days),
        ],
        savings=monthly,
    )
