"""Classic Load Balancer checks: idle load balancers, connection draining and cross-zone.

Every check reads region by region (`per_region`): a region that cannot be read is left out and
counted as ignored, and so is a load balancer whose health, attributes or request count cannot
be read. Request counts come from one batched `get_metric_data` per region.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks import pricing
from advisor.checks.base import WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import (
    MetricQuery,
    arn,
    colour,
    daily_metrics,
    known_series,
    money,
    paginate,
    per_region,
    read_resource,
    regional,
    try_read,
)
from advisor.checks.texts import phrase

IDLE_DAYS = 7
LOW_REQUESTS_PER_DAY = 100

REASON_NO_INSTANCES = phrase(gettext_noop("No active back-end instances"))
REASON_NO_HEALTHY = phrase(gettext_noop("No healthy back-end instances"))
REASON_LOW_REQUESTS = phrase(gettext_noop("Low request count"))
REASON_NO_DRAINING = phrase(gettext_noop("Connection draining is disabled"))
REASON_NO_CROSS_ZONE = phrase(gettext_noop("Cross-zone load balancing is disabled"))


def _load_balancers(env: Environment, region: str) -> list[dict[str, Any]]:
    elb = env.client("elb", region)
    found = paginate(elb, "describe_load_balancers", "LoadBalancerDescriptions")
    return sorted(found, key=lambda lb: lb["LoadBalancerName"])


def _lb_arn(env: Environment, region: str, name: str) -> str:
    return arn("elasticloadbalancing", region, env.account_id, f"loadbalancer/{name}")


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
@regional
def idle_load_balancers(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    elb = env.client("elb", region)
    reasons: dict[str, str | None] = {}
    serving = []  # names of load balancers with a healthy instance: judged on their requests
    for lb in _load_balancers(env, region):
        name = lb["LoadBalancerName"]
        if not lb.get("Instances"):
            reasons[name] = REASON_NO_INSTANCES
            continue
        health = read_resource(evaluation, elb.describe_instance_health, LoadBalancerName=name)
        if health is None:
            continue
        if any(s.get("State") == "InService" for s in health.get("InstanceStates", [])):
            serving.append(name)
            reasons[name] = None
        else:
            reasons[name] = REASON_NO_HEALTHY
    queries = [
        MetricQuery.of("AWS/ELB", "RequestCount", {"LoadBalancerName": name}, "Sum")
        for name in serving
    ]
    answers = try_read(daily_metrics, env, region, queries, days=IDLE_DAYS)
    for index, name in enumerate(serving):
        series = known_series(answers, index, 1)
        if series is None:
            evaluation.ignored += 1  # CloudWatch could not say how busy it was
            del reasons[name]
        elif all((count or 0.0) < LOW_REQUESTS_PER_DAY for count in series[0]):
            reasons[name] = REASON_LOW_REQUESTS
    for name, reason in reasons.items():
        evaluation.processed += 1
        evaluation.monthly_cost += pricing.ELB_MONTHLY
        if reason is None:
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=_lb_arn(env, region, name),
                region=region,
                metadata=[region, name, reason, money(pricing.ELB_MONTHLY)],
                savings=pricing.ELB_MONTHLY,
            )
        )
    return evaluation


def _attribute_check(env: Environment, attribute: str, reason: str) -> Evaluation:
    """Flag every load balancer whose `attribute` (ConnectionDraining, CrossZoneLoadBalancing)
    is disabled."""

    def in_region(region: str) -> Evaluation:
        evaluation = Evaluation()
        elb = env.client("elb", region)
        for lb in _load_balancers(env, region):
            name = lb["LoadBalancerName"]
            answer = read_resource(
                evaluation, elb.describe_load_balancer_attributes, LoadBalancerName=name
            )
            if answer is None:
                continue
            evaluation.processed += 1
            if answer.get("LoadBalancerAttributes", {}).get(attribute, {}).get("Enabled"):
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

    return per_region(env, in_region)


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
