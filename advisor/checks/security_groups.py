"""Security-group checks: inbound rules open to the whole internet.

Both checks read `describe_security_groups` in every region and look at inbound ranges with a
`/0` suffix, IPv4 (`0.0.0.0/0`) and IPv6 (`::/0`) alike: an address space open to everyone is
open whichever protocol version reaches it. A rule is reported once per security group,
protocol, port range and source; rows carry the security group's ARN and, since a group with
several open rules gives several rows, a `key` naming the rule.

ICMP. The specific-ports check's criteria are about ports, which ICMP (and other protocols
without ports) does not have, so it leaves them out. The unrestricted-access check's criterion is
any rule with a `/0` source other than for ports 25, 80 and 443: an ICMP rule open to the world
is such a rule, so it is reported (its Port column shows the ICMP type, `All` for every type).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import arn, colour, paginate, per_region

# HCP4007jGY's port lists (Trusted Advisor user guide): mail and web ports are expected to be
# public; file transfer, remote desktop and database ports never should be.
GREEN_PORTS = frozenset({25, 80, 443, 465})
RED_PORTS = frozenset({20, 21, 1433, 1434, 3306, 3389, 4333, 5432, 5500})
# 1iG5NDGVre accepts unrestricted access only to these.
PUBLIC_PORTS = frozenset({25, 80, 443})

# Protocols with ports (and "all", which includes them).
PORT_PROTOCOLS = {"tcp": "tcp", "6": "tcp", "udp": "udp", "17": "udp", "-1": "all"}
# Protocols without ports, by the names the rows show; any other protocol shows its number.
PORTLESS_PROTOCOLS = {"icmp": "icmp", "1": "icmp", "icmpv6": "icmpv6", "58": "icmpv6"}

SG_RESOURCES = (
    (
        _("Control traffic to your AWS resources using security groups"),
        "https://docs.aws.amazon.com/vpc/latest/userguide/vpc-security-groups.html",
    ),
    (
        _("Amazon EC2 security groups for your EC2 instances"),
        "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-security-groups.html",
    ),
)


@dataclass(frozen=True)
class OpenRule:
    region: str
    arn: str
    group_id: str
    group_name: str
    protocol: str
    from_port: int
    to_port: int
    cidr: str
    has_ports: bool = True

    @property
    def ports(self) -> str:
        if not self.has_ports:
            # ICMP's "ports" are its type and code; -1 (or no type) means every type.
            return "All" if self.from_port < 0 else str(self.from_port)
        if self.from_port == self.to_port:
            return str(self.from_port)
        return f"{self.from_port}-{self.to_port}"

    @property
    def key(self) -> str:
        """The row's identity: the group and the rule, stable whatever order AWS lists them in."""
        return f"{self.arn}|{self.protocol}|{self.from_port}-{self.to_port}|{self.cidr}"

    def row(self, status: str, *columns: str | None) -> Row:
        """The rule's row: Region, Security Group Name, Security Group ID, Protocol, then
        `columns`."""
        return Row(
            status=status,
            arn=self.arn,
            key=self.key,
            region=self.region,
            metadata=[self.region, self.group_name, self.group_id, self.protocol, *columns],
        )


def port_range_status(from_port: int, to_port: int) -> str:
    """HCP4007jGY's colour for a port range open to the world: red if it reaches a red port,
    green if every port in it is a green port, yellow otherwise."""
    if any(from_port <= port <= to_port for port in RED_PORTS):
        return ERROR
    if to_port - from_port < len(GREEN_PORTS) and all(
        port in GREEN_PORTS for port in range(from_port, to_port + 1)
    ):
        return OK
    return WARNING


def _open_rules(env: Environment, region: str) -> tuple[int, list[OpenRule]]:
    """How many security groups `region` has, and their inbound rules open to a /0 range."""
    ec2 = env.client("ec2", region)
    groups = sorted(
        paginate(ec2, "describe_security_groups", "SecurityGroups"), key=lambda g: g["GroupId"]
    )
    rules = []
    for group in groups:
        group_arn = arn("ec2", region, env.account_id, f"security-group/{group['GroupId']}")
        for permission in group.get("IpPermissions", []):
            raw = str(permission.get("IpProtocol"))
            protocol = PORT_PROTOCOLS.get(raw)
            has_ports = protocol is not None
            if protocol is None:
                protocol = PORTLESS_PROTOCOLS.get(raw, raw)
            if protocol == "all":
                from_port, to_port = 0, 65535
            elif has_ports:
                from_port = int(permission.get("FromPort", 0))
                to_port = int(permission.get("ToPort", 65535))
            else:
                from_port = int(permission.get("FromPort", -1))
                to_port = int(permission.get("ToPort", -1))
            sources = [r.get("CidrIp", "") for r in permission.get("IpRanges", [])]
            sources += [r.get("CidrIpv6", "") for r in permission.get("Ipv6Ranges", [])]
            for cidr in sources:
                if cidr.endswith("/0"):
                    rules.append(
                        OpenRule(
                            region=region,
                            arn=group_arn,
                            group_id=group["GroupId"],
                            group_name=group.get("GroupName", ""),
                            protocol=protocol,
                            from_port=from_port,
                            to_port=to_port,
                            cidr=cidr,
                            has_ports=has_ports,
                        )
                    )
    return len(groups), rules


def _open_rule_check(env: Environment, rule_row: Callable[[OpenRule], Row | None]) -> Evaluation:
    """Every security group counts as processed; each open rule gives the row `rule_row`
    makes of it, if any."""

    def in_region(region: str) -> Evaluation:
        groups, rules = _open_rules(env, region)
        evaluation = Evaluation(processed=groups)
        for rule in rules:
            row = rule_row(rule)
            if row is not None:
                evaluation.rows.append(row)
        return evaluation

    return per_region(env, in_region)


@check(
    "HCP4007jGY",
    name=_("Security Groups - Specific Ports Unrestricted"),
    core=True,
    lead=_(
        "Looks for inbound security group rules that let any address, IPv4 or IPv6, reach "
        "specific ports. "
        "Open access to a port is fine for public web and mail services but exposes file "
        "transfer, remote desktop and database ports to attacks from the whole internet."
    ),
    criteria=[
        _("Green: the rule opens only port 25, 80, 443 or 465 to 0.0.0.0/0 or ::/0."),
        _(
            "Red: the rule opens port 20, 21, 1433, 1434, 3306, 3389, 4333, 5432 or 5500 to "
            "0.0.0.0/0 or ::/0."
        ),
        _("Yellow: the rule opens any other port to 0.0.0.0/0 or ::/0."),
    ],
    action=_(
        "Limit each rule to the address ranges that need the port, for example your office "
        "network or a load balancer's security group, and delete rules nobody uses."
    ),
    resources=SG_RESOURCES,
)
def specific_ports_unrestricted(env: Environment) -> Evaluation:
    return _open_rule_check(env, _specific_ports_row)


def _specific_ports_row(rule: OpenRule) -> Row | None:
    if not rule.has_ports:
        return None  # ICMP and the like: the criteria are about ports
    status = port_range_status(rule.from_port, rule.to_port)
    return rule.row(status, colour(status), rule.ports)


@check(
    "1iG5NDGVre",
    name=_("Security Groups - Unrestricted Access"),
    lead=_(
        "Looks for inbound security group rules whose source is a whole-internet IPv4 or IPv6 "
        "range (a /0 suffix). Apart from public web and mail ports, such rules give anyone a "
        "way in."
    ),
    criteria=[
        _(
            "Red: a rule has a /0 source for a port other than 25, 80 or 443, or for a "
            "protocol without ports such as ICMP."
        ),
    ],
    action=_(
        "Replace the /0 source with the addresses or security groups that really need access, "
        "or remove the rule."
    ),
    resources=SG_RESOURCES,
)
def unrestricted_access(env: Environment) -> Evaluation:
    return _open_rule_check(env, _unrestricted_row)


def _unrestricted_row(rule: OpenRule) -> Row | None:
    if rule.has_ports and rule.from_port == rule.to_port and rule.from_port in PUBLIC_PORTS:
        return None
    return rule.row(ERROR, rule.ports, colour(ERROR), rule.cidr)
