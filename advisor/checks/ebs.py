"""Amazon EBS checks: public snapshots, underused volumes and snapshot age.

Each check reads region by region (`regional`): a region that cannot be read is left out and
counted as ignored.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _
from django.utils.translation import gettext_noop

from advisor.checks import pricing
from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation, Row, check
from advisor.checks.ec2 import instances
from advisor.checks.helpers import (
    MetricQuery,
    Series,
    age_status,
    arn,
    colour,
    daily_metrics,
    known_series,
    money,
    paginate,
    read_resource,
    regional,
    tag_value,
    try_read,
    whole_days,
)
from advisor.checks.texts import phrase, phrase_template
from connections.metrics import DAY

SNAPSHOT_YELLOW_AFTER = timedelta(days=7)
SNAPSHOT_RED_AFTER = timedelta(days=30)
IDLE_DAYS = 7
# "Less than 1 IOPS per day": fewer operations in a day than one per second on average.
IDLE_OPS_PER_DAY = DAY.total_seconds()
IO_METRICS = ("VolumeReadOps", "VolumeWriteOps")

REASON_NO_SNAPSHOT = phrase(gettext_noop("The volume has no snapshot."))
REASON_OLD_SNAPSHOT = phrase_template(gettext_noop("The newest snapshot is {} days old."))

SNAPSHOT_DOCS = (
    _("Amazon EBS snapshots"),
    "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-snapshots.html",
)


def _volumes(env: Environment, region: str) -> list[dict[str, Any]]:
    ec2 = env.client("ec2", region)
    return sorted(paginate(ec2, "describe_volumes", "Volumes"), key=lambda v: v["VolumeId"])


def _snapshots(env: Environment, region: str) -> list[dict[str, Any]]:
    ec2 = env.client("ec2", region)
    found = paginate(ec2, "describe_snapshots", "Snapshots", OwnerIds=["self"])
    return sorted(found, key=lambda s: s["SnapshotId"])


def _newest_snapshots(snapshots: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """The most recent completed snapshot of each volume, by volume id."""
    newest: dict[str, dict[str, Any]] = {}
    for snapshot in snapshots:
        if snapshot.get("State", "completed") != "completed":
            continue
        current = newest.get(snapshot.get("VolumeId", ""))
        if current is None or snapshot["StartTime"] > current["StartTime"]:
            newest[snapshot.get("VolumeId", "")] = snapshot
    return newest


def _volume_arn(env: Environment, region: str, volume: dict[str, Any]) -> str:
    return arn("ec2", region, env.account_id, f"volume/{volume['VolumeId']}")


def _volume_columns(region: str, volume: dict[str, Any]) -> list[str | None]:
    """The Region, Volume ID and Volume Name columns."""
    return [region, volume["VolumeId"], tag_value(volume.get("Tags"))]


def _snapshot_columns(env: Environment, snapshot: dict[str, Any] | None) -> list[str | None]:
    """The Snapshot ID, Snapshot Name and Snapshot Age (whole days) columns of a volume's
    newest snapshot, all None when it has none."""
    if not snapshot:
        return [None, None, None]
    age = whole_days(env.now - snapshot["StartTime"])
    return [snapshot["SnapshotId"], tag_value(snapshot.get("Tags")), str(age)]


def snapshot_age_status(age: timedelta | None) -> str:
    """H7IgTzjTYb's colour for the newest snapshot's age (None: no snapshot)."""
    if age is None:
        return ERROR
    return age_status(age, yellow_after=SNAPSHOT_YELLOW_AFTER, red_after=SNAPSHOT_RED_AFTER)


@check(
    "ePs02jT06w",
    name=_("Amazon EBS Public Snapshots"),
    core=True,
    lead=_(
        "Looks for EBS snapshots anyone can copy or restore. A public snapshot hands the whole "
        "disk, with any data or credentials on it, to every AWS account."
    ),
    criteria=[_("Red: the snapshot's create-volume permission includes the group all.")],
    action=_(
        "Remove the public permission unless publishing the snapshot is intended, and share it "
        "with specific accounts instead. Turn on block public access for EBS snapshots."
    ),
    resources=[
        (
            _("Share an Amazon EBS snapshot"),
            "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-modifying-snapshot-permissions.html",
        ),
        SNAPSHOT_DOCS,
    ],
)
@regional
def public_snapshots(env: Environment, region: str) -> Evaluation:
    ec2 = env.client("ec2", region)
    # Every snapshot the account owns is looked at, so all of them count as processed.
    own = {snapshot["SnapshotId"] for snapshot in _snapshots(env, region)}
    # AWS narrows the list to the public ones itself, so the per-snapshot attribute calls below
    # stay few. moto ignores RestorableByUserIds and answers every snapshot, which is why each
    # candidate is still confirmed with its createVolumePermission attribute.
    candidates = sorted(
        (
            snapshot
            for snapshot in paginate(
                ec2,
                "describe_snapshots",
                "Snapshots",
                OwnerIds=["self"],
                RestorableByUserIds=["all"],
            )
            if snapshot["SnapshotId"] in own
        ),
        key=lambda s: s["SnapshotId"],
    )
    evaluation = Evaluation(processed=len(own))
    for snapshot in candidates:
        answer = read_resource(
            evaluation,
            ec2.describe_snapshot_attribute,
            SnapshotId=snapshot["SnapshotId"],
            Attribute="createVolumePermission",
        )
        if answer is None:  # ignored, or deleted since it was listed: not processed after all
            evaluation.processed -= 1
            continue
        permissions = answer.get("CreateVolumePermissions", [])
        if not any(p.get("Group") == "all" for p in permissions):
            continue
        evaluation.rows.append(
            Row(
                status=ERROR,
                # Snapshot ARNs carry no account id.
                arn=f"arn:aws:ec2:{region}::snapshot/{snapshot['SnapshotId']}",
                region=region,
                metadata=[
                    colour(ERROR),
                    region,
                    snapshot.get("VolumeId"),
                    snapshot["SnapshotId"],
                    snapshot.get("Description") or None,
                ],
            )
        )
    return evaluation


def _idle(read_ops: Series, write_ops: Series) -> bool:
    """No day of the last week with at least one I/O operation per second on average, from
    the volume's daily VolumeReadOps and VolumeWriteOps sums."""
    days = zip(read_ops, write_ops, strict=True)
    return all((read or 0.0) + (write or 0.0) < IDLE_OPS_PER_DAY for read, write in days)


@check(
    "DAvU99Dc4C",
    name=_("Underutilized Amazon EBS Volumes"),
    lead=_(
        "Looks for EBS volumes that are not attached to an instance or barely used. A volume is "
        "billed for its provisioned size whether or not anything reads or writes it."
    ),
    criteria=[
        _("Yellow: the volume is not attached to an instance."),
        _(
            "Yellow: the volume is attached but, apart from boot volumes, averaged less than one "
            "I/O operation per second on each of the last 7 days."
        ),
    ],
    action=_(
        "Take a snapshot of the volume if you may need its data later, then delete it, or "
        "move the data to a smaller or cheaper volume type."
    ),
    resources=[
        (
            _("Amazon EBS volumes"),
            "https://docs.aws.amazon.com/ebs/latest/userguide/ebs-volumes.html",
        ),
        (_("Amazon EBS pricing"), "https://aws.amazon.com/ebs/pricing/"),
    ],
)
@regional
def underutilized_volumes(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    volumes = _volumes(env, region)
    if not volumes:
        return evaluation
    roots = {(i["InstanceId"], i.get("RootDeviceName")) for i in instances(env, region)}
    newest = _newest_snapshots(_snapshots(env, region))

    def boot(volume: dict[str, Any]) -> bool:
        attachments = volume.get("Attachments", [])
        return any((a.get("InstanceId"), a.get("Device")) in roots for a in attachments)

    # Attached data volumes are judged on their I/O: one get_metric_data batch for the region.
    watched = [v["VolumeId"] for v in volumes if v.get("Attachments") and not boot(v)]
    queries = [
        MetricQuery.of("AWS/EBS", metric, {"VolumeId": volume_id}, "Sum")
        for volume_id in watched
        for metric in IO_METRICS
    ]
    answers = try_read(daily_metrics, env, region, queries, days=IDLE_DAYS)
    width = len(IO_METRICS)
    activity = {
        volume_id: known_series(answers, index * width, width)
        for index, volume_id in enumerate(watched)
    }
    for volume in volumes:
        if volume["VolumeId"] in activity:
            series = activity[volume["VolumeId"]]
            if series is None:
                evaluation.ignored += 1  # CloudWatch could not say how busy it was
                continue
            idle = _idle(*series)
        else:
            idle = not volume.get("Attachments")  # unattached: flagged; a boot volume: never
        evaluation.processed += 1
        monthly = pricing.ebs_monthly(volume.get("VolumeType", ""), int(volume["Size"]))
        evaluation.monthly_cost += monthly
        if not idle:
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=_volume_arn(env, region, volume),
                region=region,
                metadata=[
                    *_volume_columns(region, volume),
                    volume.get("VolumeType"),
                    str(volume["Size"]),
                    money(monthly),
                    *_snapshot_columns(env, newest.get(volume["VolumeId"])),
                ],
                savings=monthly,
            )
        )
    return evaluation


@check(
    "H7IgTzjTYb",
    name=_("Amazon EBS Snapshots"),
    lead=_(
        "Checks how old the newest snapshot of each EBS volume is. Recent snapshots let you "
        "restore a volume after a failure or a mistake without losing much data."
    ),
    criteria=[
        _("Yellow: the newest snapshot is between 7 and 30 days old."),
        _("Red: the newest snapshot is more than 30 days old."),
        _("Red: the volume has no snapshot."),
    ],
    action=_(
        "Snapshot volumes daily or weekly, for example with an Amazon Data Lifecycle Manager "
        "policy or AWS Backup."
    ),
    resources=[
        SNAPSHOT_DOCS,
        (
            _("Automate backups with Amazon Data Lifecycle Manager"),
            "https://docs.aws.amazon.com/ebs/latest/userguide/snapshot-lifecycle.html",
        ),
    ],
)
@regional
def snapshot_age(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    volumes = _volumes(env, region)
    if not volumes:
        return evaluation
    newest = _newest_snapshots(_snapshots(env, region))
    for volume in volumes:
        evaluation.processed += 1
        snapshot = newest.get(volume["VolumeId"])
        age = env.now - snapshot["StartTime"] if snapshot else None
        status = snapshot_age_status(age)
        if status == OK:
            continue
        days = whole_days(age) if age is not None else None
        attached = [a["InstanceId"] for a in volume.get("Attachments", [])]
        evaluation.rows.append(
            Row(
                status=status,
                arn=_volume_arn(env, region, volume),
                region=region,
                metadata=[
                    *_volume_columns(region, volume),
                    *_snapshot_columns(env, snapshot),
                    ", ".join(attached) or None,
                    colour(status),
                    REASON_NO_SNAPSHOT if days is None else REASON_OLD_SNAPSHOT.format(days),
                ],
            )
        )
    return evaluation
