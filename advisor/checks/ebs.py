"""Amazon EBS checks: public snapshots, underused volumes and snapshot age."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.utils.translation import gettext_lazy as _

from advisor.checks import pricing
from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation, Row, check
from advisor.checks.ec2 import instances
from advisor.checks.helpers import (
    DAY,
    age_status,
    arn,
    colour,
    daily_series,
    money,
    paginate,
    tag_value,
    whole_days,
)

SNAPSHOT_YELLOW_AFTER = timedelta(days=7)
SNAPSHOT_RED_AFTER = timedelta(days=30)
IDLE_DAYS = 7
# "Less than 1 IOPS per day": fewer operations in a day than one per second on average.
IDLE_OPS_PER_DAY = DAY.total_seconds()

REASON_NO_SNAPSHOT = "The volume has no snapshot."
REASON_OLD_SNAPSHOT = "The newest snapshot is {} days old."

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
def public_snapshots(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    for region in env.regions:
        ec2 = env.client("ec2", region)
        for snapshot in _snapshots(env, region):
            evaluation.processed += 1
            permissions = ec2.describe_snapshot_attribute(
                SnapshotId=snapshot["SnapshotId"], Attribute="createVolumePermission"
            ).get("CreateVolumePermissions", [])
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


def _idle(env: Environment, region: str, volume_id: str) -> bool:
    """No day of the last week with at least one I/O operation per second on average."""
    totals = [0.0] * IDLE_DAYS
    for metric in ("VolumeReadOps", "VolumeWriteOps"):
        series = daily_series(
            env,
            region,
            namespace="AWS/EBS",
            metric=metric,
            dimensions={"VolumeId": volume_id},
            days=IDLE_DAYS,
            statistic="Sum",
        )
        totals = [total + (value or 0.0) for total, value in zip(totals, series, strict=True)]
    return all(total < IDLE_OPS_PER_DAY for total in totals)


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
def underutilized_volumes(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    for region in env.regions:
        volumes = _volumes(env, region)
        if not volumes:
            continue
        roots = {(i["InstanceId"], i.get("RootDeviceName")) for i in instances(env, region)}
        newest = _newest_snapshots(_snapshots(env, region))
        for volume in volumes:
            evaluation.processed += 1
            monthly = pricing.ebs_monthly(volume.get("VolumeType", ""), int(volume["Size"]))
            evaluation.monthly_cost += monthly
            attachments = volume.get("Attachments", [])
            if attachments:
                boot = any((a.get("InstanceId"), a.get("Device")) in roots for a in attachments)
                if boot or not _idle(env, region, volume["VolumeId"]):
                    continue
            snapshot = newest.get(volume["VolumeId"])
            evaluation.rows.append(
                Row(
                    status=WARNING,
                    arn=arn("ec2", region, env.account_id, f"volume/{volume['VolumeId']}"),
                    region=region,
                    metadata=[
                        region,
                        volume["VolumeId"],
                        tag_value(volume.get("Tags")),
                        volume.get("VolumeType"),
                        str(volume["Size"]),
                        money(monthly),
                        snapshot["SnapshotId"] if snapshot else None,
                        tag_value(snapshot.get("Tags")) if snapshot else None,
                        str(whole_days(env.now - snapshot["StartTime"])) if snapshot else None,
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
def snapshot_age(env: Environment) -> Evaluation:
    evaluation = Evaluation()
    for region in env.regions:
        volumes = _volumes(env, region)
        if not volumes:
            continue
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
                    arn=arn("ec2", region, env.account_id, f"volume/{volume['VolumeId']}"),
                    region=region,
                    metadata=[
                        region,
                        volume["VolumeId"],
                        tag_value(volume.get("Tags")),
                        snapshot["SnapshotId"] if snapshot else None,
                        tag_value(snapshot.get("Tags")) if snapshot else None,
                        None if days is None else str(days),
                        ", ".join(attached) or None,
                        colour(status),
                        REASON_NO_SNAPSHOT if days is None else REASON_OLD_SNAPSHOT.format(days),
                    ],
                )
            )
    return evaluation
