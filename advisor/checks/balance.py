"""How evenly instances are spread over Availability Zones: a region's running instances, and
the instances behind each Classic Load Balancer.

Both read region by region (`regional`). The "Instances in Zone a" ... "f" columns count by the
zone's letter (`us-east-1c` is zone c); a zone past f still counts towards the balance. A
spread is uneven when the difference between the most and the least populated of the zones in
use is more than 20 % of the most populated one (for a load balancer, also more than one
instance).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation, Row, check
from advisor.checks.ec2 import instances
from advisor.checks.helpers import arn, colour, paginate, read_resource, regional
from advisor.checks.texts import phrase

ZONE_LETTERS = "abcdef"
IMBALANCE_SHARE = 0.2

REASON_SINGLE_ZONE = phrase(gettext_noop("All instances are in a single Availability Zone"))
REASON_UNEVEN = phrase(gettext_noop("Instances are unevenly distributed across Availability Zones"))
REASON_LB_SINGLE_ZONE = phrase(
    gettext_noop("The load balancer is enabled for a single Availability Zone")
)
REASON_LB_EMPTY_ZONE = phrase(gettext_noop("An enabled Availability Zone has no active instances"))
REASON_LB_UNEVEN = phrase(
    gettext_noop("Active instances are unevenly distributed across Availability Zones")
)


def zone_letter(zone: str) -> str:
    return zone[-1:]


def zone_columns(counts: Counter[str]) -> list[str | None]:
    """The six "Instances in Zone x" columns."""
    by_letter: Counter[str] = Counter()
    for zone, count in counts.items():
        by_letter[zone_letter(zone)] += count
    return [str(by_letter[letter]) for letter in ZONE_LETTERS]


def uneven(counts: Iterable[int], *, at_least: int = 0) -> bool:
    """Whether the zones in use (count > 0) differ by more than 20 % of the highest count (and
    by more than `at_least` instances)."""
    used = [count for count in counts if count > 0]
    if len(used) < 2:
        return False
    difference = max(used) - min(used)
    return difference > at_least and difference > IMBALANCE_SHARE * max(used)


def zone_balance_status(counts: Counter[str]) -> str:
    """wuy7G1zxql's colour for a region's running instances by zone."""
    used = [zone for zone, count in counts.items() if count > 0]
    if not used:
        return OK
    if len(used) == 1:
        return ERROR
    return WARNING if uneven(counts.values()) else OK


@check(
    "wuy7G1zxql",
    name=_("Amazon EC2 Availability Zone Balance"),
    lead=_(
        "Counts the running instances of each region by Availability Zone. Zones fail "
        "independently, so an application whose instances all sit in one zone, or mostly in "
        "one, goes down with it."
    ),
    criteria=[
        _(
            # xgettext:no-python-format
            "Yellow: the region has instances in several zones, but the most and the least "
            "populated of them differ by more than 20% of the most populated one."
        ),
        _("Red: all the region's instances are in a single Availability Zone."),
    ],
    action=_(
        "Launch instances in more Availability Zones and keep their numbers even, for example "
        "with an Auto Scaling group that spans several zones."
    ),
    resources=[
        (
            _("Regions and Availability Zones"),
            "https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/using-regions-availability-zones.html",
        ),
        (
            _("Amazon EC2 Auto Scaling benefits for application architecture"),
            "https://docs.aws.amazon.com/autoscaling/ec2/userguide/auto-scaling-benefits.html",
        ),
    ],
)
@regional
def availability_zone_balance(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    counts: Counter[str] = Counter(
        i.get("Placement", {}).get("AvailabilityZone") or region
        for i in instances(env, region)
        if i["State"]["Name"] == "running"
    )
    if not counts:
        return evaluation
    evaluation.processed = 1  # the region is the resource
    status = zone_balance_status(counts)
    if status == OK:
        return evaluation
    evaluation.rows.append(
        Row(
            status=status,
            arn=arn("ec2", region, env.account_id, "availability-zone-balance"),
            region=region,
            metadata=[
                region,
                *zone_columns(counts),
                colour(status),
                REASON_SINGLE_ZONE if status == ERROR else REASON_UNEVEN,
            ],
        )
    )
    return evaluation


def load_balancer_reasons(zones: list[str], active: Counter[str]) -> list[str]:
    """iqdCTZKCUp's findings for a load balancer enabled in `zones` with `active` in-service
    instances by zone."""
    reasons = []
    if len(zones) == 1:
        reasons.append(REASON_LB_SINGLE_ZONE)
    if any(active[zone] == 0 for zone in zones):
        reasons.append(REASON_LB_EMPTY_ZONE)
    if uneven([active[zone] for zone in zones], at_least=1):
        reasons.append(REASON_LB_UNEVEN)
    return reasons


@check(
    "iqdCTZKCUp",
    name=_("Load Balancer Optimization"),
    lead=_(
        "Checks how the instances behind each Classic Load Balancer are spread over the "
        "Availability Zones it serves. A load balancer tolerates the loss of a zone only when "
        "healthy instances are running in several zones, in similar numbers; a zone with "
        "nothing in it is paid for and serves nobody."
    ),
    criteria=[
        _("Yellow: the load balancer is enabled for a single Availability Zone."),
        _("Yellow: an Availability Zone the load balancer is enabled for has no active instances."),
        _(
            # xgettext:no-python-format
            "Yellow: the active instances are unevenly spread: the most and the least populated "
            "zones in use differ by more than one instance and by more than 20% of the most "
            "populated one."
        ),
    ],
    action=_(
        "Keep healthy instances in at least two Availability Zones behind each load balancer, "
        "remove zones it does not need, and even out the number of instances in the rest."
    ),
    resources=[
        (
            _("Add or remove Availability Zones for your Classic Load Balancer"),
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-disable-az.html",
        ),
        (
            _("Configure cross-zone load balancing for your Classic Load Balancer"),
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/enable-disable-crosszone-lb.html",
        ),
    ],
)
@regional
def load_balancer_optimization(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    elb = env.client("elb", region)
    balancers = sorted(
        paginate(elb, "describe_load_balancers", "LoadBalancerDescriptions"),
        key=lambda lb: lb["LoadBalancerName"],
    )
    if not balancers:
        return evaluation
    zone_of = {
        i["InstanceId"]: i.get("Placement", {}).get("AvailabilityZone")
        for i in instances(env, region)
        if i["State"]["Name"] == "running"
    }
    for lb in balancers:
        name = lb["LoadBalancerName"]
        active: Counter[str] = Counter()
        if lb.get("Instances"):
            health = read_resource(evaluation, elb.describe_instance_health, LoadBalancerName=name)
            if health is None:
                continue
            for state in health.get("InstanceStates", []):
                zone = zone_of.get(state.get("InstanceId", ""))
                if state.get("State") == "InService" and zone:
                    active[zone] += 1
        evaluation.processed += 1
        zones = sorted(lb.get("AvailabilityZones", []))
        reasons = load_balancer_reasons(zones, active)
        if not reasons:
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=arn("elasticloadbalancing", region, env.account_id, f"loadbalancer/{name}"),
                region=region,
                metadata=[
                    region,
                    name,
                    str(len(zones)),
                    *zone_columns(Counter({zone: active[zone] for zone in zones})),
                    colour(WARNING),
                    "; ".join(reasons),
                ],
            )
        )
    return evaluation
