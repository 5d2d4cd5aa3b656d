"""Asking AWS Support about a finding: the check page's "Ask for help with this" opens the
technical case form filled in with the check, the resource and its metadata (core.prefill); a
service-limit check's "Request a limit increase" opens a service limit increase case instead,
about the limit and region of the row it names.

The link names the check and the resource's opaque `resourceId`; the form's page asks this
provider, which loads both for the signed-in principal (`access_check`, then the account's own
latest result), so a link naming another account's finding, or a check outside the plan, fills
in nothing. The service is the one the check inspects (matched on the catalog's English name;
an RDS finding's engine picks the engine's service), the category a fitting one of that service
or its general guidance; the customer can change every field before submitting.
"""

from __future__ import annotations

from typing import Any

from django.http import QueryDict
from django.utils.translation import gettext as _

from advisor import access as advisor_access
from advisor import selectors
from advisor.checks.base import CheckSpec, catalog
from advisor.models import CheckResource, CheckStatus
from advisor.summaries import CATEGORY_LABELS
from catalog.selectors import category_for

SOURCE = "trusted-advisor"
# The IAM action of reading a check's rows (the check page's own).
DESCRIBE_ITEMS = "trustedadvisor:DescribeCheckItems"
# Words of AWS's check names, first match wins, and the Support service they are about.
SERVICES = (
    # Services named beside another's feature first ("ELB Security Groups", "CloudFront
    # Custom SSL Certificates in the IAM Certificate Store").
    ("Load Balancer", "elastic-load-balancing"),
    ("ELB", "elastic-load-balancing"),
    ("CloudFront", "amazon-cloudfront"),
    ("Route 53", "amazon-route53"),
    ("Lambda", "aws-lambda"),
    ("DynamoDB", "amazon-dynamodb"),
    ("ElastiCache", "amazon-elasticache"),
    ("Redshift", "amazon-redshift"),
    ("Security Group", "amazon-virtual-private-cloud"),
    ("Elastic IP", "amazon-elastic-compute-cloud-linux"),
    ("EBS", "amazon-elastic-block-store"),
    ("RDS", "rds"),
    ("Aurora", "amazon-relational-database-service-aurora"),
    ("S3", "amazon-simple-storage-service"),
    ("IAM", "aws-identity-and-access-management"),
    ("MFA", "aws-identity-and-access-management"),
    ("Access Key", "aws-identity-and-access-management"),
    ("CloudTrail", "cloudtrail"),
    ("Kinesis", "amazon-kinesis"),
    ("SES", "amazon-simple-email-service"),
    ("Auto Scaling", "auto-scaling"),
    ("CloudFormation", "aws-cloudformation"),
    ("VPC", "amazon-virtual-private-cloud"),
    ("VPN", "amazon-virtual-private-cloud"),
    ("Direct Connect", "aws-direct-connect"),
    ("EFS", "amazon-elastic-file-system"),
    ("KMS", "key-management-service"),
    ("SNS", "amazon-simple-notification-service"),
    ("SQS", "amazon-simple-queue-service"),
    ("API Gateway", "api-gateway"),
    ("CloudWatch", "amazon-cloudwatch"),
    ("EC2", "amazon-elastic-compute-cloud-linux"),
)
# RDS has one Support service per engine: the engine named in the finding's metadata.
RDS_ENGINES = (
    ("aurora", "amazon-relational-database-service-aurora"),
    ("postgres", "amazon-relational-database-service-postgresql"),
    ("mariadb", "amazon-relational-database-service-mariadb"),
    ("oracle", "amazon-relational-database-service-oracle"),
    ("sqlserver", "aws-relational-database-service-sql-server"),
    ("sql server", "aws-relational-database-service-sql-server"),
    ("mysql", "amazon-relational-database-service-mysql"),
)
RDS_DEFAULT = "amazon-relational-database-service-mysql"
# The service's category for a problem with a resource, where it has one.
RESOURCE_CATEGORIES = {
    "amazon-elastic-compute-cloud-linux": "instance-issue",
    "amazon-elastic-block-store": "volume-issue",
    "amazon-simple-storage-service": "bucket-issue",
    "elastic-load-balancing": "load-balancer-issue",
    "amazon-dynamodb": "database-issue",
    "amazon-relational-database-service-aurora": "database-issue",
    "amazon-relational-database-service-mariadb": "database-issue",
    "amazon-relational-database-service-mysql": "database-issue",
    "amazon-relational-database-service-oracle": "database-issue",
    "amazon-relational-database-service-postgresql": "database-issue",
    "aws-relational-database-service-sql-server": "database-issue",
    "amazon-route53": "dns-issue",
    "amazon-cloudfront": "distribution-issue",
}
GENERAL = "general-guidance"
# A service-limit check's finding asks for more, as AWS's own link does: a "Service limit
# increase" case, its one service, and the limit's category (words of the check's name, first
# match wins).
LIMIT_CASE_TYPE = "service-limit-increase"
LIMIT_SERVICE = "service-limit-increase"
LIMIT_CATEGORIES = (
    ("Elastic IP", "elastic-ips"),
    ("Auto Scaling", "autoscaling-limits"),
    ("CloudFormation", "cloudformation-stacks"),
    ("ELB", "elastic-load-balancers"),
    ("RDS", "rds-instances"),
    ("SES", "ses-sending-quota"),
    ("Route 53", "route-53-limits"),
    ("EBS", "ebs-volumes"),
    ("DynamoDB", "dynamodb-limits"),
    ("Kinesis", "kinesis-limits"),
    ("IAM", "iam-groups-and-users"),
    ("VPC", "vpc-limits"),
    ("EC2", "ec2-instances"),
)
SERVICE_LIMITS = "service_limits"
# Resources one link may name (each with its metadata in the description).
MAX_RESOURCES = 10


def service_for(spec: CheckSpec, resources: list[CheckResource]) -> str:
    """The Support service code a finding of `spec` is about ("" when none fits)."""
    name = catalog()[spec.id]["name"]
    service = next((code for word, code in SERVICES if word in name), "")
    if service == "rds":
        values = " ".join(str(v).lower() for r in resources for v in r.metadata if v)
        service = next((code for word, code in RDS_ENGINES if word in values), RDS_DEFAULT)
    return service


def _classification(spec: CheckSpec, resources: list[CheckResource]) -> dict[str, str]:
    """Service and category, each only if the catalog has it active (one query or two)."""
    service = service_for(spec, resources)
    if not service:
        return {}
    for category in (RESOURCE_CATEGORIES.get(service), GENERAL):
        if category and category_for(service, category) is not None:
            return {"service": service, "category": category}
    return {"service": service}


def _limit_classification(spec: CheckSpec) -> dict[str, str]:
    """The limit-increase case's type, service and category (each only if the catalog has it
    active; one query or two)."""
    name = catalog()[spec.id]["name"]
    code = next((code for word, code in LIMIT_CATEGORIES if word in name), "")
    if code and category_for(LIMIT_SERVICE, code) is not None:
        return {"case_type": LIMIT_CASE_TYPE, "service": LIMIT_SERVICE, "category": code}
    return {"case_type": LIMIT_CASE_TYPE, "service": LIMIT_SERVICE}


def _limit_subject(spec: CheckSpec, row: CheckResource | None) -> str:
    """ "Limit increase: <limit> (<region>)" from the row's Limit Name and Region columns (the
    columns every service-limit check has), else the check's name."""
    values = dict(zip(spec.metadata, row.metadata, strict=False)) if row is not None else {}
    limit = values.get("Limit Name") or spec.name
    subject = _("Limit increase: %(limit)s") % {"limit": limit}
    if values.get("Region"):
        subject += f" ({values['Region']})"
    return subject


def _describe(spec: CheckSpec, status: str, computed_at: Any, rows: list[CheckResource]) -> str:
    lines = [
        _("Trusted Advisor check: %(name)s (%(id)s)") % {"name": spec.name, "id": spec.id},
        _("Category: %(category)s")
        % {"category": CATEGORY_LABELS.get(spec.category, spec.category)},
        _("Status: %(status)s") % {"status": CheckStatus(status).label},
    ]
    if computed_at is not None:
        lines.append(
            _("Last refreshed: %(time)s UTC") % {"time": computed_at.strftime("%Y-%m-%d %H:%M")}
        )
    for index, row in enumerate(rows, start=1):
        lines += ["", _("Resource %(number)d: %(arn)s") % {"number": index, "arn": row.arn}]
        lines.append(_("Result: %(status)s") % {"status": CheckStatus(row.status).label})
        # The headings as the API and the CSV download name them (AWS's English), for Support.
        lines += [
            f"  {heading}: {value}"
            for heading, value in zip(spec.metadata, row.metadata, strict=False)
            if value not in (None, "")
        ]
    if spec.category == SERVICE_LIMITS:
        lines += ["", _("New limit value:"), "", _("Use case description:"), ""]
    else:
        lines += ["", _("My question:"), ""]
    return "\n".join(lines)


def case_prefill(principal: Any, params: QueryDict) -> dict[str, str]:
    """The case form's initial values for `?from=trusted-advisor&check=<id>&resource=<id>...`.

    Raises CheckNotAvailable (the form then opens empty) for a check outside the principal's
    plan or unknown, AccessDeniedException when the principal may not read check items.
    Resources not in the account's latest result of the check are left out.
    """
    spec = advisor_access.access_check(
        principal, params.get("check", "")[:16], action=DESCRIBE_ITEMS
    )
    state = selectors.check_state_get(principal.require_account(), spec.id)
    result = state.latest_result if state is not None else None
    wanted = [r[:64] for r in params.getlist("resource")[:MAX_RESOURCES]]
    rows: list[CheckResource] = []
    if result is not None and wanted:
        found = {
            r.resource_id: r
            for r in selectors.check_resources(result).filter(resource_id__in=wanted)
        }
        rows = [found[r] for r in dict.fromkeys(wanted) if r in found]
    status = rows[0].status if len(rows) == 1 else selectors.check_status(state)
    plan = principal.require_account().plan
    if spec.category == SERVICE_LIMITS and LIMIT_CASE_TYPE in plan.case_types():
        classification = _limit_classification(spec)
        subject = _limit_subject(spec, rows[0] if len(rows) == 1 else None)
    else:
        classification = {"case_type": "technical", **_classification(spec, rows)}
        subject = _("Trusted Advisor: %(check)s") % {"check": spec.name}
        if len(rows) == 1:
            subject += f" ({rows[0].arn.rsplit(':', 1)[-1].rsplit('/', 1)[-1]})"
    return {
        **classification,
        "subject": subject[:250],
        "description": _describe(
            spec, status, result.computed_at if result is not None else None, rows
        )[:8000],
    }
