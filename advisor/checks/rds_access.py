"""Amazon RDS access checks: who DB security groups let in, and Aurora clusters whose instances
differ in being reachable from the internet.

Both read region by region (`regional`). DB security groups are the EC2-Classic era's access
control for DB instances: each rule admits an IP range or an EC2 security group, and an EC2
security group admits whatever its own inbound rules do, so the check reads those too.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import ERROR, WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import colour, paginate, regional
from advisor.checks.texts import phrase

# Ports an EC2 security group must not open to the world when a DB security group trusts it.
RISKY_PORTS = frozenset({20, 21, 22, 1433, 1434, 3306, 3389, 4333, 5432, 5500})
# Rules that admit traffic (revoked ones are on their way out).
LIVE_RULE_STATES = frozenset({"authorized", "authorizing"})

# Metadata values are stored once per run and served in every language: plain strings.
REASON_GLOBAL = phrase(gettext_noop("The rule grants access to every IP address."))
REASON_RANGE = phrase(gettext_noop("The rule grants access to more than one IP address."))
REASON_EC2_GROUP = phrase(
    gettext_noop("The EC2 security group grants global access to a sensitive port.")
)
REASON_MIXED = phrase(gettext_noop("The cluster has both public and private DB instances."))


def _opens_risky_port(group: dict[str, Any]) -> bool:
    """Whether an EC2 security group lets any address reach one of RISKY_PORTS."""
    for permission in group.get("IpPermissions", []):
        sources = [r.get("CidrIp", "") for r in permission.get("IpRanges", [])]
        sources += [r.get("CidrIpv6", "") for r in permission.get("Ipv6Ranges", [])]
        if not any(source.endswith("/0") for source in sources):
            continue
        protocol = str(permission.get("IpProtocol"))
        if protocol == "-1":
            return True
        if protocol not in ("tcp", "udp", "6", "17"):
            continue
        low, high = int(permission.get("FromPort", 0)), int(permission.get("ToPort", 65535))
        if any(low <= port <= high for port in RISKY_PORTS):
            return True
    return False


def _range_finding(cidr: str) -> tuple[str, str] | None:
    if cidr.endswith("/0"):
        return ERROR, REASON_GLOBAL
    if not cidr.endswith("/32"):
        return WARNING, REASON_RANGE
    return None


@check(
    "nNauJisYIT",
    name=_("Amazon RDS Security Group Access Risk"),
    lead=_(
        "Reviews the rules of DB security groups for access wider than a database needs. A "
        "rule should admit specific EC2 security groups or single IP addresses."
    ),
    criteria=[
        _(
            "Yellow: a rule admits an EC2 security group that opens port 20, 21, 22, 1433, "
            "1434, 3306, 3389, 4333, 5432 or 5500 to any address."
        ),
        _("Yellow: a rule admits a range of more than one IP address (neither /0 nor /32)."),
        _("Red: a rule admits every IP address (a /0 range)."),
    ],
    action=_(
        "Narrow each listed rule to the EC2 security groups or the single addresses that need "
        "the database, and remove world-open rules from EC2 security groups the database "
        "trusts."
    ),
    resources=[
        (
            _("Controlling access with security groups"),
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Overview.RDSSecurityGroups.html",
        ),
    ],
)
@regional
def security_group_access_risk(env: Environment, region: str) -> Evaluation:
    rds = env.client("rds", region)
    groups = sorted(
        paginate(rds, "describe_db_security_groups", "DBSecurityGroups"),
        key=lambda g: g["DBSecurityGroupName"],
    )
    # The resources are the rules: a group gives a row per risky rule.
    evaluation = Evaluation()
    trusted = [
        pair
        for group in groups
        for pair in group.get("EC2SecurityGroups", [])
        if pair.get("Status") in LIVE_RULE_STATES
    ]
    risky = _risky_ec2_groups(env, region) if trusted else set()
    for group in groups:
        findings: list[tuple[str, str, str]] = []
        for ip_range in group.get("IPRanges", []):
            cidr = ip_range.get("CIDRIP")
            if not cidr or ip_range.get("Status") not in LIVE_RULE_STATES:
                continue
            evaluation.processed += 1
            finding = _range_finding(cidr)
            if finding is not None:
                findings.append((cidr, *finding))
        for pair in group.get("EC2SecurityGroups", []):
            if pair.get("Status") not in LIVE_RULE_STATES:
                continue
            evaluation.processed += 1
            names = {pair.get("EC2SecurityGroupId"), pair.get("EC2SecurityGroupName")}
            if names & risky:
                rule = pair.get("EC2SecurityGroupName") or pair.get("EC2SecurityGroupId")
                findings.append((str(rule), WARNING, REASON_EC2_GROUP))
        for rule, status, reason in findings:
            evaluation.rows.append(
                Row(
                    status=status,
                    arn=group["DBSecurityGroupArn"],
                    key=f"{group['DBSecurityGroupArn']}|{rule}",
                    region=region,
                    metadata=[region, group["DBSecurityGroupName"], rule, colour(status), reason],
                )
            )
    return evaluation


def _risky_ec2_groups(env: Environment, region: str) -> set[str]:
    """The ids and names of the account's EC2 security groups in `region` that open a risky
    port to the world (another account's groups cannot be read and are not judged)."""
    ec2 = env.client("ec2", region)
    groups = paginate(ec2, "describe_security_groups", "SecurityGroups")
    risky: set[str] = set()
    for group in groups:
        if _opens_risky_port(group):
            risky |= {group["GroupId"], group.get("GroupName", group["GroupId"])}
    return risky


@check(
    "xuy7H1avtl",
    name=_("Amazon Aurora DB Instance Accessibility"),
    lead=_(
        "Looks for Aurora DB clusters whose instances are not all equally reachable. When the "
        "writer fails, a replica is promoted; if it is private while the writer was public (or "
        "the reverse), clients lose the database after the failover."
    ),
    criteria=[
        _("Yellow: some instances of an Aurora DB cluster are public and others private."),
    ],
    action=_(
        "Set Publicly Accessible the same way on every instance of the cluster: all public or "
        "all private."
    ),
    resources=[
        (
            _("Fault tolerance for an Aurora DB cluster"),
            "https://docs.aws.amazon.com/AmazonRDS/latest/AuroraUserGuide/"
            "Concepts.AuroraHighAvailability.html",
        ),
    ],
)
@regional
def aurora_accessibility(env: Environment, region: str) -> Evaluation:
    rds = env.client("rds", region)
    clusters = sorted(
        (
            cluster
            for cluster in paginate(rds, "describe_db_clusters", "DBClusters")
            if str(cluster.get("Engine", "")).startswith("aurora")
        ),
        key=lambda c: c["DBClusterIdentifier"],
    )
    evaluation = Evaluation(processed=len(clusters))
    if not clusters:
        return evaluation
    members: dict[str, dict[bool, list[str]]] = defaultdict(lambda: {True: [], False: []})
    for instance in paginate(rds, "describe_db_instances", "DBInstances"):
        cluster_id = instance.get("DBClusterIdentifier")
        if cluster_id:
            reachable = bool(instance.get("PubliclyAccessible"))
            members[cluster_id][reachable].append(instance["DBInstanceIdentifier"])
    for cluster in clusters:
        split = members[cluster["DBClusterIdentifier"]]
        public, private = sorted(split[True]), sorted(split[False])
        if not (public and private):
            continue
        status = WARNING
        evaluation.rows.append(
            Row(
                status=status,
                arn=cluster["DBClusterArn"],
                region=region,
                metadata=[
                    colour(status),
                    region,
                    cluster["DBClusterIdentifier"],
                    ", ".join(public),
                    ", ".join(private),
                    REASON_MIXED,
                ],
            )
        )
    return evaluation
