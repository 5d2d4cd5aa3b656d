"""Amazon Route 53 record checks: failover pairs, TTLs, health checks, SPF and delegations
(the alias check is in `advisor.checks.route53`).

Route 53 is global: the checks read every hosted zone of the account once, whatever regions the
connection selects, and their rows have no region. Listing the zones is the account-level call
(when it fails, the run is abandoned); a zone whose records cannot be read is counted as ignored
and the others are still evaluated.

A row's ARN is its hosted zone's; since a zone gives several rows, the row's `key` adds the
record set's name, type and set identifier, which Route 53 makes unique within a zone.

Name server delegations. Which name servers a domain's registrar delegates to is known for
domains registered through Route 53 Domains (`get_domain_detail`); for a domain registered
elsewhere only a public DNS lookup would tell, which the checks do not make, so such a zone is
counted as ignored (its information is unavailable) rather than guessed at.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import colour, paginate, read_resource, try_read
from advisor.checks.texts import phrase

# Route 53 assigns every public hosted zone a delegation set of four name servers.
DELEGATION_SET_SIZE = 4
# TTLs above this slow failover down (the criteria's limit, in seconds).
MAX_FAILOVER_TTL = 60

# Metadata values are stored once per run and served in every language: plain strings.
REASON_NO_SECONDARY = phrase(gettext_noop("A primary failover record set has no secondary."))
REASON_NO_PRIMARY = phrase(gettext_noop("A secondary failover record set has no primary."))
REASON_SAME_HEALTH_CHECK = phrase(
    gettext_noop("The primary and secondary record sets use the same health check.")
)

ROUTE53_RESOURCES = (
    (
        _("Amazon Route 53 health checks and DNS failover"),
        "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/dns-failover.html",
    ),
)


@dataclass(frozen=True)
class Zone:
    id: str  # without the /hostedzone/ prefix
    name: str
    private: bool = False

    @property
    def arn(self) -> str:
        return f"arn:aws:route53:::hostedzone/{self.id}"

    def row(self, record: dict[str, Any], *columns: str | None) -> Row:
        """A record set's row: Hosted Zone Name, Hosted Zone ID, then `columns`."""
        return Row(
            status=WARNING,
            arn=self.arn,
            key=f"{self.arn}|{record['Name']}|{record['Type']}|{record.get('SetIdentifier', '')}",
            metadata=[self.name, self.id, *columns],
        )


def _zones(env: Environment) -> list[Zone]:
    route53 = env.client("route53")
    zones = [
        Zone(
            id=zone["Id"].rsplit("/", 1)[-1],
            name=zone["Name"],
            private=bool(zone.get("Config", {}).get("PrivateZone")),
        )
        for zone in paginate(route53, "list_hosted_zones", "HostedZones")
    ]
    return sorted(zones, key=lambda z: (z.name, z.id))


def _records(env: Environment, zone: Zone) -> list[dict[str, Any]]:
    route53 = env.client("route53")
    return list(
        paginate(route53, "list_resource_record_sets", "ResourceRecordSets", HostedZoneId=zone.id)
    )


def _each_zone(
    env: Environment, zone_rows: Callable[[Zone, list[dict[str, Any]]], tuple[int, list[Row]]]
) -> Evaluation:
    """For each zone whose record sets can be read, `zone_rows(zone, records)` gives how many
    resources it looked at and the rows it found."""
    evaluation = Evaluation()
    for zone in _zones(env):
        records = read_resource(evaluation, _records, env, zone)
        if records is None:
            continue
        processed, rows = zone_rows(zone, records)
        evaluation.processed += processed
        evaluation.rows.extend(rows)
    return evaluation


def _bare(name: str) -> str:
    """A DNS name compared case-insensitively, without the root's trailing dot."""
    return name.lower().rstrip(".")


def _values(record: dict[str, Any]) -> Iterator[str]:
    for value in record.get("ResourceRecords", []):
        yield value.get("Value", "")


@check(
    "b73EEdD790",
    name=_("Amazon Route 53 Failover Resource Record Sets"),
    lead=_(
        "Checks that failover record sets come in working pairs. Failover answers with the "
        "secondary record set when the primary's health check fails, which needs both of them "
        "and separate health checks."
    ),
    criteria=[
        _("Yellow: a primary failover record set has no secondary record set."),
        _("Yellow: a secondary failover record set has no primary record set."),
        _("Yellow: the primary and secondary record sets of one name use the same health check."),
    ],
    action=_(
        "Create the missing primary or secondary record set, and give each of the two its own "
        "health check."
    ),
    resources=[
        (
            _("Configuring active-passive failover"),
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
            "dns-failover-configuring.html",
        ),
        *ROUTE53_RESOURCES,
    ],
)
def failover_record_sets(env: Environment) -> Evaluation:
    return _each_zone(env, _failover_rows)


def _failover_rows(zone: Zone, records: list[dict[str, Any]]) -> tuple[int, list[Row]]:
    pairs: dict[tuple[str, str], dict[str, dict[str, Any]]] = defaultdict(dict)
    for entry in records:
        if entry.get("Failover") in ("PRIMARY", "SECONDARY"):
            pairs[(entry["Name"], entry["Type"])][entry["Failover"]] = entry
    rows = []
    for (name, record_type), pair in sorted(pairs.items()):
        primary, secondary = pair.get("PRIMARY"), pair.get("SECONDARY")
        if secondary is None:
            reason = REASON_NO_SECONDARY
        elif primary is None:
            reason = REASON_NO_PRIMARY
        elif primary.get("HealthCheckId") and primary.get("HealthCheckId") == secondary.get(
            "HealthCheckId"
        ):
            reason = REASON_SAME_HEALTH_CHECK
        else:
            continue
        rows.append(zone.row(primary or pair["SECONDARY"], name, record_type, reason))
    return len(pairs), rows


@check(
    "C056F80cR3",
    name=_("Amazon Route 53 High TTL Resource Record Sets"),
    lead=_(
        "Looks for record sets that take part in failover but are cached for long. Resolvers "
        "keep a record for its time to live (TTL), so a long TTL delays the switch to a healthy "
        "endpoint."
    ),
    criteria=[
        _("Yellow: a failover record set has a TTL above 60 seconds."),
        _("Yellow: a record set with a health check has a TTL above 60 seconds."),
    ],
    action=_("Lower the TTL of the listed record sets to 60 seconds."),
    resources=ROUTE53_RESOURCES,
)
def high_ttl_record_sets(env: Environment) -> Evaluation:
    return _each_zone(env, _high_ttl_rows)


def _high_ttl_rows(zone: Zone, records: list[dict[str, Any]]) -> tuple[int, list[Row]]:
    rows = []
    for record in records:
        ttl = record.get("TTL")  # alias record sets have none
        watched = bool(record.get("Failover") or record.get("HealthCheckId"))
        if watched and ttl is not None and ttl > MAX_FAILOVER_TTL:
            rows.append(
                zone.row(
                    record,
                    record["Name"],
                    record["Type"],
                    record.get("SetIdentifier"),
                    str(ttl),
                    colour(WARNING),
                )
            )
    return len(records), rows


@check(
    "Cb877eB72b",
    name=_("Amazon Route 53 Deleted Health Checks"),
    lead=_(
        "Looks for record sets that still name a health check that no longer exists. Route 53 "
        "lets a health check be deleted while record sets use it, and their failover then no "
        "longer works as intended."
    ),
    criteria=[
        _("Yellow: a record set is associated with a health check that has been deleted."),
    ],
    action=_(
        "Create a new health check and associate it with the listed record sets, or remove the "
        "association."
    ),
    resources=[
        (
            _("Creating, updating and deleting health checks"),
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
            "health-checks-creating-deleting.html",
        ),
        *ROUTE53_RESOURCES,
    ],
)
def deleted_health_checks(env: Environment) -> Evaluation:
    route53 = env.client("route53")
    existing = {h["Id"] for h in paginate(route53, "list_health_checks", "HealthChecks")}

    def zone_rows(zone: Zone, records: list[dict[str, Any]]) -> tuple[int, list[Row]]:
        rows = [
            zone.row(record, record["Name"], record["Type"], record.get("SetIdentifier"))
            for record in records
            if record.get("HealthCheckId") and record["HealthCheckId"] not in existing
        ]
        return len(records), rows

    return _each_zone(env, zone_rows)


@check(
    "c9D319e7sG",
    name=_("Amazon Route 53 MX Resource Record Sets and Sender Policy Framework"),
    lead=_(
        "For each MX record set, looks for a TXT record set of the same name holding a Sender "
        "Policy Framework (SPF) value. SPF names the servers allowed to send mail for the "
        "domain, which lets receivers reject forged senders. (The SPF record type itself is no "
        "longer recommended.)"
    ),
    criteria=[
        _("Yellow: an MX record set has no TXT record set with an SPF value."),
    ],
    action=_(
        'For each listed name, create a TXT record set whose value starts with "v=spf1" and '
        "lists the servers that send its mail."
    ),
    resources=[
        (
            _("Supported DNS record types"),
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/ResourceRecordTypes.html",
        ),
    ],
)
def mx_without_spf(env: Environment) -> Evaluation:
    return _each_zone(env, _spf_rows)


def _is_spf(value: str) -> bool:
    # A TXT value is one or more quoted strings; SPF's starts with the version tag.
    text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', value)) or value
    return text.strip().lower().startswith("v=spf1")


def _spf_rows(zone: Zone, records: list[dict[str, Any]]) -> tuple[int, list[Row]]:
    with_spf = {
        _bare(record["Name"])
        for record in records
        if record["Type"] == "TXT" and any(_is_spf(v) for v in _values(record))
    }
    mail = [record for record in records if record["Type"] == "MX"]
    rows = [
        zone.row(record, record["Name"], colour(WARNING))
        for record in mail
        if _bare(record["Name"]) not in with_spf
    ]
    return len(mail), rows


@check(
    "cF171Db240",
    name=_("Amazon Route 53 Name Server Delegations"),
    lead=_(
        "Checks that each domain's registration delegates to all four name servers of its "
        "Route 53 hosted zone. Route 53 answers for a domain only through the name servers the "
        "registrar lists, and all four are needed for full availability."
    ),
    criteria=[
        _(
            "Yellow: the domain's registrar does not use all four name servers of the hosted "
            "zone's delegation set."
        ),
    ],
    action=_(
        "Update the domain's name servers at its registrar (for a domain registered with "
        "Route 53, in Route 53 Domains) to the four name servers of the hosted zone."
    ),
    resources=[
        (
            _("Getting the name servers for a public hosted zone"),
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/GetInfoAboutHostedZone.html",
        ),
        (
            _("Adding or changing name servers for a domain"),
            "https://docs.aws.amazon.com/Route53/latest/DeveloperGuide/"
            "domain-name-servers-glue-records.html",
        ),
    ],
)
def name_server_delegations(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    zones = [zone for zone in _zones(env) if not zone.private]
    if not zones:
        return evaluation
    # Route 53 Domains has a single endpoint, in us-east-1.
    domains_client = env.client("route53domains", "us-east-1")
    listed = try_read(lambda: list(paginate(domains_client, "list_domains", "Domains")))
    registered = {_bare(d["DomainName"]) for d in listed or []}
    route53 = env.client("route53")
    for zone in zones:
        if _bare(zone.name) not in registered:
            evaluation.ignored += 1  # registered elsewhere: only DNS knows its delegation
            continue
        detail = read_resource(
            evaluation, domains_client.get_domain_detail, DomainName=_bare(zone.name)
        )
        if detail is None:
            continue
        hosted = read_resource(evaluation, route53.get_hosted_zone, Id=zone.id)
        if hosted is None:
            continue
        delegated = {_bare(ns["Name"]) for ns in detail.get("Nameservers", [])}
        assigned = {_bare(ns) for ns in hosted.get("DelegationSet", {}).get("NameServers", [])}
        used = len(assigned & delegated)
        evaluation.processed += 1
        if used >= min(len(assigned), DELEGATION_SET_SIZE):
            continue
        evaluation.rows.append(
            Row(status=WARNING, arn=zone.arn, metadata=[zone.name, zone.id, str(used)])
        )
    return evaluation
