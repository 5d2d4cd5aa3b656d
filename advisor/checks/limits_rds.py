"""Service-limit checks of Amazon RDS.

Each region is evaluated separately, one row per quota (see `advisor.checks.limits` for the
colours, Blue, and the regions that cannot be read). Quotas come from Service Quotas (raised
quotas included), else AWS's default from `RDS_DEFAULTS`; the two quotas that cannot be raised
have no Service Quotas code and are AWS's fixed figure. Usage is counted from RDS's own lists.
A per-resource quota (subnets per subnet group, replicas per primary, authorizations per
security group, roles per cluster) is reported for the fullest resource of the region.

RDS's `describe_account_attributes` would give every figure at once, but moto does not serve
it; Option Groups (moto's `describe_option_groups` fails without an engine) and Reserved
Instances (`describe_reserved_db_instances` not served) are not computed.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from advisor.checks.base import Environment
from advisor.checks.helpers import paginate
from advisor.checks.limits import Measure, quota_or_default, regional_limit_check

# AWS's default RDS quotas, from the Amazon RDS User Guide's "Quotas in Amazon RDS" table
# (https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html), as of 2025: the
# figure for every supported region, and the regions where it differs.
RDS_DEFAULTS: dict[str, float] = {
    "L-7B6409FD": 40,  # DB instances
    "L-952B80B8": 40,  # DB clusters
    "L-E4C808A8": 50,  # DB cluster parameter groups
    "L-DE55804A": 50,  # Parameter groups
    "L-48C6BF61": 50,  # DB subnet groups
    "L-A59F4C87": 20,  # Event subscriptions
    "L-272F1212": 100,  # Manual DB instance snapshots
    "L-7ADDB58A": 100_000,  # Total storage for all DB instances (GiB)
    "L-5BC124EF": 15,  # Read replicas per primary
    "L-732153D0": 25,  # Security groups
    "L-E094F43D": 5,  # IAM roles per DB cluster
}
REGIONAL_DEFAULTS: dict[tuple[str, str], float] = {
    ("ap-south-1", "L-7B6409FD"): 20,
    ("ap-south-1", "L-DE55804A"): 20,
    ("ap-south-1", "L-48C6BF61"): 20,
    ("ap-south-1", "L-732153D0"): 20,
}
# Quotas that cannot be raised, so Service Quotas has no code for them.
SUBNETS_PER_SUBNET_GROUP = 20.0
AUTHORIZATIONS_PER_SECURITY_GROUP = 20.0

RDS_QUOTAS_DOCS = (
    _("Quotas and constraints for Amazon RDS"),
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/CHAP_Limits.html",
)


def rds_quota(env: Environment, region: str, quota_code: str) -> Callable[[], float]:
    default = REGIONAL_DEFAULTS.get((region, quota_code), RDS_DEFAULTS[quota_code])
    return lambda: quota_or_default(env, region, "rds", quota_code, default)


def _listed(
    env: Environment, region: str, operation: str, key: str, **params: Any
) -> Iterator[Any]:
    return paginate(env.client("rds", region), operation, key, **params)


@dataclass(frozen=True)
class RdsLimit:
    check_id: str
    name: str | Promise
    lead: str | Promise
    limit_name: str
    quota_code: str | None  # None: a quota AWS never raises, `fixed`
    usage: Callable[[Environment, str], float]
    fixed: float | None = None


def _register(spec: RdsLimit) -> None:
    @regional_limit_check(
        spec.check_id, name=spec.name, lead=spec.lead, resources=[RDS_QUOTAS_DOCS]
    )
    def measures(env: Environment, region: str) -> Sequence[Measure]:
        limit: Callable[[], float | None] | float
        if spec.quota_code is None:
            assert spec.fixed is not None
            limit = spec.fixed
            resource = f"rds/{spec.check_id}"
        else:
            limit = rds_quota(env, region, spec.quota_code)
            resource = f"rds/{spec.quota_code}"
        return [
            Measure(
                resource=resource,
                service="RDS",
                limit_name=spec.limit_name,
                limit=limit,
                usage=lambda: spec.usage(env, region),
            )
        ]


def _count(operation: str, key: str, **params: Any) -> Callable[[Environment, str], float]:
    return lambda env, region: sum(1 for _item in _listed(env, region, operation, key, **params))


def _custom_groups(operation: str, key: str, name: str) -> Callable[[Environment, str], float]:
    # The default.* groups are AWS's, created with the first instance of an engine version.
    return lambda env, region: sum(
        1
        for group in _listed(env, region, operation, key)
        if not str(group.get(name, "")).startswith("default.")
    )


def _fullest(
    operation: str, key: str, size: Callable[[dict[str, Any]], int]
) -> Callable[[Environment, str], float]:
    return lambda env, region: max(
        (size(item) for item in _listed(env, region, operation, key)), default=0
    )


def _instance_storage(env: Environment, region: str) -> float:
    # Aurora's cluster volumes are outside this quota.
    return sum(
        instance.get("AllocatedStorage", 0)
        for instance in _listed(env, region, "describe_db_instances", "DBInstances")
        if not str(instance.get("Engine", "")).startswith("aurora")
    )


for _spec in (
    RdsLimit(
        "XG0aXHpIEt",
        _("RDS DB Instances"),
        _("Compares the number of RDS DB instances in each region with the region's quota."),
        "DB instances",
        "L-7B6409FD",
        _count("describe_db_instances", "DBInstances"),
    ),
    RdsLimit(
        "gjqMBn6pjz",
        _("RDS Clusters"),
        _("Compares the number of RDS DB clusters in each region with the region's quota."),
        "Clusters",
        "L-952B80B8",
        _count("describe_db_clusters", "DBClusters"),
    ),
    RdsLimit(
        "jtlIMO3qZM",
        _("RDS Cluster Parameter Groups"),
        _(
            "Compares the number of DB cluster parameter groups you created in each region "
            "with the region's quota."
        ),
        "Cluster parameter groups",
        "L-E4C808A8",
        _custom_groups(
            "describe_db_cluster_parameter_groups",
            "DBClusterParameterGroups",
            "DBClusterParameterGroupName",
        ),
    ),
    RdsLimit(
        "jEECYg2YVU",
        _("RDS DB Parameter Groups"),
        _(
            "Compares the number of DB parameter groups you created in each region with the "
            "region's quota."
        ),
        "DB parameter groups",
        "L-DE55804A",
        _custom_groups("describe_db_parameter_groups", "DBParameterGroups", "DBParameterGroupName"),
    ),
    RdsLimit(
        "dYWBaXaaMM",
        _("RDS Subnet Groups"),
        _("Compares the number of DB subnet groups in each region with the region's quota."),
        "Subnet groups",
        "L-48C6BF61",
        _count("describe_db_subnet_groups", "DBSubnetGroups"),
    ),
    RdsLimit(
        "jEhCtdJKOY",
        _("RDS Subnets per Subnet Group"),
        _(
            "Compares the number of subnets in each region's fullest DB subnet group with the "
            "quota of subnets per group."
        ),
        "Subnets per subnet group",
        None,
        _fullest(
            "describe_db_subnet_groups", "DBSubnetGroups", lambda g: len(g.get("Subnets", []))
        ),
        fixed=SUBNETS_PER_SUBNET_GROUP,
    ),
    RdsLimit(
        "keAhfbH5yb",
        _("RDS Event Subscriptions"),
        _("Compares the number of RDS event subscriptions in each region with the region's quota."),
        "Event subscriptions",
        "L-A59F4C87",
        _count("describe_event_subscriptions", "EventSubscriptionsList"),
    ),
    RdsLimit(
        "dV84wpqRUs",
        _("RDS DB Manual Snapshots"),
        _(
            "Compares the number of manual DB instance snapshots in each region with the "
            "region's quota."
        ),
        "Manual snapshots",
        "L-272F1212",
        _count("describe_db_snapshots", "DBSnapshots", SnapshotType="manual"),
    ),
    RdsLimit(
        "P1jhKWEmLa",
        _("RDS Total Storage Quota"),
        _(
            "Compares the storage allocated to the RDS DB instances (Aurora aside) in each "
            "region with the region's quota."
        ),
        "Total storage (GiB)",
        "L-7ADDB58A",
        _instance_storage,
    ),
    RdsLimit(
        "pYW8UkYz2w",
        _("RDS Read Replicas per Master"),
        _(
            "Compares the number of read replicas of each region's most replicated DB instance "
            "with the quota of replicas per primary."
        ),
        "Read replicas per master",
        "L-5BC124EF",
        _fullest(
            "describe_db_instances",
            "DBInstances",
            lambda i: len(i.get("ReadReplicaDBInstanceIdentifiers", [])),
        ),
    ),
    RdsLimit(
        "gfZAn3W7wl",
        _("RDS DB Security Groups"),
        _("Compares the number of DB security groups in each region with the region's quota."),
        "DB security groups",
        "L-732153D0",
        _count("describe_db_security_groups", "DBSecurityGroups"),
    ),
    RdsLimit(
        "dBkuNCvqn5",
        _("RDS Max Auths per Security Group"),
        _(
            "Compares the number of authorizations in each region's fullest DB security group "
            "with the quota of authorizations per group."
        ),
        "Authorizations per DB security group",
        None,
        _fullest(
            "describe_db_security_groups",
            "DBSecurityGroups",
            lambda g: len(g.get("EC2SecurityGroups", [])) + len(g.get("IPRanges", [])),
        ),
        fixed=AUTHORIZATIONS_PER_SECURITY_GROUP,
    ),
    RdsLimit(
        "7fuccf1Mx7",
        _("RDS Cluster Roles"),
        _(
            "Compares the number of IAM roles associated with each region's DB cluster that has "
            "the most with the quota of roles per cluster."
        ),
        "Cluster roles",
        "L-E094F43D",
        _fullest("describe_db_clusters", "DBClusters", lambda c: len(c.get("AssociatedRoles", []))),
    ),
):
    _register(_spec)
