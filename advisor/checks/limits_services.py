"""Service-limit checks of SES sending and Route 53.

- SES: `get_send_quota` gives both the 24-hour sending quota and what was sent in the last 24
  hours, in each region (SES quotas are regional). An account SES lets send without a quota
  answers -1, shown as "Unlimited" and never flagged.
- Route 53 is global: one row each, Region "-", read once whatever the regions. The quotas come
  from Service Quotas (raised quotas included), else AWS's default from `ROUTE53_DEFAULTS`; the
  usage is counted from Route 53's own lists.

See `advisor.checks.limits` for the colours, Blue, and the regions that cannot be read.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from functools import cache
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from advisor.checks.base import Environment
from advisor.checks.helpers import paginate
from advisor.checks.limits import (
    Measure,
    global_limit_check,
    quota_or_default,
    regional_limit_check,
)

SES_QUOTAS_DOCS = (
    _("Managing your Amazon SES sending quotas"),
    "https://docs.aws.amazon.com/ses/latest/dg/manage-sending-quotas.html",
)
ROUTE53_QUOTAS_DOCS = (
    _("Amazon Route 53 quotas"),
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/DNSLimitations.html",
)

# AWS's default Route 53 quotas, used only where Service Quotas does not know the quota: the
# "AWS default quota value" of each, from the Route 53 Developer Guide's "Quotas" page (the
# link above), as of 2025.
ROUTE53_DEFAULTS = {
    "L-4EA4796A": 500.0,  # Hosted zones
    "L-ACB674F3": 200.0,  # Health checks
    "L-A72C7F6E": 100.0,  # Reusable delegation sets
}


# --- SES ----------------------------------------------------------------------------------------


@regional_limit_check(
    "hJ7NN0l7J9",
    name=_("SES Daily Sending Quota"),
    lead=_(
        "Compares the email SES sent in the last 24 hours in each region with the region's "
        "24-hour sending quota."
    ),
    resources=[SES_QUOTAS_DOCS],
)
def ses_sending(env: Environment, region: str) -> Sequence[Measure]:
    @cache
    def quota() -> dict[str, Any]:
        return dict(env.client("ses", region).get_send_quota())

    def limit() -> float:
        maximum = float(quota()["Max24HourSend"])
        return math.inf if maximum < 0 else maximum

    return [
        Measure(
            resource="ses/Max24HourSend",
            service="SES",
            limit_name="Daily sending quota",
            limit=limit,
            usage=lambda: float(quota().get("SentLast24Hours", 0)),
        )
    ]


# --- Route 53 -----------------------------------------------------------------------------------


def _delegation_sets(env: Environment) -> int:
    # No paginator in botocore: follow NextMarker by hand.
    route53 = env.client("route53")
    count = 0
    params: dict[str, str] = {}
    while True:
        page = route53.list_reusable_delegation_sets(**params)
        # moto also lists each hosted zone's own delegation set, with an empty id; only
        # reusable sets have one.
        count += sum(1 for s in page.get("DelegationSets", []) if s.get("Id"))
        if not page.get("IsTruncated") or not page.get("NextMarker"):
            return count
        params = {"Marker": page["NextMarker"]}


def _listed(operation: str, key: str) -> Callable[[Environment], int]:
    def count(env: Environment) -> int:
        return sum(1 for _item in paginate(env.client("route53"), operation, key))

    return count


def _register_route53(
    check_id: str,
    name: str | Promise,
    lead: str | Promise,
    quota_code: str,
    limit_name: str,
    usage: Callable[[Environment], int],
) -> None:
    @global_limit_check(check_id, name=name, lead=lead, resources=[ROUTE53_QUOTAS_DOCS])
    def measures(env: Environment) -> Sequence[Measure]:
        default = ROUTE53_DEFAULTS[quota_code]
        return [
            Measure(
                resource=f"route53/{quota_code}",
                service="Route 53",
                limit_name=limit_name,
                limit=lambda: quota_or_default(env, None, "route53", quota_code, default),
                usage=lambda: usage(env),
            )
        ]


_register_route53(
    "dx3xfcdfMr",
    _("Route 53 Hosted Zones"),
    _("Compares the number of Route 53 hosted zones, public and private, with the quota."),
    "L-4EA4796A",
    "Hosted zones",
    _listed("list_hosted_zones", "HostedZones"),
)
_register_route53(
    "ru4xfcdfMr",
    _("Route 53 Max Health Checks"),
    _("Compares the number of Route 53 health checks with the quota."),
    "L-ACB674F3",
    "Health checks",
    _listed("list_health_checks", "HealthChecks"),
)
_register_route53(
    "ty3xfcdfMr",
    _("Route 53 Reusable Delegation Sets"),
    _("Compares the number of Route 53 reusable delegation sets with the quota."),
    "L-A72C7F6E",
    "Reusable delegation sets",
    _delegation_sets,
)
