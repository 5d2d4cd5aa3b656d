"""Classic Load Balancer checks: idle load balancers, connection draining and cross-zone."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

from advisor.checks import pricing
from advisor.checks.base import WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import arn, colour, daily_series, money, paginate

IDLE_DAYS = 7
LOW_REQUESTS_PER_DAY = 100

REASON_NO_INSTANCES = "No active back-end instances"
REASON_NO_HEALTHY = "No healthy back-end instances"
REASON_LOW_REQUESTS = "Low request count"
REASON_NO_DRAINING = "Connection draining is disabled"
REASON_NO_CROSS_ZONE = "Cross-zone load balancing is disabled"


def _load_balancers(env: Environment) -> Iterator[tuple[str, dict[str, Any]]]:
    for region in env.regions:
        elb = env.client("elb", region)
        found = paginate(elb, "describe_load_balancers", "LoadBalancerDescriptions")
        for lb in sorted(found, key=lambda lb: lb["LoadBalancerName"]):
            yield region, lb


def _lb_arn(env: Environment, region: str, name: str) -> str:
    return arn("elasticloadbalancing", region, env.account_id, f"loadbalancer/{name}")


def _attributes(env: Environment, region: str, name: str) -> dict[str, Any]:
    answer = env.client("elb", region).describe_load_balancer_attributes(LoadBalancerName=name)
    return dict(answer.get("LoadBalancerAttributes", {}))


def _idle_reason(env: Environment, region: str, lb: dict[str, Any]) -> str | None:
    name = lb["LoadBalancerName"]
    if not lb.get("Instances"):
        return REASON_NO_INSTANCES
    health = env.client("elb", region).describe_instance_health(LoadBalancerName=name)
    if not any(s.get("State") == "InService" for s in health.get("InstanceStates", [])):
        return REASON_NO_HEALTHY
    requests = daily_series(
        env,
        region,
        namespace="AWS/ELB",
        metric="RequestCount",
        dimensions={"LoadBalancerName": name},
        days=IDLE_DAYS,
        statistic="Sum",
    )
    if all((count or 0.0) < LOW_REQUESTS_PER_DAY for count in requests):
        return REASON_LOW_REQUESTS
    return None


@check(
    "hjLMh88uM8",
    name=_("Idle Load Balancers"),
    lead=_(
        "Looks for Classic Load Balancers that serve no traffic: nothing registered behind "
        "them, nothing healthy, or hardly any requests. A load balancer is billed by the hour "
        "whether or not it is used."
    ),
    criteria=[
        _("Yellow: no back-end instances are registered with the load balancer."),
        _("Yellow: none of the registered instances is healthy."),
        _("Yellow: the load balancer received fewer than 100 requests a day for the last 7 days."),
    ],
    action=_(
        "Delete load balancers nothing uses, and fix the health checks or the instances of "
        "those that should be serving traffic."
    ),
    resources=[
        (
            _("CloudWatch metrics for your Classic Load Balancer"),
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/elb-cloudwatch-metrics.html",
        ),
        (
            _("Elastic Load Balancing pricing"),
            "https://aws.amazon.com/elasticloadbalancing/pricing/",
        ),
    ],
)
def idle_load_balancers(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    for region, lb in _load_balancers(env):
        evaluation.processed += 1
        evaluation.monthly_cost += pricing.ELB_MONTHLY
        reason = _idle_reason(env, region, lb)
        if reason is None:
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=_lb_arn(env, region, lb["LoadBalancerName"]),
                region=region,
                metadata=[region, lb["LoadBalancerName"], reason, money(pricing.ELB_MONTHLY)],
                savings=pricing.ELB_MONTHLY,
            )
        )
    return evaluation


def _attribute_check(env: Environment, attribute: str, reason: str) -> Evaluation:
    """Flag every load balancer whose `attribute` (ConnectionDraining, CrossZoneLoadBalancing)
    is disabled."""
    evaluation = Evaluation()
    for region, lb in _load_balancers(env):
        evaluation.processed += 1
        name = lb["LoadBalancerName"]
        if _attributes(env, region, name).get(attribute, {}).get("Enabled"):
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=_lb_arn(env, region, name),
                region=region,
                metadata=[region, name, colour(WARNING), reason],
            )
        )
    return evaluation


@check(
    "7qGXsKIUw",
    name=_("ELB Connection Draining"),
    lead=_(
        "Checks whether connection draining is on for each Classic Load Balancer. With "
        "draining, an instance being removed or failing its health check gets time to finish "
        "the requests it is serving."
    ),
    criteria=[_("Yellow: connection draining is disabled.")],
    action=_("Enable connection draining with a timeout that fits your longest requests."),
    resources=[
        (
            _("Configure connection draining for your Classic Load Balancer"),
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/config-conn-drain.html",
        ),
    ],
)
def connection_draining(env: Environment) -> Evaluation:
    return _attribute_check(env, "ConnectionDraining", REASON_NO_DRAINING)


@check(
    "xdeXZKIUy",
    name=_("ELB Cross-Zone Load Balancing"),
    lead=_(
        "Checks whether cross-zone load balancing is on for each Classic Load Balancer. Without "
        "it, each zone's share of traffic goes only to that zone's instances, so uneven zones "
        "overload some instances."
    ),
    criteria=[_("Yellow: cross-zone load balancing is disabled.")],
    action=_("Enable cross-zone load balancing on the load balancer."),
    resources=[
        (
            _("Configure cross-zone load balancing for your Classic Load Balancer"),
            "https://docs.aws.amazon.com/elasticloadbalancing/latest/classic/"
            "enable-disable-crosszone-lb.html",
        ),
    ],
)
def cross_zone(env: Environment) -> Evaluation:
    return _attribute_check(env, "CrossZoneLoadBalancing", REASON_NO_CROSS_ZONE)
