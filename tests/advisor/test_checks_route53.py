"""The Route 53 record checks, computed against moto."""

from __future__ import annotations

from typing import Any

import pytest

from advisor.checks.base import WARNING
from advisor.checks.route53_records import _is_spf
from tests.advisor.check_helpers import _refusing, _with_clients, run
from tests.advisor.conftest import AwsClient, MakeEnv


def _zone(route53: Any, name: str, records: list[dict[str, Any]]) -> str:
    zone_id = route53.create_hosted_zone(Name=name, CallerReference=name)["HostedZone"]["Id"]
    route53.change_resource_record_sets(
        HostedZoneId=zone_id,
        ChangeBatch={"Changes": [{"Action": "CREATE", "ResourceRecordSet": r} for r in records]},
    )
    return str(zone_id).rsplit("/", 1)[-1]


def _record(name: str, record_type: str, *values: str, ttl: int = 300, **extra: Any) -> dict:
    return {
        "Name": name,
        "Type": record_type,
        "TTL": ttl,
        "ResourceRecords": [{"Value": v} for v in values],
        **extra,
    }


def _health_check(route53: Any, reference: str) -> str:
    config = {"Type": "HTTP", "FullyQualifiedDomainName": f"{reference}.example.com", "Port": 80}
    return str(
        route53.create_health_check(CallerReference=reference, HealthCheckConfig=config)[
            "HealthCheck"
        ]["Id"]
    )


def _rows(evaluation: Any) -> dict[str, Any]:
    return {row.metadata[2]: row for row in evaluation.rows}


def test_failover_and_high_ttl(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    route53 = aws_client("route53")
    shared, primary_check, secondary_check = (
        _health_check(route53, name) for name in ("shared", "primary", "secondary")
    )

    def failover(name: str, role: str, ttl: int, check: str | None = None) -> dict[str, Any]:
        extra: dict[str, Any] = {"SetIdentifier": f"{name}-{role}", "Failover": role}
        if check:
            extra["HealthCheckId"] = check
        return _record(f"{name}.example.com", "A", "192.0.2.1", ttl=ttl, **extra)

    zone = _zone(
        route53,
        "example.com",
        [
            # A working pair at the TTL limit.
            failover("good", "PRIMARY", 60, primary_check),
            failover("good", "SECONDARY", 60, secondary_check),
            failover("lonely", "PRIMARY", 61),
            failover("orphan", "SECONDARY", 30),
            failover("twin", "PRIMARY", 60, shared),
            failover("twin", "SECONDARY", 60, shared),
            # Not failover, but health-checked.
            _record(
                "watched.example.com",
                "A",
                "192.0.2.2",
                ttl=300,
                SetIdentifier="w",
                Weight=1,
                HealthCheckId=primary_check,
            ),
            _record("plain.example.com", "A", "192.0.2.3", ttl=86400),
        ],
    )
    env = make_env(moto_endpoint)

    evaluation = run("b73EEdD790", env)
    assert evaluation.processed == 4  # failover names
    assert {name: row.metadata[4] for name, row in _rows(evaluation).items()} == {
        "lonely.example.com.": "A primary failover record set has no secondary.",
        "orphan.example.com.": "A secondary failover record set has no primary.",
        "twin.example.com.": "The primary and secondary record sets use the same health check.",
    }
    assert _rows(evaluation)["lonely.example.com."].metadata[:4] == [
        "example.com.",
        zone,
        "lonely.example.com.",
        "A",
    ]

    evaluation = run("C056F80cR3", env)
    assert evaluation.processed == 10
    rows = _rows(evaluation)
    assert set(rows) == {"lonely.example.com.", "watched.example.com."}
    assert rows["lonely.example.com."].metadata == [
        "example.com.",
        zone,
        "lonely.example.com.",
        "A",
        "lonely-PRIMARY",
        "61",
        "Yellow",
    ]
    assert rows["watched.example.com."].metadata[4:] == ["w", "300", "Yellow"]


def test_deleted_health_checks(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    route53 = aws_client("route53")
    kept, deleted = _health_check(route53, "kept"), _health_check(route53, "deleted")
    zone = _zone(
        route53,
        "example.org",
        [
            _record(
                "a.example.org", "A", "192.0.2.1", SetIdentifier="a", Weight=1, HealthCheckId=kept
            ),
            _record(
                "b.example.org",
                "A",
                "192.0.2.2",
                SetIdentifier="b",
                Weight=1,
                HealthCheckId=deleted,
            ),
        ],
    )
    route53.delete_health_check(HealthCheckId=deleted)
    evaluation = run("Cb877eB72b", make_env(moto_endpoint))
    assert evaluation.processed == 4
    [row] = evaluation.rows
    assert row.metadata == ["example.org.", zone, "b.example.org.", "A", "b"]
    assert row.status == WARNING


@pytest.mark.parametrize(
    ("value", "spf"),
    [
        ('"v=spf1 include:_spf.example.net -all"', True),
        ('"V=SPF1 -all"', True),
        ('"v=spf1 " "include:a.example.net ~all"', True),
        ('"google-site-verification=abc"', False),
        ('"spf is nice"', False),
    ],
)
def test_spf_values(value: str, spf: bool) -> None:
    assert _is_spf(value) is spf


def test_mx_without_spf(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    route53 = aws_client("route53")
    zone = _zone(
        route53,
        "example.net",
        [
            _record("example.net", "MX", "10 mail.example.net"),
            _record("example.net", "TXT", '"v=spf1 mx -all"', '"other=1"'),
            _record("lists.example.net", "MX", "10 lists.example.net"),
            _record("lists.example.net", "TXT", '"verification=abc"'),
            _record("bare.example.net", "MX", "10 mail.example.net"),
        ],
    )
    evaluation = run("c9D319e7sG", make_env(moto_endpoint))
    assert evaluation.processed == 3
    assert sorted(row.metadata for row in evaluation.rows) == [
        ["example.net.", zone, "bare.example.net.", "Yellow"],
        ["example.net.", zone, "lists.example.net.", "Yellow"],
    ]


def test_a_zone_that_cannot_be_read_is_ignored(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    route53 = aws_client("route53")
    locked = _zone(route53, "locked.com", [_record("locked.com", "MX", "10 mail.locked.com")])
    _zone(route53, "open.com", [_record("open.com", "MX", "10 mail.open.com")])

    def wrap(service: str, region: str, client: Any) -> Any:
        if service != "route53":
            return client
        return _refusing(
            client,
            "list_resource_record_sets",
            "AccessDenied",
            only=lambda p: p["HostedZoneId"] == locked,
        )

    evaluation = run("c9D319e7sG", _with_clients(make_env(moto_endpoint), wrap))
    assert [row.metadata[0] for row in evaluation.rows] == ["open.com."]
    assert (evaluation.processed, evaluation.ignored) == (1, 1)


CONTACT = {
    "FirstName": "Ana",
    "LastName": "Example",
    "ContactType": "PERSON",
    "AddressLine1": "1 Example Road",
    "City": "Seattle",
    "CountryCode": "US",
    "ZipCode": "98101",
    "PhoneNumber": "+1.5555550100",
    "Email": "ana@example.com",
}


def _register(aws_client: AwsClient, domain: str, keep: int) -> str:
    """Register `domain` with Route 53 Domains (which creates its hosted zone) and delegate it
    to `keep` of the zone's four name servers (plus one elsewhere)."""
    domains = aws_client("route53domains")
    domains.register_domain(
        DomainName=domain,
        DurationInYears=2,
        AdminContact=CONTACT,
        RegistrantContact=CONTACT,
        TechContact=CONTACT,
    )
    route53 = aws_client("route53")
    [zone] = [
        z for z in route53.list_hosted_zones()["HostedZones"] if z["Name"].rstrip(".") == domain
    ]
    servers = route53.get_hosted_zone(Id=zone["Id"])["DelegationSet"]["NameServers"]
    names = [{"Name": name} for name in servers[:keep]] + [{"Name": "ns1.registrar.example"}]
    domains.update_domain_nameservers(DomainName=domain, Nameservers=names)
    return str(zone["Id"]).rsplit("/", 1)[-1]


def test_name_server_delegations(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    partial = _register(aws_client, "partial.com", 3)
    _register(aws_client, "complete.com", 4)
    route53 = aws_client("route53")
    # Registered elsewhere: its delegation is only visible in DNS, so it is not evaluated.
    route53.create_hosted_zone(Name="elsewhere.com", CallerReference="elsewhere")
    vpc = aws_client("ec2").describe_vpcs()["Vpcs"][0]["VpcId"]
    route53.create_hosted_zone(
        Name="internal.example",
        CallerReference="internal",
        VPC={"VPCRegion": "us-east-1", "VPCId": vpc},
        HostedZoneConfig={"Comment": "private", "PrivateZone": True},
    )
    evaluation = run("cF171Db240", make_env(moto_endpoint))
    assert (evaluation.processed, evaluation.ignored) == (2, 1)
    [row] = evaluation.rows
    assert row.metadata == [row.metadata[0], partial, "3"]
    assert row.metadata[0].rstrip(".") == "partial.com"
    assert (row.status, row.region) == (WARNING, None)
    assert row.arn == f"arn:aws:route53:::hostedzone/{partial}"
