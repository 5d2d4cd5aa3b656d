"""Amazon EC2 cost checks: unassociated Elastic IP addresses and low-utilization instances.

Both read region by region (`regional`): a region that cannot be read is left out and counted
as ignored. The utilization check reads CloudWatch with one batched `get_metric_data` per
region; instances whose metrics cannot be read are ignored.
"""

from __future__ import annotations

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

LOW_CPU_PERCENT = 10.0
LOW_NETWORK_BYTES = 5 * 1000 * 1000  # 5 MB in and out together
LOW_DAYS_TO_FLAG = 4
UTILIZATION_DAYS = 14
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
        "Associate the address with a running instance or network interface, or release it if "
        "nothing needs it any more."
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
    for address in sorted(addresses, key=lambda a: a["PublicIp"]):
        evaluation.processed += 1
        evaluation.monthly_cost += pricing.EIP_MONTHLY
        instance_id = address.get("InstanceId") or None
        if instance_id:
            idle = state.get(instance_id) != "running"
        else:
            # Attached to a network interface that is not an instance's (a NAT gateway, a
            # load balancer...): in use. Otherwise nothing holds it.
            idle = not (address.get("AssociationId") or address.get("NetworkInterfaceId"))
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


def _day_label(cpu: float | None, network: float | None) -> str | None:
    if cpu is None:
        return None
    return f"{cpu:.1f}% {(network or 0.0) / 1e6:.2f}MB"


@check(
    "Qch7DwouX1",
    name=_("Low Utilization Amazon EC2 Instances"),
    lead=_(
        "Reviews the CPU and network use of running instances over the last 14 days. An "
        "instance that mostly sits idle can usually be stopped, scheduled or moved to a "
        "smaller instance type."
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
    running = [i for i in instances(env, region) if i["State"]["Name"] == "running"]
    queries = [
        MetricQuery.of("AWS/EC2", metric, {"InstanceId": instance["InstanceId"]}, statistic)
        for instance in running
        for metric, statistic in UTILIZATION_METRICS
    ]
    answers = try_read(daily_metrics, env, region, queries, days=UTILIZATION_DAYS)
    width = len(UTILIZATION_METRICS)
    for index, instance in enumerate(running):
        series = known_series(answers, index * width, width)
        if series is None:
            evaluation.ignored += 1  # CloudWatch could not say how busy it was
            continue
        cpu, network_in, network_out = series
        evaluation.processed += 1
        monthly = pricing.ec2_monthly(instance.get("InstanceType", ""))
        evaluation.monthly_cost += monthly
        row = _utilization_row(env, region, instance, monthly, cpu, network_in, network_out)
        if row is not None:
            evaluation.rows.append(row)
    return evaluation


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
