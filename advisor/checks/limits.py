"""Service-limit checks: how much of an IAM or VPC quota the account uses.

Every quota gets a row, green ones included, with the metadata columns [Region, Service, Limit
Name, Limit Amount, Current Usage, Status]; IAM is global, so its Region column is "-".

IAM usage and quotas both come from `iam.get_account_summary`. VPC quotas come from Service
Quotas (`get_service_quota`, which also reports raised quotas); where Service Quotas does not
know the quota (moto knows only the `vpc` service), the EC2 account attribute of the same
meaning is used, and failing that AWS's default quota.

A limit or a usage that cannot be read (Service Quotas refusing the caller, say) gives a row
with the Status column `Blue`, Trusted Advisor's "unable to retrieve utilization or limits",
and row status `ok`: nothing is known to be wrong. A region where neither can be read is left
out and counted as ignored, like an opt-in region that is not enabled; when no region can be
read at all, or IAM's account summary cannot, the run is abandoned with AWS's message.

The other services' limit checks (`limits_compute`, `limits_storage`, `limits_services`,
`limits_rds`) share this module's machinery: a check is a function giving, for a region, one
`Measure` per row (how to read the limit and the usage), registered with `regional_limit_check`
or, for a global service, `global_limit_check`; `measure_limits` turns the measures into rows.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from botocore.exceptions import ClientError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks.base import OK, Environment, Evaluate, Evaluation, Row, check
from advisor.checks.helpers import (
    arn,
    colour,
    error_code,
    paginate,
    per_region,
    region_unavailable,
    unreadable,
    usage_status,
)
from advisor.checks.texts import phrase

GLOBAL_REGION = "-"
# The Status column of a limit whose usage or amount could not be read.
UNKNOWN_COLOUR = phrase(gettext_noop("Blue"))
# What Service Quotas answers for a service or quota it does not track.
UNKNOWN_QUOTA_CODES = ("NoSuchResourceException",)

# "80% of" reads as a %-format to xgettext; the comments keep the entries plain text.
LIMIT_CRITERIA = (
    # xgettext:no-python-format
    _("Green: usage is below 80% of the limit."),
    # xgettext:no-python-format
    _("Yellow: usage has reached 80% of the limit."),
    _("Red: usage has reached the limit."),
    _("Blue: the usage or the limit could not be retrieved."),
)
LIMIT_ACTION = _(
    "If you expect to need more, request a quota increase in the Service Quotas console well "
    "before reaching the limit, or clean up resources you no longer use."
)
SERVICE_QUOTAS_DOCS = (
    _("What is Service Quotas?"),
    "https://docs.aws.amazon.com/servicequotas/latest/userguide/intro.html",
)
IAM_QUOTAS_DOCS = (
    _("IAM and AWS STS quotas"),
    "https://docs.aws.amazon.com/IAM/latest/UserGuide/reference_iam-quotas.html",
)
VPC_QUOTAS_DOCS = (
    _("Amazon VPC quotas"),
    "https://docs.aws.amazon.com/vpc/latest/userguide/amazon-vpc-limits.html",
)


def _amount(value: float) -> str:
    if math.isinf(value):
        return "Unlimited"  # SES answers -1 for an account without a sending quota
    return str(int(value)) if float(value).is_integer() else str(value)


def limit_row(
    *,
    resource: str,
    region: str | None,
    service: str,
    limit_name: str,
    limit: float | None,
    usage: float | None,
) -> Row:
    """The row for one limit; a None limit or usage (could not be read) makes it Blue."""
    if limit is None or usage is None:
        status, status_colour = OK, UNKNOWN_COLOUR
    else:
        status = usage_status(usage, limit)
        status_colour = colour(status)
    return Row(
        status=status,
        arn=resource,
        region=region,
        metadata=[
            region or GLOBAL_REGION,
            service,
            limit_name,
            None if limit is None else _amount(limit),
            None if usage is None else _amount(usage),
            status_colour,
        ],
    )


def _register_iam_limit(
    check_id: str, name: str | Promise, lead: str | Promise, summary_key: str, limit_name: str
) -> None:
    @check(
        check_id,
        name=name,
        core=True,
        lead=lead,
        criteria=LIMIT_CRITERIA,
        action=LIMIT_ACTION,
        resources=[IAM_QUOTAS_DOCS, SERVICE_QUOTAS_DOCS],
    )
    def evaluate(env: Environment) -> Evaluation:
        # One account-level call gives usage and quota; if it fails nothing could be read.
        summary = env.client("iam").get_account_summary()["SummaryMap"]
        quota = summary.get(f"{summary_key}Quota")
        row = limit_row(
            resource=arn("servicequotas", None, env.account_id, f"iam/{summary_key}"),
            region=None,
            service="IAM",
            limit_name=limit_name,
            limit=None if quota is None else float(quota),
            usage=float(summary.get(summary_key, 0)),
        )
        return Evaluation(rows=[row], processed=1)


_register_iam_limit(
    "qS7VV0l7J9",
    _("IAM Users"),
    _("Compares the number of IAM users with the account's quota."),
    "Users",
    "Users",
)
_register_iam_limit(
    "oQ7TT0l7J9",
    _("IAM Roles"),
    _("Compares the number of IAM roles with the account's quota."),
    "Roles",
    "Roles",
)
_register_iam_limit(
    "sU7XX0l7J9",
    _("IAM Group"),
    _("Compares the number of IAM groups with the account's quota."),
    "Groups",
    "Groups",
)
_register_iam_limit(
    "nO7SS0l7J9",
    _("IAM Instance Profiles"),
    _("Compares the number of IAM instance profiles with the account's quota."),
    "InstanceProfiles",
    "Instance profiles",
)
_register_iam_limit(
    "pR7UU0l7J9",
    _("IAM Policies"),
    _("Compares the number of customer managed IAM policies with the account's quota."),
    "Policies",
    "Managed policies",
)
_register_iam_limit(
    "rT7WW0l7J9",
    _("IAM Server Certificates"),
    _("Compares the number of server certificates stored in IAM with the account's quota."),
    "ServerCertificates",
    "Server certificates",
)


@dataclass(frozen=True)
class RegionalQuota:
    service_code: str  # Service Quotas' code
    quota_code: str
    account_attribute: str | None  # the ec2 describe_account_attributes fallback
    default: float  # AWS's default quota, the last resort
    service: str  # the Service column
    limit_name: str
    usage: Callable[[Environment, str], int]


def service_quota(
    env: Environment, region: str | None, service_code: str, quota_code: str
) -> float | None:
    """Service Quotas' value of a quota in `region` (raised quotas included), or None when
    Service Quotas does not track it. Raises ClientError when it refuses to say."""
    try:
        answer = env.client("service-quotas", region).get_service_quota(
            ServiceCode=service_code, QuotaCode=quota_code
        )
    except ClientError as error:
        if error_code(error) in UNKNOWN_QUOTA_CODES:
            return None
        raise
    return float(answer["Quota"]["Value"])


def quota_or_default(
    env: Environment, region: str | None, service_code: str, quota_code: str, default: float
) -> float:
    """Service Quotas' value, or AWS's default quota when Service Quotas does not track it.
    Raises ClientError when Service Quotas refuses: the quota may have been raised, so the
    default would be a guess."""
    value = service_quota(env, region, service_code, quota_code)
    return default if value is None else value


def regional_quota_value(env: Environment, region: str, quota: RegionalQuota) -> float:
    """The quota in `region`: Service Quotas' value (raised quotas included), else the EC2
    account attribute of the same meaning, else, when neither source knows the quota, AWS's
    default. Raises ClientError when the sources that know it cannot be read."""
    refused: ClientError | None = None
    try:
        value = service_quota(env, region, quota.service_code, quota.quota_code)
        if value is not None:
            return value
    except ClientError as error:
        refused = error  # the quota may have been raised: the default would be a guess
    if quota.account_attribute:
        attributes = env.client("ec2", region).describe_account_attributes()
        for attribute in attributes.get("AccountAttributes", []):
            if attribute.get("AttributeName") == quota.account_attribute:
                values = attribute.get("AttributeValues") or [{}]
                return float(values[0].get("AttributeValue", quota.default))
    if refused is not None:
        raise refused
    return quota.default


def count_items(service: str, operation: str, key: str) -> Callable[[Environment, str], int]:
    """Usage as the number of items `operation` lists under `key` in a region."""

    def usage(env: Environment, region: str) -> int:
        return sum(1 for _item in paginate(env.client(service, region), operation, key))

    return usage


def _vpc_addresses(env: Environment, region: str) -> int:
    addresses = env.client("ec2", region).describe_addresses().get("Addresses", [])
    return sum(1 for a in addresses if a.get("Domain", "vpc") == "vpc")


def _register_regional_limit(
    check_id: str, name: str | Promise, lead: str | Promise, quota: RegionalQuota
) -> None:
    @check(
        check_id,
        name=name,
        core=True,
        lead=lead,
        criteria=LIMIT_CRITERIA,
        action=LIMIT_ACTION,
        resources=[VPC_QUOTAS_DOCS, SERVICE_QUOTAS_DOCS],
    )
    def evaluate(env: Environment) -> Evaluation:
        return per_region(env, lambda region: _regional_limit(env, region, quota))


def _regional_limit(env: Environment, region: str, quota: RegionalQuota) -> Evaluation:
    measure = Measure(
        resource=f"{quota.service_code}/{quota.quota_code}",
        service=quota.service,
        limit_name=quota.limit_name,
        limit=lambda: regional_quota_value(env, region, quota),
        usage=lambda: quota.usage(env, region),
    )
    return measure_limits(env, region, [measure])


@dataclass(frozen=True)
class Measure:
    """One row of a limit check. `limit` and `usage` read the two figures: a ClientError means
    AWS refused, None that no source knows the figure; either makes the row Blue. A quota AWS
    never changes is given as a number instead of a reader."""

    resource: str  # the row's Service Quotas ARN resource: "<service code>/<quota code>"
    service: str  # the Service column
    limit_name: str
    limit: Callable[[], float | None] | float
    usage: Callable[[], float | None]


def measure_limits(env: Environment, region: str | None, measures: Sequence[Measure]) -> Evaluation:
    """One row per measure for `region` (None: a global service, Region column "-").

    A region the account cannot use, or one where not a single figure could be read, is not a
    set of Blue rows: the error propagates, and `per_region` leaves the region out (or the run
    is abandoned when no region, or the global service, could be read)."""
    rows: list[Row] = []
    failures: list[ClientError] = []
    reads = 0
    for measure in measures:
        usage, usage_error = _read(measure.usage)
        reads += 1
        limit: float | None
        if callable(measure.limit):
            limit, limit_error = _read(measure.limit)
            reads += 1
        else:
            limit, limit_error = float(measure.limit), None
        for error in (usage_error, limit_error):
            if error is None:
                continue
            if region_unavailable(error):
                raise error
            failures.append(error)
        rows.append(
            limit_row(
                resource=arn("servicequotas", region, env.account_id, measure.resource),
                region=region,
                service=measure.service,
                limit_name=measure.limit_name,
                limit=limit,
                usage=usage,
            )
        )
    if failures and len(failures) == reads:
        raise failures[0]
    return Evaluation(rows=rows, processed=len(rows))


def _read(read: Callable[[], float | None]) -> tuple[float | None, ClientError | None]:
    """(value, None), or (None, error) when AWS refused it for a reason that leaves the rest
    of the check readable. Other errors propagate."""
    try:
        value = read()
    except ClientError as error:
        if not unreadable(error):
            raise
        return None, error
    return (None if value is None else float(value)), None


_register_regional_limit(
    "jL7PP0l7J9",
    _("VPC"),
    _("Compares the number of VPCs in each region with the region's quota."),
    RegionalQuota(
        service_code="vpc",
        quota_code="L-F678F1CE",
        account_attribute=None,
        default=5,
        service="VPC",
        limit_name="VPCs",
        usage=count_items("ec2", "describe_vpcs", "Vpcs"),
    ),
)
_register_regional_limit(
    "kM7QQ0l7J9",
    _("VPC Internet Gateways"),
    _("Compares the number of internet gateways in each region with the region's quota."),
    RegionalQuota(
        service_code="vpc",
        quota_code="L-A4707A72",
        account_attribute=None,
        default=5,
        service="VPC",
        limit_name="Internet gateways",
        usage=count_items("ec2", "describe_internet_gateways", "InternetGateways"),
    ),
)
_register_regional_limit(
    "lN7RR0l7J9",
    _("EC2-VPC Elastic IP Address"),
    _("Compares the number of Elastic IP addresses in each region with the region's quota."),
    RegionalQuota(
        service_code="ec2",
        quota_code="L-0263D0A3",
        account_attribute="vpc-max-elastic-ips",
        default=5,
        service="VPC",
        limit_name="EC2-VPC Elastic IPs",
        usage=_vpc_addresses,
    ),
)


LimitMeasures = Callable[[Environment, str], Sequence[Measure]]


def regional_limit_check(
    check_id: str,
    *,
    name: str | Promise,
    lead: str | Promise,
    resources: Sequence[tuple[str | Promise, str]],
) -> Callable[[LimitMeasures], Evaluate]:
    """Register a service-limit check whose rows, in each region, are the measures
    `measures(env, region)` returns (service limits are core checks, on every plan)."""

    def register(measures: LimitMeasures) -> Evaluate:
        def evaluate(env: Environment) -> Evaluation:
            def evaluate_region(region: str) -> Evaluation:
                return measure_limits(env, region, measures(env, region))

            return per_region(env, evaluate_region)

        return _limit_check(check_id, name, lead, resources)(evaluate)

    return register


def global_limit_check(
    check_id: str,
    *,
    name: str | Promise,
    lead: str | Promise,
    resources: Sequence[tuple[str | Promise, str]],
) -> Callable[[Callable[[Environment], Sequence[Measure]]], Evaluate]:
    """Register a service-limit check of a global service (Region column "-"): the rows are
    `measures(env)`, read once whatever the regions; when nothing can be read the run is
    abandoned with AWS's error."""

    def register(measures: Callable[[Environment], Sequence[Measure]]) -> Evaluate:
        def evaluate(env: Environment) -> Evaluation:
            return measure_limits(env, None, measures(env))

        return _limit_check(check_id, name, lead, resources)(evaluate)

    return register


def _limit_check(
    check_id: str,
    name: str | Promise,
    lead: str | Promise,
    resources: Sequence[tuple[str | Promise, str]],
) -> Callable[[Evaluate], Evaluate]:
    """`check` with what every service-limit check shares: core on every plan, the limit
    criteria and action, and the Service Quotas documentation."""
    return check(
        check_id,
        name=name,
        core=True,
        lead=lead,
        criteria=LIMIT_CRITERIA,
        action=LIMIT_ACTION,
        resources=[*resources, SERVICE_QUOTAS_DOCS],
    )
