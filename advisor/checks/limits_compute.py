"""Service-limit checks of compute: EC2 On-Demand vCPUs, Auto Scaling, CloudFormation, ELB.

Each region is evaluated separately, one row per quota (see `advisor.checks.limits` for the
colours, Blue, and the regions that cannot be read). Quotas come from Service Quotas, which
reports raised quotas; where it does not track a quota (moto tracks only the `vpc` service) the
figure is AWS's default, from `DEFAULTS`. Elastic Load Balancing's own `describe_account_limits`
is read first for Application and Network Load Balancers, as it answers for the account.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.exceptions import ClientError
from django.utils.translation import gettext_lazy as _

from advisor.checks.base import Environment
from advisor.checks.helpers import error_code, paginate
from advisor.checks.limits import (
    Measure,
    count_items,
    quota_or_default,
    regional_limit_check,
    service_quota,
)

# AWS's default quotas, used only where Service Quotas does not know the quota. Each figure is
# the "AWS default quota value" of the quota in the AWS General Reference page named beside it
# (Service quotas > <service> endpoints and quotas), as of 2025.
DEFAULTS = {
    # Amazon EC2: "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances", in vCPUs.
    # The AWS CLI reference's get-aws-default-service-quota example shows the same 5.0.
    ("ec2", "L-1216C47A"): 5.0,
    # Amazon EC2 Auto Scaling: "Auto Scaling groups per region", "Launch configurations per
    # region".
    ("autoscaling", "L-CDE20ADC"): 500.0,
    ("autoscaling", "L-6B80B8FA"): 200.0,
    # AWS CloudFormation: "Stack count" (stacks per account per region).
    ("cloudformation", "L-0485CB21"): 2000.0,
    # Elastic Load Balancing: "Classic Load Balancers per Region", "Application Load Balancers
    # per Region", "Network Load Balancers per Region".
    ("elasticloadbalancing", "L-E9E9831D"): 20.0,
    ("elasticloadbalancing", "L-53DA6B97"): 50.0,
    ("elasticloadbalancing", "L-69A177A2"): 50.0,
}

EC2_QUOTAS_DOCS = (
    _("Amazon EC2 On-Demand Instance quotas"),
    "https://docs.aws.amazon.com/ec2/latest/instancetypes/ec2-instance-quotas.html",
)
AUTOSCALING_QUOTAS_DOCS = (
    _("Amazon EC2 Auto Scaling service quotas"),
    "https://docs.aws.amazon.com/autoscaling/ec2/userguide/ec2-auto-scaling-quotas.html",
)
CLOUDFORMATION_QUOTAS_DOCS = (
    _("AWS CloudFormation quotas"),
    "https://docs.aws.amazon.com/AWSCloudFormation/latest/UserGuide/cloudformation-limits.html",
)
ELB_QUOTAS_DOCS = (
    _("Elastic Load Balancing endpoints and quotas"),
    "https://docs.aws.amazon.com/general/latest/gr/elb.html",
)


def default_quota(
    env: Environment, region: str | None, service_code: str, quota_code: str
) -> Callable[[], float]:
    """The reader of a quota with a default in `DEFAULTS`."""
    default = DEFAULTS[(service_code, quota_code)]
    return lambda: quota_or_default(env, region, service_code, quota_code, default)


# --- EC2 On-Demand instances --------------------------------------------------------------------


@dataclass(frozen=True)
class InstanceFamily:
    """One of EC2's On-Demand vCPU quotas and the instance-type prefixes it covers."""

    quota_code: str
    limit_name: str  # the quota's name in Service Quotas
    prefixes: tuple[str, ...]


# Most specific prefixes are tried first (`hpc` before `h`, `inf` before `i`, `u-` before all).
FAMILIES = (
    InstanceFamily("L-43DA4232", "Running On-Demand High Memory instances", ("u-",)),
    InstanceFamily("L-F7808C92", "Running On-Demand HPC instances", ("hpc",)),
    InstanceFamily("L-6E869C2A", "Running On-Demand DL instances", ("dl",)),
    InstanceFamily("L-2C3B7624", "Running On-Demand Trn instances", ("trn",)),
    InstanceFamily("L-1945791B", "Running On-Demand Inf instances", ("inf",)),
    InstanceFamily("L-DB2E81BA", "Running On-Demand G and VT instances", ("g", "vt")),
    InstanceFamily("L-417A185B", "Running On-Demand P instances", ("p",)),
    InstanceFamily("L-7295265B", "Running On-Demand X instances", ("x",)),
    InstanceFamily("L-74FC7D96", "Running On-Demand F instances", ("f",)),
    InstanceFamily(
        "L-1216C47A",
        "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
        ("a", "c", "d", "h", "i", "m", "r", "t", "z"),
    ),
)
STANDARD = FAMILIES[-1]
# The states in which an instance holds its vCPUs against the quota.
HOLDING_STATES = ("pending", "running")
# describe_instance_types takes at most 100 types a call.
TYPES_PER_CALL = 100
UNKNOWN_TYPE_CODE = "InvalidInstanceType"


def family_of(instance_type: str) -> InstanceFamily | None:
    for family in FAMILIES:
        if instance_type.startswith(family.prefixes):
            return family
    return None


def _on_demand_instances(env: Environment, region: str) -> Iterator[dict[str, Any]]:
    """The region's pending and running instances that are On-Demand (not Spot or Scheduled:
    those have their own quotas)."""
    reservations = paginate(
        env.client("ec2", region),
        "describe_instances",
        "Reservations",
        Filters=[{"Name": "instance-state-name", "Values": list(HOLDING_STATES)}],
    )
    for reservation in reservations:
        for instance in reservation.get("Instances", []):
            if not instance.get("InstanceLifecycle"):
                yield instance


def _default_vcpus(ec2: Any, instance_types: Sequence[str]) -> dict[str, int]:
    """Each type's default vCPUs. A type EC2 does not describe in the region (one it no longer
    lists) is left out: a batch naming one is refused whole, so it is described type by type."""
    found: dict[str, int] = {}
    for offset in range(0, len(instance_types), TYPES_PER_CALL):
        batch = list(instance_types[offset : offset + TYPES_PER_CALL])
        try:
            described = list(
                paginate(ec2, "describe_instance_types", "InstanceTypes", InstanceTypes=batch)
            )
        except ClientError as error:
            if error_code(error) != UNKNOWN_TYPE_CODE:
                raise
            if len(batch) > 1:
                for instance_type in batch:
                    found.update(_default_vcpus(ec2, [instance_type]))
            continue
        for answer in described:
            found[answer["InstanceType"]] = answer["VCpuInfo"]["DefaultVCpus"]
    return found


def on_demand_vcpus(env: Environment, region: str) -> dict[str, float | None]:
    """vCPUs of the region's On-Demand instances by quota code. An instance's vCPUs are its CPU
    options (cores × threads) when EC2 reports them, else its type's default; a family with an
    instance whose vCPUs cannot be known has None (its row is Blue)."""
    instances = list(_on_demand_instances(env, region))
    unsized = sorted({i["InstanceType"] for i in instances if not i.get("CpuOptions")})
    defaults = _default_vcpus(env.client("ec2", region), unsized)
    usage: dict[str, float | None] = {}
    for instance in instances:
        family = family_of(instance["InstanceType"])
        if family is None:
            continue  # a type no On-Demand vCPU quota covers (Mac hosts, say)
        options = instance.get("CpuOptions")
        vcpus: float | None
        if options:
            vcpus = options.get("CoreCount", 0) * options.get("ThreadsPerCore", 1)
        else:
            vcpus = defaults.get(instance["InstanceType"])
        known = usage.get(family.quota_code, 0)
        usage[family.quota_code] = None if known is None or vcpus is None else known + vcpus
    return usage


@regional_limit_check(
    "0Xc6LMYG8P",
    name=_("EC2 On-Demand Instances"),
    lead=_(
        "Compares the vCPUs of the running On-Demand instances in each region with the region's "
        "On-Demand vCPU quota for each instance family."
    ),
    resources=[EC2_QUOTAS_DOCS],
)
def ec2_on_demand(env: Environment, region: str) -> Sequence[Measure]:
    usage = cache(lambda: on_demand_vcpus(env, region))
    try:
        used = set(usage())
    except ClientError:
        used = set()  # the Standard row reads it again, and is Blue or ends the region

    def family_usage(quota_code: str) -> Callable[[], float | None]:
        return lambda: usage().get(quota_code, 0)

    def limit(family: InstanceFamily) -> Callable[[], float | None]:
        if family is STANDARD:
            return default_quota(env, region, "ec2", STANDARD.quota_code)
        # No documented default for the other families: unknown (Blue) if Service Quotas is
        # silent. Their rows appear only where such instances run.
        return lambda: service_quota(env, region, "ec2", family.quota_code)

    return [
        Measure(
            resource=f"ec2/{family.quota_code}",
            service="EC2",
            limit_name=family.limit_name,
            limit=limit(family),
            usage=family_usage(family.quota_code),
        )
        for family in FAMILIES
        if family is STANDARD or family.quota_code in used
    ]


# --- Auto Scaling and CloudFormation ------------------------------------------------------------


@regional_limit_check(
    "fW7HH0l7J9",
    name=_("Auto Scaling Groups"),
    lead=_("Compares the number of Auto Scaling groups in each region with the region's quota."),
    resources=[AUTOSCALING_QUOTAS_DOCS],
)
def auto_scaling_groups(env: Environment, region: str) -> Sequence[Measure]:
    count = count_items("autoscaling", "describe_auto_scaling_groups", "AutoScalingGroups")
    return [
        Measure(
            resource="autoscaling/L-CDE20ADC",
            service="AutoScaling",
            limit_name="Auto Scaling groups",
            limit=default_quota(env, region, "autoscaling", "L-CDE20ADC"),
            usage=lambda: count(env, region),
        )
    ]


@regional_limit_check(
    "aW7HH0l7J9",
    name=_("Auto Scaling Launch Configurations"),
    lead=_(
        "Compares the number of Auto Scaling launch configurations in each region with the "
        "region's quota."
    ),
    resources=[AUTOSCALING_QUOTAS_DOCS],
)
def launch_configurations(env: Environment, region: str) -> Sequence[Measure]:
    count = count_items("autoscaling", "describe_launch_configurations", "LaunchConfigurations")
    return [
        Measure(
            resource="autoscaling/L-6B80B8FA",
            service="AutoScaling",
            limit_name="Launch configurations",
            limit=default_quota(env, region, "autoscaling", "L-6B80B8FA"),
            usage=lambda: count(env, region),
        )
    ]


# Every stack status but DELETE_COMPLETE: deleted stacks no longer count against the quota.
LIVE_STACK_STATUSES = [
    "CREATE_IN_PROGRESS",
    "CREATE_FAILED",
    "CREATE_COMPLETE",
    "ROLLBACK_IN_PROGRESS",
    "ROLLBACK_FAILED",
    "ROLLBACK_COMPLETE",
    "DELETE_IN_PROGRESS",
    "DELETE_FAILED",
    "UPDATE_IN_PROGRESS",
    "UPDATE_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_COMPLETE",
    "UPDATE_FAILED",
    "UPDATE_ROLLBACK_IN_PROGRESS",
    "UPDATE_ROLLBACK_FAILED",
    "UPDATE_ROLLBACK_COMPLETE_CLEANUP_IN_PROGRESS",
    "UPDATE_ROLLBACK_COMPLETE",
    "REVIEW_IN_PROGRESS",
    "IMPORT_IN_PROGRESS",
    "IMPORT_COMPLETE",
    "IMPORT_ROLLBACK_IN_PROGRESS",
    "IMPORT_ROLLBACK_FAILED",
    "IMPORT_ROLLBACK_COMPLETE",
]


def live_stacks(env: Environment, region: str) -> int:
    summaries = paginate(
        env.client("cloudformation", region),
        "list_stacks",
        "StackSummaries",
        StackStatusFilter=LIVE_STACK_STATUSES,
    )
    return sum(1 for _summary in summaries)


@regional_limit_check(
    "gW7HH0l7J9",
    name=_("CloudFormation Stacks"),
    lead=_("Compares the number of CloudFormation stacks in each region with the region's quota."),
    resources=[CLOUDFORMATION_QUOTAS_DOCS],
)
def cloudformation_stacks(env: Environment, region: str) -> Sequence[Measure]:
    return [
        Measure(
            resource="cloudformation/L-0485CB21",
            service="CloudFormation",
            limit_name="Stacks",
            limit=default_quota(env, region, "cloudformation", "L-0485CB21"),
            usage=lambda: live_stacks(env, region),
        )
    ]


# --- Elastic Load Balancing ---------------------------------------------------------------------


@regional_limit_check(
    "iK7OO0l7J9",
    name=_("ELB Classic Load Balancers"),
    lead=_("Compares the number of Classic Load Balancers in each region with the region's quota."),
    resources=[ELB_QUOTAS_DOCS],
)
def classic_load_balancers(env: Environment, region: str) -> Sequence[Measure]:
    count = count_items("elb", "describe_load_balancers", "LoadBalancerDescriptions")
    return [
        Measure(
            resource="elasticloadbalancing/L-E9E9831D",
            service="ELB",
            limit_name="Active load balancers",
            limit=default_quota(env, region, "elasticloadbalancing", "L-E9E9831D"),
            usage=lambda: count(env, region),
        )
    ]


def elbv2_limit(env: Environment, region: str, name: str, quota_code: str) -> Callable[[], float]:
    """The account's limit `name` from describe_account_limits, else the quota."""

    def read() -> float:
        for limit in paginate(env.client("elbv2", region), "describe_account_limits", "Limits"):
            if limit.get("Name") == name:
                return float(limit["Max"])
        return default_quota(env, region, "elasticloadbalancing", quota_code)()

    return read


def elbv2_count(env: Environment, region: str, kind: str) -> Callable[[], int]:
    def read() -> int:
        balancers = paginate(
            env.client("elbv2", region), "describe_load_balancers", "LoadBalancers"
        )
        return sum(1 for balancer in balancers if balancer.get("Type") == kind)

    return read


@regional_limit_check(
    "EM8b3yLRTr",
    name=_("ELB Application Load Balancers"),
    lead=_(
        "Compares the number of Application Load Balancers in each region with the region's quota."
    ),
    resources=[ELB_QUOTAS_DOCS],
)
def application_load_balancers(env: Environment, region: str) -> Sequence[Measure]:
    return [
        Measure(
            resource="elasticloadbalancing/L-53DA6B97",
            service="ELB",
            limit_name="Application Load Balancers",
            limit=elbv2_limit(env, region, "application-load-balancers", "L-53DA6B97"),
            usage=elbv2_count(env, region, "application"),
        )
    ]


@regional_limit_check(
    "8wIqYSt25K",
    name=_("ELB Network Load Balancers"),
    lead=_("Compares the number of Network Load Balancers in each region with the region's quota."),
    resources=[ELB_QUOTAS_DOCS],
)
def network_load_balancers(env: Environment, region: str) -> Sequence[Measure]:
    return [
        Measure(
            resource="elasticloadbalancing/L-69A177A2",
            service="ELB",
            limit_name="Network Load Balancers",
            limit=elbv2_limit(env, region, "network-load-balancers", "L-69A177A2"),
            usage=elbv2_count(env, region, "network"),
        )
    ]
