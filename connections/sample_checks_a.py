"""The sample environment's resources for the Route 53, Auto Scaling, RDS access, ELB listener
and CloudFront checks: each has a deliberate mistake beside something healthy.

`seed_checks_a(client, now, daily)` is called by `connections.sample.seed` (`daily` writes a
CloudWatch datapoint a day over the sample's metric span). The certificate and
distribution builders are shared with the tests.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from connections.sample_ids import SAMPLE_ACCOUNT_ID

SAMPLE_ZONE = "example-store.com"
# The sample's IAM certificate expires this long after seeding: inside the week the CloudFront
# check warns about, for the first days of a demo.
CERTIFICATE_LIFETIME = timedelta(days=3)


def self_signed_certificate(names: Sequence[str], *, not_after: datetime) -> str:
    """A PEM certificate for `names` (the first is the common name, all are subject alternative
    names), signed with SHA-256 and valid from a day before `not_after` minus 30 days."""
    key = ec.generate_private_key(ec.SECP256R1())
    subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])])
    certificate = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_after - timedelta(days=30))
        .not_valid_after(not_after)
        .add_extension(
            x509.SubjectAlternativeName([x509.DNSName(name) for name in names]), critical=False
        )
        .sign(key, hashes.SHA256())
    )
    return certificate.public_bytes(serialization.Encoding.PEM).decode()


def _behavior(origin: str, headers: Sequence[str], pattern: str | None = None) -> dict[str, Any]:
    behavior: dict[str, Any] = {
        "TargetOriginId": origin,
        "ViewerProtocolPolicy": "redirect-to-https",
        "ForwardedValues": {
            "QueryString": False,
            "Cookies": {"Forward": "none"},
            "Headers": {"Quantity": len(headers), "Items": list(headers)},
        },
        "MinTTL": 0,
        "TrustedSigners": {"Enabled": False, "Quantity": 0},
    }
    if pattern is not None:
        behavior["PathPattern"] = pattern
    return behavior


def distribution_config(
    reference: str,
    *,
    aliases: Sequence[str] = (),
    iam_certificate: str | None = None,
    headers: Sequence[str] = (),
    behaviors: Mapping[str, Sequence[str]] | None = None,
) -> dict[str, Any]:
    """A CreateDistribution configuration with one custom origin: its default behavior forwards
    `headers`, and each of `behaviors` (path pattern -> headers) is an extra cache behavior."""
    origin = f"{reference}-origin"
    extra = [_behavior(origin, h, pattern) for pattern, h in (behaviors or {}).items()]
    viewer: dict[str, Any] = {"CloudFrontDefaultCertificate": True}
    if iam_certificate:
        viewer = {"IAMCertificateId": iam_certificate, "SSLSupportMethod": "sni-only"}
    return {
        "CallerReference": reference,
        "Aliases": {"Quantity": len(aliases), "Items": list(aliases)},
        "Origins": {
            "Quantity": 1,
            "Items": [
                {
                    "Id": origin,
                    "DomainName": f"{reference}.origin.{SAMPLE_ZONE}",
                    "CustomOriginConfig": {
                        "HTTPPort": 80,
                        "HTTPSPort": 443,
                        "OriginProtocolPolicy": "https-only",
                    },
                }
            ],
        },
        "DefaultCacheBehavior": _behavior(origin, headers),
        "CacheBehaviors": {"Quantity": len(extra), "Items": extra},
        "Comment": reference,
        "Enabled": True,
        "ViewerCertificate": viewer,
    }


def seed_checks_a(client: Callable[..., Any], now: datetime, daily: Callable[..., None]) -> None:
    _seed_route53(client)
    _seed_autoscaling(client)
    _seed_rds_access(client, daily)
    _seed_elb_listeners(client("elb"))
    _seed_cloudfront(client, now)


def _record(name: str, record_type: str, value: str, ttl: int = 300, **extra: Any) -> dict:
    return {
        "Action": "CREATE",
        "ResourceRecordSet": {
            "Name": f"{name}.{SAMPLE_ZONE}" if name else SAMPLE_ZONE,
            "Type": record_type,
            "TTL": ttl,
            "ResourceRecords": [{"Value": value}],
            **extra,
        },
    }


CONTACT = {
    "FirstName": "Sample",
    "LastName": "Shop",
    "ContactType": "COMPANY",
    "OrganizationName": "Example Shop",
    "AddressLine1": "1 Example Road",
    "City": "Seattle",
    "State": "WA",
    "CountryCode": "US",
    "ZipCode": "98101",
    "PhoneNumber": "+1.5555550100",
    "Email": "hostmaster@example-store.com",
}


def _seed_route53(client: Callable[..., Any]) -> None:
    route53, domains = client("route53"), client("route53domains")
    # Registering the domain creates its hosted zone, as in Route 53.
    domains.register_domain(
        DomainName=SAMPLE_ZONE,
        DurationInYears=2,
        AdminContact=CONTACT,
        RegistrantContact=CONTACT,
        TechContact=CONTACT,
    )
    [zone] = [
        z
        for z in route53.list_hosted_zones()["HostedZones"]
        if z["Name"].rstrip(".") == SAMPLE_ZONE
    ]
    zone_id = zone["Id"]
    # The registration delegates to only two of the zone's four name servers (yellow).
    servers = route53.get_hosted_zone(Id=zone_id)["DelegationSet"]["NameServers"]
    domains.update_domain_nameservers(
        DomainName=SAMPLE_ZONE, Nameservers=[{"Name": name} for name in servers[:2]]
    )
    checks = []
    for reference in ("shop-primary", "shop-retired"):
        config = {"Type": "HTTPS", "FullyQualifiedDomainName": f"{reference}.{SAMPLE_ZONE}"}
        answer = route53.create_health_check(CallerReference=reference, HealthCheckConfig=config)
        checks.append(answer["HealthCheck"]["Id"])
    primary_check, retired_check = checks
    changes = [
        # Mail without SPF: the apex has an MX record set and no SPF TXT.
        _record("", "MX", f"10 mail.{SAMPLE_ZONE}"),
        _record("", "TXT", '"google-site-verification=sample"'),
        # A CNAME where an alias would do.
        _record("www", "CNAME", "legacy-web-1234567890.us-east-1.elb.amazonaws.com"),
        # Failover without a secondary, cached for five minutes.
        _record(
            "api",
            "A",
            "192.0.2.10",
            ttl=300,
            SetIdentifier="api-primary",
            Failover="PRIMARY",
            HealthCheckId=primary_check,
        ),
        # A weighted record set whose health check is deleted below.
        _record(
            "status",
            "A",
            "192.0.2.20",
            ttl=60,
            SetIdentifier="status-a",
            Weight=100,
            HealthCheckId=retired_check,
        ),
    ]
    route53.change_resource_record_sets(HostedZoneId=zone_id, ChangeBatch={"Changes": changes})
    route53.delete_health_check(HealthCheckId=retired_check)


def _seed_autoscaling(client: Callable[..., Any]) -> None:
    ec2, autoscaling = client("ec2"), client("autoscaling")
    image = ec2.register_image(Name="sample-workers", RootDeviceName="/dev/xvda")["ImageId"]
    autoscaling.create_launch_configuration(
        LaunchConfigurationName="workers-2024", ImageId=image, InstanceType="t3.micro"
    )
    common = {"MinSize": 0, "MaxSize": 2, "AvailabilityZones": ["us-east-1a"]}
    # Behind a load balancer, but trusting EC2's health checks only (yellow).
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="web-fleet",
        LaunchConfigurationName="workers-2024",
        LoadBalancerNames=["legacy-web"],
        **common,
    )
    # Still attached to a load balancer that was deleted (red).
    autoscaling.create_auto_scaling_group(
        AutoScalingGroupName="batch-fleet",
        LaunchConfigurationName="workers-2024",
        LoadBalancerNames=["batch-lb-2019"],
        HealthCheckType="ELB",
        **common,
    )


def _seed_rds_access(client: Callable[..., Any], daily: Callable[..., None]) -> None:
    rds = client("rds")
    rds.create_db_security_group(
        DBSecurityGroupName="legacy-reporting", DBSecurityGroupDescription="Reporting access"
    )
    for cidr in ("0.0.0.0/0", "198.51.100.0/24", "203.0.113.7/32"):
        rds.authorize_db_security_group_ingress(DBSecurityGroupName="legacy-reporting", CIDRIP=cidr)
    rds.create_db_cluster(
        DBClusterIdentifier="catalog-aurora",
        Engine="aurora-postgresql",
        MasterUsername="catalog",
        MasterUserPassword="sample-password-1",
    )
    # The writer is public, the replica private (yellow).
    for name, public in (("catalog-aurora-1", True), ("catalog-aurora-2", False)):
        rds.create_db_instance(
            DBInstanceIdentifier=name,
            DBClusterIdentifier="catalog-aurora",
            Engine="aurora-postgresql",
            DBInstanceClass="db.r6g.large",
            PubliclyAccessible=public,
        )
        # In use: the idle-database check leaves the cluster alone.
        dimensions = {"DBInstanceIdentifier": name}
        daily("us-east-1", "AWS/RDS", "DatabaseConnections", dimensions, 12.0, "Count")


def _seed_elb_listeners(elb: Any) -> None:
    # app-lb also serves HTTPS, with a policy from 2015 (yellow); legacy-web has no secure
    # listener at all (yellow).
    certificate = f"arn:aws:iam::{SAMPLE_ACCOUNT_ID}:server-certificate/sample-shop"
    elb.create_load_balancer_listeners(
        LoadBalancerName="app-lb",
        Listeners=[
            {
                "Protocol": "HTTPS",
                "LoadBalancerPort": 443,
                "InstanceProtocol": "HTTP",
                "InstancePort": 80,
                "SSLCertificateId": certificate,
            }
        ],
    )
    elb.create_load_balancer_policy(
        LoadBalancerName="app-lb",
        PolicyName="app-lb-tls",
        PolicyTypeName="SSLNegotiationPolicyType",
        PolicyAttributes=[
            {
                "AttributeName": "Reference-Security-Policy",
                "AttributeValue": "ELBSecurityPolicy-2015-05",
            }
        ],
    )
    elb.set_load_balancer_policies_of_listener(
        LoadBalancerName="app-lb", LoadBalancerPort=443, PolicyNames=["app-lb-tls"]
    )


def _seed_cloudfront(client: Callable[..., Any], now: datetime) -> None:
    body = self_signed_certificate(
        [f"www.{SAMPLE_ZONE}", SAMPLE_ZONE], not_after=now + CERTIFICATE_LIFETIME
    )
    uploaded = client("iam").upload_server_certificate(
        ServerCertificateName="sample-shop",
        CertificateBody=body,
        PrivateKey="(the sample keeps no private key)",
        Path="/cloudfront/",
    )
    certificate_id = uploaded["ServerCertificateMetadata"]["ServerCertificateId"]
    cloudfront = client("cloudfront")
    # The shop: its certificate expires within the week and misses one of its names; its
    # product pages are cached per browser.
    cloudfront.create_distribution(
        DistributionConfig=distribution_config(
            "sample-shop",
            aliases=[f"www.{SAMPLE_ZONE}", f"static.{SAMPLE_ZONE}"],
            iam_certificate=certificate_id,
            headers=["Host"],
            behaviors={"/products/*": ["User-Agent", "Accept-Language"]},
        )
    )
    cloudfront.create_distribution(DistributionConfig=distribution_config("sample-docs"))
