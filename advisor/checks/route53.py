"""Amazon Route 53 checks on record sets: CNAMEs that should be aliases, and latency records
without a second region.

Route 53 is global: both checks list every hosted zone (public and private) and its record sets
once, so their rows have no region. A row's ARN is its hosted zone's; its `key` adds the record
set's name, type and set identifier, which together identify a record set in a zone.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterator
from typing import Any

from django.utils.translation import gettext_lazy as _

from advisor.checks.base import WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import colour, paginate, read_resource

# Where a CNAME points when an alias record could answer instead: a CloudFront distribution,
# an Elastic Load Balancing load balancer (Classic and Application: `*.elb.amazonaws.com`;
# Network: `*.elb.<region>.amazonaws.com`), or an S3 website endpoint (`s3-website-<region>`
# or `s3-website.<region>`).
ALIASABLE_TARGETS = (
    re.compile(r"\.cloudfront\.net$"),
    re.compile(r"\.elb(\.[a-z0-9-]+)?\.amazonaws\.com$"),
    re.compile(r"(^|\.)s3-website[.-][a-z0-9-]+\.amazonaws\.com$"),
)

ROUTE53_GUIDE = (
    _("Amazon Route 53 Developer Guide"),
    "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/Welcome.html",
)


def aliasable(target: str) -> bool:
    """Whether a CNAME's value names an AWS resource an alias record can point at."""
    host = target.strip().rstrip(".").lower()
    return any(pattern.search(host) for pattern in ALIASABLE_TARGETS)


def _zone_id(zone: dict[str, Any]) -> str:
    return str(zone["Id"]).rsplit("/", 1)[-1]


def _zone_arn(zone: dict[str, Any]) -> str:
    return f"arn:aws:route53:::hostedzone/{_zone_id(zone)}"


def _record_key(zone: dict[str, Any], record: dict[str, Any]) -> str:
    identifier = record.get("SetIdentifier") or ""
    return f"{_zone_arn(zone)}/{record['Name']}/{record['Type']}/{identifier}"


def _zones_and_records(
    env: Environment, evaluation: Evaluation
) -> Iterator[tuple[dict[str, Any], list[dict[str, Any]]]]:
    """Every hosted zone (by name) with its record sets. A zone whose records cannot be read
    is counted as ignored."""
    route53 = env.client("route53")
    zones = sorted(
        paginate(route53, "list_hosted_zones", "HostedZones"), key=lambda z: (z["Name"], z["Id"])
    )

    def record_sets(zone_id: str) -> list[dict[str, Any]]:
        found = paginate(
            route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone_id
        )
        return list(found)

    for zone in zones:
        records = read_resource(evaluation, record_sets, zone["Id"])
        if records is not None:
            yield zone, records


@check(
    "B913Ef6fb4",
    name=_("Amazon Route 53 Alias Resource Record Sets"),
    lead=_(
        "Looks for CNAME record sets that point at a CloudFront distribution, a load balancer "
        "or an S3 website endpoint. An alias record answers for those resources directly: "
        "queries resolve in one step, and Route 53 does not charge for alias queries to AWS "
        "resources."
    ),
    criteria=[
        _("Yellow: a CNAME record set points at an Amazon S3 website endpoint."),
        _("Yellow: a CNAME record set points at an Amazon CloudFront distribution."),
        _("Yellow: a CNAME record set points at an Elastic Load Balancing load balancer."),
    ],
    action=_(
        "Replace each listed CNAME with an alias record of type A (and AAAA for IPv6) that "
        "points at the same resource."
    ),
    resources=[
        (
            _("Choosing between alias and non-alias records"),
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/resource-record-sets-choosing-alias-non-alias.html",
        ),
        (
            _("Routing traffic to AWS resources"),
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-to-aws-resources.html",
        ),
    ],
)
def alias_record_sets(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    for zone, records in _zones_and_records(env, evaluation):
        for record in records:
            evaluation.processed += 1
            if record.get("Type") != "CNAME" or record.get("AliasTarget"):
                continue
            values = [r.get("Value", "") for r in record.get("ResourceRecords", [])]
            target = next((value for value in values if aliasable(value)), None)
            if target is None:
                continue
            evaluation.rows.append(
                Row(
                    status=WARNING,
                    arn=_zone_arn(zone),
                    key=_record_key(zone, record),
                    metadata=[
                        zone["Name"],
                        _zone_id(zone),
                        record["Name"],
                        record["Type"],
                        record.get("SetIdentifier"),
                        target,
                        colour(WARNING),
                    ],
                )
            )
    return evaluation


@check(
    "51fC20e7I2",
    name=_("Amazon Route 53 Latency Resource Record Sets"),
    lead=_(
        "Looks for latency-based record sets that have no counterpart in another region. "
        "Latency routing chooses the region closest to the user among several; with a single "
        "record every query goes to the same place, and latency queries cost more than simple "
        "ones."
    ),
    criteria=[
        _("Yellow: only one latency record set is configured for a domain name and type."),
    ],
    action=_(
        "Add latency record sets for the other regions that serve the domain, or replace the "
        "single latency record with a simple record if only one region does."
    ),
    resources=[
        (
            _("Latency-based routing"),
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/routing-policy-latency.html",
        ),
        (_("Amazon Route 53 pricing"), "https://aws.amazon.com/route53/pricing/"),
        ROUTE53_GUIDE,
    ],
)
def latency_record_sets(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    for zone, records in _zones_and_records(env, evaluation):
        # A latency record set is one with a Region; those sharing a name and type compete.
        groups: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
        for record in records:
            if record.get("Region"):
                groups[(record["Name"], record["Type"])].append(record)
        for (name, record_type), members in sorted(groups.items()):
            evaluation.processed += 1
            if len(members) != 1:
                continue
            evaluation.rows.append(
                Row(
                    status=WARNING,
                    arn=_zone_arn(zone),
                    key=_record_key(zone, members[0]),
                    metadata=[zone["Name"], _zone_id(zone), name, record_type],
                )
            )
    return evaluation
