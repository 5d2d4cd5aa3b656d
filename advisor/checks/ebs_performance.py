"""Amazon EBS performance checks: Provisioned IOPS volumes on instances that are not
EBS-optimized, magnetic volumes asked for more than they can give, and instances whose volumes
use up their dedicated EBS bandwidth.

Every check reads region by region (`regional`). What an instance type can do comes from
`describe_instance_types`: `EbsOptimizedSupport` is `unsupported`, `supported` (optimization is
an option the instance may lack) or `default` (always optimized), and `MaximumThroughputInMBps`
is the type's dedicated EBS throughput in megabytes (10^6 bytes) a second.

CloudWatch history comes from one batched `get_metric_data` per region and check: hourly
operation counts for the magnetic volumes, five-minute byte counts for the throughput check.
"""

from __future__ import annotations

import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from advisor.checks.base import WARNING, Environment, Evaluation, Row, check
from advisor.checks.ec2 import instances
from advisor.checks.helpers import (
    MetricQuery,
    Series,
    arn,
    colour,
    known_series,
    paginate,
    regional,
    tag_value,
    try_read,
    yes_no,
)
from advisor.checks.metric_periods import (
    FIVE_MINUTES,
    HOUR,
    day_start,
    hour_start,
    period_metrics,
)
from connections.metrics import DAY

PROVISIONED_IOPS_TYPES = frozenset({"io1", "io2"})
MAGNETIC = "standard"
# Cluster compute types ran on a 10 Gigabit network of their own, so Trusted Advisor holds
# their magnetic volumes to the same standard as those of EBS-optimizable types.
CLUSTER_COMPUTE_FAMILIES = frozenset({"cc1", "cc2", "cg1", "cr1"})

MAGNETIC_DAYS = 14
MAGNETIC_MEDIAN_IOPS = 95.0  # a busy day's median is above this...
MAGNETIC_VARIATION_PERCENT = 10.0  # ...and its hours stay within less than this of it
MAGNETIC_DAYS_TO_FLAG = 7
# A day is measured only when at least half of its hours have data; otherwise its cell says N/A.
MAGNETIC_MIN_HOURS = 12
IO_METRICS = ("VolumeReadOps", "VolumeWriteOps")

THROUGHPUT_NEAR_MAX = 0.95
THROUGHPUT_SHARE_TO_FLAG = 0.5
BYTES_METRICS = ("VolumeReadBytes", "VolumeWriteBytes")
MEGABYTE = 1_000_000

EBS_OPTIMIZED_DOCS = (
    _("Amazon EBS-optimized instances"),
    "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-optimized.html",
)
VOLUME_TYPES_DOCS = (
    _("Amazon EBS volume types"),
    "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volume-types.html",
)


@dataclass(frozen=True)
class InstanceType:
    optimization: str  # unsupported | supported | default
    max_throughput: float | None  # MB/s, None when the type has no dedicated EBS bandwidth

    @property
    def optimizable(self) -> bool:
        return self.optimization in ("supported", "default")


UNKNOWN_TYPE = InstanceType("unsupported", None)


def instance_types(env: Environment, region: str, names: Sequence[str]) -> dict[str, InstanceType]:
    """What EBS can do on each of `names`. Asked with a filter rather than by name, so a type
    EC2 no longer describes is simply missing instead of failing the whole call."""
    wanted = sorted(set(names))
    found: dict[str, InstanceType] = {}
    ec2 = env.client("ec2", region)
    for offset in range(0, len(wanted), 100):
        filters = [{"Name": "instance-type", "Values": wanted[offset : offset + 100]}]
        for described in paginate(ec2, "describe_instance_types", "InstanceTypes", Filters=filters):
            ebs = described.get("EbsInfo", {})
            info = ebs.get("EbsOptimizedInfo", {})
            throughput = info.get("MaximumThroughputInMBps")
            found[described["InstanceType"]] = InstanceType(
                ebs.get("EbsOptimizedSupport", "unsupported"),
                float(throughput) if throughput else None,
            )
    return found


def ebs_optimized(instance: dict[str, Any], kind: InstanceType) -> bool:
    """Whether the instance has dedicated EBS bandwidth: it was launched EBS-optimized, or its
    type always is."""
    return bool(instance.get("EbsOptimized")) or kind.optimization == "default"


def _cluster_compute(instance_type: str) -> bool:
    return instance_type.split(".")[0] in CLUSTER_COMPUTE_FAMILIES


def _volumes(env: Environment, region: str) -> list[dict[str, Any]]:
    ec2 = env.client("ec2", region)
    return sorted(paginate(ec2, "describe_volumes", "Volumes"), key=lambda v: v["VolumeId"])


def _volume_arn(env: Environment, region: str, volume_id: str) -> str:
    return arn("ec2", region, env.account_id, f"volume/{volume_id}")


def _attached(volume: dict[str, Any]) -> list[dict[str, Any]]:
    return [a for a in volume.get("Attachments", []) if a.get("State", "attached") == "attached"]


@check(
    "PPkZrjsH2q",
    name=_("Amazon EBS Provisioned IOPS (SSD) Volume Attachment Configuration"),
    lead=_(
        "Looks for Provisioned IOPS (SSD) volumes attached to an instance that could be "
        "EBS-optimized but is not. Such a volume only delivers the IOPS it is paid for over the "
        "dedicated bandwidth of an EBS-optimized instance."
    ),
    criteria=[
        _(
            "Yellow: a Provisioned IOPS (SSD) volume is attached to an instance that supports "
            "EBS optimization but does not have it turned on."
        ),
    ],
    action=_(
        "Turn on EBS optimization for the instance (stop it, change the attribute, start it), "
        "or move the volume to an instance that is EBS-optimized."
    ),
    resources=[EBS_OPTIMIZED_DOCS, VOLUME_TYPES_DOCS],
)
@regional
def provisioned_iops_attachments(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    provisioned = [
        v for v in _volumes(env, region) if v.get("VolumeType") in PROVISIONED_IOPS_TYPES
    ]
    if not any(_attached(v) for v in provisioned):
        return evaluation
    by_id = {i["InstanceId"]: i for i in instances(env, region)}
    kinds = instance_types(env, region, [i.get("InstanceType", "") for i in by_id.values()])
    for volume in provisioned:
        for attachment in _attached(volume):
            instance = by_id.get(attachment.get("InstanceId", ""))
            if instance is None:
                continue  # terminated since the volumes were listed
            evaluation.processed += 1
            instance_type = instance.get("InstanceType", "")
            kind = kinds.get(instance_type, UNKNOWN_TYPE)
            # `default` types are always optimized; `unsupported` ones never can be.
            if kind.optimization != "supported" or instance.get("EbsOptimized"):
                continue
            evaluation.rows.append(
                Row(
                    status=WARNING,
                    arn=_volume_arn(env, region, volume["VolumeId"]),
                    region=region,
                    key=f"{volume['VolumeId']}@{instance['InstanceId']}",
                    metadata=[
                        volume.get("AvailabilityZone") or region,
                        volume["VolumeId"],
                        tag_value(volume.get("Tags")),
                        attachment.get("Device"),
                        instance["InstanceId"],
                        instance_type,
                        yes_no(False),
                        colour(WARNING),
                    ],
                )
            )
    return evaluation


@dataclass(frozen=True)
class MagneticDay:
    """One day of a magnetic volume's hourly IOPS: no data (inactive), too little (N/A), or
    the median and how far the hours strayed from it."""

    hours: int
    median: float | None = None
    variation: float | None = None  # percent of the median

    @property
    def over(self) -> bool:
        return (
            self.median is not None
            and self.variation is not None
            and self.median > MAGNETIC_MEDIAN_IOPS
            and self.variation < MAGNETIC_VARIATION_PERCENT
        )

    @property
    def label(self) -> str | None:
        if self.hours == 0:
            return None
        if self.median is None or self.variation is None:
            return "N/A"
        return f"{self.median:.0f} / {self.variation:.0f}%"


def magnetic_day(iops: Sequence[float | None]) -> MagneticDay:
    """Judge one day from its hourly IOPS. The variation is the mean absolute deviation of the
    hours from the day's median, as a percentage of the median: a day whose hours all sit
    within a few percent of the median is steady demand, not a burst."""
    known = [value for value in iops if value is not None]
    if len(known) < MAGNETIC_MIN_HOURS:
        return MagneticDay(len(known))
    median = statistics.median(known)
    if median <= 0:
        return MagneticDay(len(known), median, 100.0)
    deviation = sum(abs(value - median) for value in known) / len(known)
    return MagneticDay(len(known), median, deviation / median * 100)


def _hourly_iops(read_ops: Series, write_ops: Series) -> list[float | None]:
    return [
        None if r is None and w is None else ((r or 0.0) + (w or 0.0)) / HOUR.total_seconds()
        for r, w in zip(read_ops, write_ops, strict=True)
    ]


@check(
    "k3J2hns32g",
    name=_("Overutilized Amazon EBS Magnetic Volumes"),
    lead=_(
        "Looks for magnetic (standard) volumes that serve steady, heavy I/O. A magnetic volume "
        "gives about 100 IOPS on average with best-effort bursts, so sustained demand near that "
        "rate is better served by an SSD volume. Each day's cell shows the median of its hourly "
        "IOPS and how far the hours strayed from it (N/A: too little data that day)."
    ),
    criteria=[
        _(
            # xgettext:no-python-format
            "Yellow: the magnetic volume is attached to an instance that can be EBS-optimized "
            "or is a cluster compute instance, and on at least 7 of the last 14 days its median "
            "hourly IOPS was above 95 while varying by less than 10% of that median."
        ),
    ],
    action=_(
        "Move steady workloads to a Provisioned IOPS (SSD) volume and bursty ones to a "
        "General Purpose (SSD) volume."
    ),
    resources=[
        VOLUME_TYPES_DOCS,
        (
            _("Modify an Amazon EBS volume using Elastic Volumes"),
            "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modify-volume.html",
        ),
    ],
)
@regional
def overutilized_magnetic_volumes(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    magnetic = [
        v for v in _volumes(env, region) if v.get("VolumeType") == MAGNETIC and _attached(v)
    ]
    if not magnetic:
        return evaluation
    by_id = {i["InstanceId"]: i for i in instances(env, region)}
    kinds = instance_types(env, region, [i.get("InstanceType", "") for i in by_id.values()])

    def eligible(volume: dict[str, Any]) -> bool:
        for attachment in _attached(volume):
            instance_type = by_id.get(attachment.get("InstanceId", ""), {}).get("InstanceType")
            if instance_type and (
                kinds.get(instance_type, UNKNOWN_TYPE).optimizable
                or _cluster_compute(instance_type)
            ):
                return True
        return False

    watched = [v for v in magnetic if eligible(v)]
    queries = [
        MetricQuery.of("AWS/EBS", metric, {"VolumeId": v["VolumeId"]}, "Sum")
        for v in watched
        for metric in IO_METRICS
    ]
    end = hour_start(env.now)
    start = end - MAGNETIC_DAYS * DAY
    answers = try_read(period_metrics, env, region, queries, start=start, end=end, period=HOUR)
    per_day = int(DAY / HOUR)
    for index, volume in enumerate(watched):
        series = known_series(answers, index * len(IO_METRICS), len(IO_METRICS))
        if series is None:
            evaluation.ignored += 1  # CloudWatch could not say how busy it was
            continue
        evaluation.processed += 1
        iops = _hourly_iops(*series)
        days = [magnetic_day(iops[d * per_day : (d + 1) * per_day]) for d in range(MAGNETIC_DAYS)]
        over = sum(1 for day in days if day.over)
        if over < MAGNETIC_DAYS_TO_FLAG:
            continue
        medians = [day.median for day in days if day.median is not None]
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=_volume_arn(env, region, volume["VolumeId"]),
                region=region,
                metadata=[
                    region,
                    volume["VolumeId"],
                    tag_value(volume.get("Tags")),
                    *[day.label for day in days],
                    str(over),
                    f"{max(medians):.0f}",
                    colour(WARNING),
                ],
            )
        )
    return evaluation


def near_max_share(throughput: Sequence[float], max_throughput: float) -> float:
    """The share of the periods whose throughput (MB/s) was above 95 % of the maximum."""
    if not throughput:
        return 0.0
    bar = THROUGHPUT_NEAR_MAX * max_throughput
    return sum(1 for value in throughput if value > bar) / len(throughput)


@check(
    "Bh2xRR2FGH",
    name=_("Amazon EC2 to EBS Throughput Optimization"),
    lead=_(
        "Compares, for each EBS-optimized instance, the combined throughput of its attached "
        "volumes with the dedicated EBS throughput of its instance type, in five-minute periods "
        "over the previous UTC day. Volumes that keep the link full are held back by the "
        "instance, not by their own limits."
    ),
    criteria=[
        _(
            # xgettext:no-python-format
            "Yellow: during more than half of the previous UTC day, the attached volumes "
            "together moved more than 95% of the instance type's maximum EBS throughput."
        ),
    ],
    action=_(
        "Move the instance to a type with more EBS bandwidth, or spread the volumes and their "
        "work over more instances."
    ),
    resources=[
        EBS_OPTIMIZED_DOCS,
        (
            _("Amazon CloudWatch metrics for Amazon EBS"),
            "https://docs.aws.amazon.com/ebs/latest/userguide/using_cloudwatch_ebs.html",
        ),
    ],
)
@regional
def ebs_throughput(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    attached: dict[str, list[str]] = {}  # instance id: the ids of its attached volumes
    for volume in _volumes(env, region):
        for attachment in _attached(volume):
            attached.setdefault(attachment.get("InstanceId", ""), []).append(volume["VolumeId"])
    live = [
        i
        for i in instances(env, region)
        if i["State"]["Name"] != "terminated" and attached.get(i["InstanceId"])
    ]
    if not live:
        return evaluation
    kinds = instance_types(env, region, [i.get("InstanceType", "") for i in live])
    watched = []  # (instance, its maximum throughput)
    for instance in live:
        kind = kinds.get(instance.get("InstanceType", ""), UNKNOWN_TYPE)
        if ebs_optimized(instance, kind) and kind.max_throughput:
            watched.append((instance, kind.max_throughput))
    queries = [
        MetricQuery.of("AWS/EBS", metric, {"VolumeId": volume_id}, "Sum")
        for instance, _max in watched
        for volume_id in attached[instance["InstanceId"]]
        for metric in BYTES_METRICS
    ]
    end = day_start(env.now)
    answers = try_read(
        period_metrics, env, region, queries, start=end - DAY, end=end, period=FIVE_MINUTES
    )
    seconds = FIVE_MINUTES.total_seconds()
    first = 0
    for instance, max_throughput in watched:
        count = len(attached[instance["InstanceId"]]) * len(BYTES_METRICS)
        series = known_series(answers, first, count)
        first += count
        if series is None:
            evaluation.ignored += 1  # CloudWatch could not say how busy it was
            continue
        evaluation.processed += 1
        # A period without data moved nothing.
        throughput = [
            sum(value or 0.0 for value in period) / seconds / MEGABYTE
            for period in zip(*series, strict=True)
        ]
        share = near_max_share(throughput, max_throughput)
        if share <= THROUGHPUT_SHARE_TO_FLAG:
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=arn("ec2", region, env.account_id, f"instance/{instance['InstanceId']}"),
                region=region,
                metadata=[
                    region,
                    instance["InstanceId"],
                    instance.get("InstanceType"),
                    colour(WARNING),
                    f"{share:.0%}",
                ],
            )
        )
    return evaluation
