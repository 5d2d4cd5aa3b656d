"""Service-limit checks of storage and data streams: EBS volume storage, IOPS and snapshots,
DynamoDB provisioned capacity, Kinesis shards.

Each region is evaluated separately, one row per quota (see `advisor.checks.limits` for the
colours, Blue, and the regions that cannot be read).

- EBS quotas come from Service Quotas (raised quotas included), else AWS's default from
  `EBS_DEFAULTS`. Storage quotas are in TiB; the rows show GiB, the unit volumes are sized in.
- DynamoDB's account-level read and write capacity limits come from DynamoDB's own
  `describe_limits`; the usage is the capacity provisioned for the region's tables and their
  global secondary indexes (on-demand tables provision none).
- Kinesis' shard limit comes from its `describe_limits`; the usage is the open shards of the
  region's streams, counted stream by stream (moto's `describe_limits` always reports 0 open
  shards).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from botocore.exceptions import ClientError
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from advisor.checks.base import Environment
from advisor.checks.helpers import error_code, paginate
from advisor.checks.limits import Measure, quota_or_default, regional_limit_check

GIB_PER_TIB = 1024
# A table or stream deleted between being listed and being described: it no longer counts.
DELETED_CODES = ("ResourceNotFoundException",)

# AWS's default EBS quotas, used only where Service Quotas does not know the quota: the "AWS
# default quota value" of each, from the Amazon EBS User Guide's "Amazon EBS quotas" page
# (https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html), as of 2025.
EBS_DEFAULTS = {
    "L-D18FCD1D": 50.0,  # Storage for General Purpose SSD (gp2) volumes, in TiB
    "L-FD252861": 50.0,  # Storage for Provisioned IOPS SSD (io1) volumes, in TiB
    "L-9CF3C2EB": 50.0,  # Storage for Magnetic (standard) volumes, in TiB
    "L-82ACEF56": 50.0,  # Storage for Throughput Optimized HDD (st1) volumes, in TiB
    "L-17AF77E8": 50.0,  # Storage for Cold HDD (sc1) volumes, in TiB
    "L-B3A130E6": 300_000.0,  # IOPS for Provisioned IOPS SSD (io1) volumes
    "L-8D977E7E": 100_000.0,  # IOPS for Provisioned IOPS SSD (io2) volumes
    "L-309BACF6": 100_000.0,  # Snapshots per Region
}

EBS_QUOTAS_DOCS = (
    _("Amazon EBS quotas"),
    "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-resource-quotas.html",
)
DYNAMODB_QUOTAS_DOCS = (
    _("Amazon DynamoDB service quotas"),
    "https://docs.aws.amazon.com/amazondynamodb/latest/developerguide/ServiceQuotas.html",
)
KINESIS_QUOTAS_DOCS = (
    _("Amazon Kinesis Data Streams quotas and limits"),
    "https://docs.aws.amazon.com/streams/latest/dev/service-sizes-and-limits.html",
)


def ebs_quota(env: Environment, region: str, quota_code: str, *, scale: float = 1) -> float:
    value = quota_or_default(env, region, "ebs", quota_code, EBS_DEFAULTS[quota_code])
    return value * scale


def volumes(env: Environment, region: str) -> list[dict[str, Any]]:
    return list(paginate(env.client("ec2", region), "describe_volumes", "Volumes"))


# --- EBS volume storage -------------------------------------------------------------------------


@dataclass(frozen=True)
class StorageQuota:
    check_id: str
    name: str | Promise
    volume_type: str
    quota_code: str
    limit_name: str


def _register_storage(quota: StorageQuota) -> None:
    @regional_limit_check(
        quota.check_id,
        name=quota.name,
        lead=_(
            "Compares the storage provisioned for EBS volumes of one type in each region with "
            "the region's quota for that type."
        ),
        resources=[EBS_QUOTAS_DOCS],
    )
    def measures(env: Environment, region: str) -> Sequence[Measure]:
        def usage() -> float:
            return sum(
                v.get("Size", 0)
                for v in volumes(env, region)
                if v.get("VolumeType") == quota.volume_type
            )

        return [
            Measure(
                resource=f"ebs/{quota.quota_code}",
                service="EBS",
                limit_name=quota.limit_name,
                limit=lambda: ebs_quota(env, region, quota.quota_code, scale=GIB_PER_TIB),
                usage=usage,
            )
        ]


for _storage in (
    StorageQuota(
        "dH7RR0l6J9",
        _("EBS General Purpose SSD (gp2) Volume Storage"),
        "gp2",
        "L-D18FCD1D",
        "General Purpose SSD (gp2) volume storage (GiB)",
    ),
    StorageQuota(
        "gI7MM0l7J9",
        _("EBS Provisioned IOPS SSD (io1) Volume Storage"),
        "io1",
        "L-FD252861",
        "Provisioned IOPS SSD (io1) volume storage (GiB)",
    ),
    StorageQuota(
        "cG7HH0l7J9",
        _("EBS Magnetic (standard) Volume Storage"),
        "standard",
        "L-9CF3C2EB",
        "Magnetic (standard) volume storage (GiB)",
    ),
    StorageQuota(
        "wH7DD0l3J9",
        _("EBS Throughput Optimized HDD (st1) Volume Storage"),
        "st1",
        "L-82ACEF56",
        "Throughput Optimized HDD (st1) volume storage (GiB)",
    ),
    StorageQuota(
        "gH5CC0e3J9",
        _("EBS Cold HDD (sc1) Volume Storage"),
        "sc1",
        "L-17AF77E8",
        "Cold HDD (sc1) volume storage (GiB)",
    ),
):
    _register_storage(_storage)


# --- EBS IOPS and snapshots ---------------------------------------------------------------------

# The Provisioned IOPS volume types, each with its own aggregate IOPS quota.
IOPS_QUOTAS = (
    ("io1", "L-B3A130E6", "Provisioned IOPS SSD (io1) volume aggregate IOPS"),
    ("io2", "L-8D977E7E", "Provisioned IOPS SSD (io2) volume aggregate IOPS"),
)


@regional_limit_check(
    "tV7YY0l7J9",
    name=_("EBS Provisioned IOPS (SSD) Volume Aggregate IOPS"),
    lead=_(
        "Compares the IOPS provisioned for Provisioned IOPS SSD volumes (io1 and io2, each "
        "with its own quota) in each region with the region's quotas."
    ),
    resources=[EBS_QUOTAS_DOCS],
)
def provisioned_iops(env: Environment, region: str) -> Sequence[Measure]:
    listed = cache(lambda: volumes(env, region))

    def usage(volume_type: str) -> Callable[[], float]:
        return lambda: sum(
            v.get("Iops") or 0 for v in listed() if v.get("VolumeType") == volume_type
        )

    def limit(quota_code: str) -> Callable[[], float]:
        return lambda: ebs_quota(env, region, quota_code)

    return [
        Measure(
            resource=f"ebs/{quota_code}",
            service="EBS",
            limit_name=limit_name,
            limit=limit(quota_code),
            usage=usage(volume_type),
        )
        for volume_type, quota_code, limit_name in IOPS_QUOTAS
    ]


def own_snapshots(env: Environment, region: str) -> int:
    snapshots = paginate(
        env.client("ec2", region), "describe_snapshots", "Snapshots", OwnerIds=["self"]
    )
    return sum(1 for _snapshot in snapshots)


@regional_limit_check(
    "eI7KK0l7J9",
    name=_("EBS Active Snapshots"),
    lead=_(
        "Compares the number of EBS snapshots the account owns in each region with the "
        "region's quota."
    ),
    resources=[EBS_QUOTAS_DOCS],
)
def active_snapshots(env: Environment, region: str) -> Sequence[Measure]:
    return [
        Measure(
            resource="ebs/L-309BACF6",
            service="EBS",
            limit_name="Active snapshots",
            limit=lambda: ebs_quota(env, region, "L-309BACF6"),
            usage=lambda: own_snapshots(env, region),
        )
    ]


# --- DynamoDB -----------------------------------------------------------------------------------


def provisioned_capacity(env: Environment, region: str) -> dict[str, float]:
    """Read and write capacity units provisioned in `region`: tables and their global secondary
    indexes (an on-demand table reports 0)."""
    dynamodb = env.client("dynamodb", region)
    totals = {"ReadCapacityUnits": 0.0, "WriteCapacityUnits": 0.0}
    for name in paginate(dynamodb, "list_tables", "TableNames"):
        try:
            table = dynamodb.describe_table(TableName=name)["Table"]
        except ClientError as error:
            if error_code(error) in DELETED_CODES:
                continue
            raise
        throughputs = [table.get("ProvisionedThroughput") or {}] + [
            index.get("ProvisionedThroughput") or {}
            for index in table.get("GlobalSecondaryIndexes", [])
        ]
        for throughput in throughputs:
            for key in totals:
                totals[key] += throughput.get(key, 0)
    return totals


def _register_dynamodb(
    check_id: str, name: str | Promise, lead: str | Promise, kind: str, limit_name: str
) -> None:
    @regional_limit_check(check_id, name=name, lead=lead, resources=[DYNAMODB_QUOTAS_DOCS])
    def measures(env: Environment, region: str) -> Sequence[Measure]:
        def limit() -> float:
            limits = env.client("dynamodb", region).describe_limits()
            return float(limits[f"AccountMax{kind}CapacityUnits"])

        return [
            Measure(
                resource=f"dynamodb/AccountMax{kind}CapacityUnits",
                service="DynamoDB",
                limit_name=limit_name,
                limit=limit,
                usage=lambda: provisioned_capacity(env, region)[f"{kind}CapacityUnits"],
            )
        ]


_register_dynamodb(
    "6gtQddfEw6",
    _("DynamoDB Read Capacity"),
    _(
        "Compares the read capacity provisioned for the DynamoDB tables and global secondary "
        "indexes in each region with the account's read capacity limit there."
    ),
    "Read",
    "Account read capacity units",
)
_register_dynamodb(
    "c5ftjdfkMr",
    _("DynamoDB Write Capacity"),
    _(
        "Compares the write capacity provisioned for the DynamoDB tables and global secondary "
        "indexes in each region with the account's write capacity limit there."
    ),
    "Write",
    "Account write capacity units",
)


# --- Kinesis ------------------------------------------------------------------------------------


def open_shards(env: Environment, region: str) -> int:
    kinesis = env.client("kinesis", region)
    total = 0
    for name in paginate(kinesis, "list_streams", "StreamNames"):
        try:
            summary = kinesis.describe_stream_summary(StreamName=name)
        except ClientError as error:
            if error_code(error) in DELETED_CODES:
                continue
            raise
        total += summary["StreamDescriptionSummary"]["OpenShardCount"]
    return total


@regional_limit_check(
    "bW7HH0l7J9",
    name=_("Kinesis Shards per Region"),
    lead=_(
        "Compares the number of open Kinesis Data Streams shards in each region with the "
        "region's shard limit."
    ),
    resources=[KINESIS_QUOTAS_DOCS],
)
def kinesis_shards(env: Environment, region: str) -> Sequence[Measure]:
    return [
        Measure(
            resource="kinesis/ShardLimit",
            service="Kinesis",
            limit_name="Shards per region",
            limit=lambda: float(env.client("kinesis", region).describe_limits()["ShardLimit"]),
            usage=lambda: open_shards(env, region),
        )
    ]
