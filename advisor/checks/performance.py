"""Amazon EC2 performance checks: instances that run hot, and security groups with so many rules
that evaluating them slows the network path.

Every check reads region by region (`regional`): a region that cannot be read is left out and
counted as ignored. CPU history comes from one batched `get_metric_data` per region.

Rule counts. A security group's rules are counted the way EC2 counts them against its quota:
each source or destination of a permission (an IPv4 range, an IPv6 range, a prefix list, a
security group) is one rule, so a permission naming three ranges is three rules. Inbound and
outbound rules are added together. An instance's count is the sum over the distinct groups of
all its network interfaces.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _

from advisor.checks.base import WARNING, Environment, Evaluation, Row, check
from advisor.checks.ec2 import instances
from advisor.checks.helpers import (
    MetricQuery,
    arn,
    daily_metrics,
    known_series,
    paginate,
    regional,
    tag_value,
    try_read,
)

HIGH_CPU_PERCENT = 90.0
HIGH_DAYS_TO_FLAG = 4
UTILIZATION_DAYS = 14

# More rules than these slow a group (or an instance) down; EC2-Classic allowed twice as many.
VPC_RULES_LIMIT = 50
CLASSIC_RULES_LIMIT = 100

SG_RULES_RESOURCES = (
    (
        _("Amazon EC2 security groups for your EC2 instances"),
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-security-groups.html",
    ),
    (
        _("Security group rules"),
        "https://docs.aws.amazon.com/vpc/latest/userguide/security-group-rules.html",
    ),
)


def high_days(cpu: list[float | None]) -> int:
    """Days whose average CPU was above 90 % (a day without data is not one)."""
    return sum(1 for day in cpu if day is not None and day > HIGH_CPU_PERCENT)


def _live(instance: dict[str, Any]) -> bool:
    return instance["State"]["Name"] != "terminated"


@check(
    "ZRxQlPsb6c",
    name=_("High Utilization Amazon EC2 Instances"),
    lead=_(
        "Reviews the daily CPU use of the instances that ran during the last 14 days. An "
        "instance that is busy day after day may be steady and well sized, or it may be short "
        "of capacity and slowing its application down."
    ),
    criteria=[
        _(
            # xgettext:no-python-format
            "Yellow: on at least 4 of the last 14 days, the instance's average CPU use was "
            "above 90%."
        ),
    ],
    action=_(
        "Spread the load over more instances, for example with an Auto Scaling group that "
        "scales on CPU, or move the workload to a larger instance type."
    ),
    resources=[
        (
            _("Monitor your instances using CloudWatch"),
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-cloudwatch.html",
        ),
        (
            _("What is Amazon EC2 Auto Scaling?"),
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/what-is-amazon-ec2-auto-scaling.html",
        ),
    ],
)
@regional
def high_utilization_instances(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    # A stopped instance may have run during the window; its CPU history says whether it did.
    candidates = [i for i in instances(env, region) if _live(i)]
    queries = [
        MetricQuery.of("AWS/EC2", "CPUUtilization", {"InstanceId": i["InstanceId"]}, "Average")
        for i in candidates
    ]
    answers = try_read(daily_metrics, env, region, queries, days=UTILIZATION_DAYS)
    for index, instance in enumerate(candidates):
        series = known_series(answers, index, 1)
        if series is None:
            evaluation.ignored += 1  # CloudWatch could not say how busy it was
            continue
        cpu = series[0]
        known = [day for day in cpu if day is not None]
        if not known and instance["State"]["Name"] != "running":
            continue  # did not run in the window
        evaluation.processed += 1
        days = high_days(cpu)
        if days < HIGH_DAYS_TO_FLAG:
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=arn("ec2", region, env.account_id, f"instance/{instance['InstanceId']}"),
                region=region,
                metadata=[
                    instance.get("Placement", {}).get("AvailabilityZone") or region,
                    instance["InstanceId"],
                    tag_value(instance.get("Tags")),
                    instance.get("InstanceType"),
                    *[None if day is None else f"{day:.1f}%" for day in cpu],
                    f"{sum(known) / len(known):.1f}%",
                    str(days),
                ],
            )
        )
    return evaluation


def permission_rules(permission: dict[str, Any]) -> int:
    """How many rules one IpPermissions entry stands for: one per source or destination."""
    return (
        len(permission.get("IpRanges", []))
        + len(permission.get("Ipv6Ranges", []))
        + len(permission.get("PrefixListIds", []))
        + len(permission.get("UserIdGroupPairs", []))
    )


def rule_counts(group: dict[str, Any]) -> tuple[int, int]:
    """A security group's (inbound, outbound) rule counts."""
    inbound = sum(permission_rules(p) for p in group.get("IpPermissions", []))
    outbound = sum(permission_rules(p) for p in group.get("IpPermissionsEgress", []))
    return inbound, outbound


def too_many_rules(total: int, *, classic: bool) -> bool:
    """Whether `total` rules exceed the limit: 50 in a VPC, 100 in EC2-Classic."""
    return total > (CLASSIC_RULES_LIMIT if classic else VPC_RULES_LIMIT)


def instance_groups(instance: dict[str, Any]) -> set[str]:
    """The ids of every security group on any of the instance's network interfaces."""
    groups = {g["GroupId"] for g in instance.get("SecurityGroups", [])}
    for interface in instance.get("NetworkInterfaces", []):
        groups.update(g["GroupId"] for g in interface.get("Groups", []))
    return groups


def _security_groups(env: Environment, region: str) -> list[dict[str, Any]]:
    ec2 = env.client("ec2", region)
    found = paginate(ec2, "describe_security_groups", "SecurityGroups")
    return sorted(found, key=lambda g: g["GroupId"])


@check(
    "tfg86AVHAZ",
    name=_("Large Number of Rules in an EC2 Security Group"),
    lead=_(
        "Counts the inbound and outbound rules of each security group. Every packet is "
        "evaluated against them, so a group with very many rules can slow the network traffic "
        "of the instances that use it."
    ),
    criteria=[
        _("Yellow: a security group in a VPC has more than 50 rules."),
        _("Yellow: an EC2-Classic security group has more than 100 rules."),
    ],
    action=_(
        "Remove rules nothing needs and merge overlapping ones, for example by allowing a whole "
        "address range, a managed prefix list or another security group instead of many single "
        "addresses."
    ),
    resources=SG_RULES_RESOURCES,
)
@regional
def large_security_groups(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    groups = _security_groups(env, region)
    if not groups:
        return evaluation
    users: dict[str, int] = {}
    for instance in instances(env, region):
        if _live(instance):
            for group_id in instance_groups(instance):
                users[group_id] = users.get(group_id, 0) + 1
    for group in groups:
        evaluation.processed += 1
        inbound, outbound = rule_counts(group)
        vpc_id = group.get("VpcId") or None
        if not too_many_rules(inbound + outbound, classic=vpc_id is None):
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=arn("ec2", region, env.account_id, f"security-group/{group['GroupId']}"),
                region=region,
                metadata=[
                    region,
                    group.get("GroupName"),
                    group["GroupId"],
                    group.get("Description"),
                    str(users.get(group["GroupId"], 0)),
                    vpc_id,
                    str(inbound),
                    str(outbound),
                ],
            )
        )
    return evaluation


@check(
    "j3DFqYTe29",
    name=_("Large Number of EC2 Security Group Rules Applied to an Instance"),
    lead=_(
        "Adds up the rules of all the security groups attached to each instance. An instance "
        "whose traffic is evaluated against very many rules can see its network performance "
        "suffer."
    ),
    criteria=[
        _("Yellow: an instance in a VPC has more than 50 security group rules."),
        _("Yellow: an EC2-Classic instance has more than 100 security group rules."),
    ],
    action=_(
        "Remove rules nothing needs and merge overlapping ones, and detach security groups the "
        "instance does not need."
    ),
    resources=SG_RULES_RESOURCES,
)
@regional
def instances_with_many_rules(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    live = [i for i in instances(env, region) if _live(i)]
    if not live:
        return evaluation
    counts = {group["GroupId"]: rule_counts(group) for group in _security_groups(env, region)}
    for instance in live:
        evaluation.processed += 1
        attached = [counts[g] for g in sorted(instance_groups(instance)) if g in counts]
        inbound = sum(i for i, _o in attached)
        outbound = sum(o for _i, o in attached)
        vpc_id = instance.get("VpcId") or None
        if not too_many_rules(inbound + outbound, classic=vpc_id is None):
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=arn("ec2", region, env.account_id, f"instance/{instance['InstanceId']}"),
                region=region,
                metadata=[
                    region,
                    instance["InstanceId"],
                    tag_value(instance.get("Tags")),
                    vpc_id,
                    str(inbound),
                    str(outbound),
                ],
            )
        )
    return evaluation
