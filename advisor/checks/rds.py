"""Amazon RDS checks: public snapshots, idle instances, backups and Multi-AZ.

Every check reads region by region (`regional`): a region that cannot be read is left out and
counted as ignored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from operator import itemgetter
from typing import Any

from django.utils.translation import gettext_lazy as _

from advisor.checks import pricing
from advisor.checks.base import ERROR, WARNING, Environment, Evaluation, Row, check
from advisor.checks.helpers import (
    MetricQuery,
    colour,
    daily_metrics,
    known_series,
    money,
    paginate,
    read_resource,
    regional,
    try_read,
    yes_no,
)

IDLE_DAYS = 7
# How far back "days since last connection" looks; older than that shows as "14+".
CONNECTION_HISTORY_DAYS = 14
# An instance younger than the idle window has not had the chance to be used.
IDLE_GRACE = timedelta(days=IDLE_DAYS)

BACKUP_DOCS = (
    _("Introduction to backups"),
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_WorkingWithAutomatedBackups.html",
)
MULTI_AZ_DOCS = (
    _("Configuring and managing a Multi-AZ deployment for Amazon RDS"),
    "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/Concepts.MultiAZ.html",
)


@dataclass(frozen=True)
class SnapshotKind:
    """One kind of manual snapshot. RDS names the keys after the kind: DBSnapshotIdentifier,
    DBSnapshotArn, DBSnapshotAttributesResult..., and DBClusterSnapshot... for clusters."""

    name: str
    source: str  # the key of the DB instance or cluster the snapshot was taken from
    list_operation: str
    attributes_operation: str


SNAPSHOT_KINDS = (
    SnapshotKind(
        "DBSnapshot",
        "DBInstanceIdentifier",
        "describe_db_snapshots",
        "describe_db_snapshot_attributes",
    ),
    SnapshotKind(
        "DBClusterSnapshot",
        "DBClusterIdentifier",
        "describe_db_cluster_snapshots",
        "describe_db_cluster_snapshot_attributes",
    ),
)


def _instances(env: Environment, region: str) -> list[dict[str, Any]]:
    rds = env.client("rds", region)
    found = paginate(rds, "describe_db_instances", "DBInstances")
    return sorted(found, key=lambda i: i["DBInstanceIdentifier"])


def _instance_row(db: dict[str, Any], region: str, status: str, setting: str) -> Row:
    """A Backups or Multi-AZ row: Region/AZ, DB Instance, VPC ID, the setting, Status."""
    return Row(
        status=status,
        arn=db["DBInstanceArn"],
        region=region,
        metadata=[
            db.get("AvailabilityZone") or region,
            db["DBInstanceIdentifier"],
            (db.get("DBSubnetGroup") or {}).get("VpcId"),
            setting,
            colour(status),
        ],
    )


def _cluster_member(db: dict[str, Any]) -> bool:
    """Aurora instances (and the members of other DB clusters) get their availability from
    the cluster, not from their own Multi-AZ setting."""
    return str(db.get("Engine", "")).startswith("aurora") or bool(db.get("DBClusterIdentifier"))


def _restorable_by_all(attributes: list[dict[str, Any]]) -> bool:
    return any(
        a.get("AttributeName") == "restore" and "all" in a.get("AttributeValues", [])
        for a in attributes
    )


@check(
    "rSs93HQwa1",
    name=_("Amazon RDS Public Snapshots"),
    core=True,
    lead=_(
        "Looks for manual DB snapshots and DB cluster snapshots that any AWS account can "
        "restore. A public snapshot exposes the complete database."
    ),
    criteria=[_("Red: the snapshot can be restored by all AWS accounts.")],
    action=_(
        "Remove the value all from the snapshot's restore attribute and share it with named "
        "accounts instead."
    ),
    resources=[
        (
            _("Sharing a DB snapshot for Amazon RDS"),
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_ShareSnapshot.html",
        ),
    ],
)
@regional
def public_db_snapshots(env: Environment, region: str) -> Evaluation:
    # RDS has no filter for public snapshots, so each manual snapshot's attributes are read.
    # Automated snapshots cannot be shared, let alone made public; SnapshotType="manual" leaves
    # them (and snapshots other accounts share with this one) out.
    evaluation = Evaluation()
    rds = env.client("rds", region)
    for kind in SNAPSHOT_KINDS:
        id_key = f"{kind.name}Identifier"
        read_attributes = getattr(rds, kind.attributes_operation)
        snapshots = paginate(rds, kind.list_operation, f"{kind.name}s", SnapshotType="manual")
        for snapshot in sorted(snapshots, key=itemgetter(id_key)):
            answer = read_resource(evaluation, read_attributes, **{id_key: snapshot[id_key]})
            if answer is None:
                continue
            evaluation.processed += 1
            result = answer[f"{kind.name}AttributesResult"]
            if not _restorable_by_all(result.get(f"{kind.name}Attributes", [])):
                continue
            evaluation.rows.append(
                Row(
                    status=ERROR,
                    arn=snapshot[f"{kind.name}Arn"],
                    region=region,
                    metadata=[colour(ERROR), region, snapshot.get(kind.source), snapshot[id_key]],
                )
            )
    return evaluation


def days_since_connection(connections: list[float | None]) -> int | None:
    """Whole days since the last day with a connection, from a daily Maximum series (oldest
    first, the last entry ending now); None when there was none in the whole series."""
    for days_ago, value in enumerate(reversed(connections)):
        if value:
            return days_ago
    return None


@check(
    "Ti39halfu8",
    name=_("Amazon RDS Idle DB Instances"),
    lead=_(
        "Looks for available DB instances that nobody has connected to for a week. An idle "
        "instance is still billed for every hour it runs and for its storage."
    ),
    criteria=[_("Yellow: the DB instance has had no connection in the last 7 days.")],
    action=_(
        "Take a final snapshot and delete the instance, or stop it if it will be needed again "
        "soon (a stopped instance restarts by itself after seven days)."
    ),
    resources=[
        (
            _("Stopping an Amazon RDS DB instance temporarily"),
            "https://docs.aws.amazon.com/AmazonRDS/latest/UserGuide/USER_StopInstance.html",
        ),
        (_("Amazon RDS pricing"), "https://aws.amazon.com/rds/pricing/"),
    ],
)
@regional
def idle_db_instances(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    available = [db for db in _instances(env, region) if db.get("DBInstanceStatus") == "available"]
    # Only instances older than the idle window can be idle; their connection history is read
    # with one get_metric_data batch for the region.
    watched = [db for db in available if not _new(env, db)]
    queries = [
        MetricQuery.of(
            "AWS/RDS",
            "DatabaseConnections",
            {"DBInstanceIdentifier": db["DBInstanceIdentifier"]},
            "Maximum",
        )
        for db in watched
    ]
    answers = try_read(daily_metrics, env, region, queries, days=CONNECTION_HISTORY_DAYS)
    history = {
        db["DBInstanceIdentifier"]: known_series(answers, index, 1)
        for index, db in enumerate(watched)
    }
    for db in available:
        name = db["DBInstanceIdentifier"]
        if name in history and history[name] is None:
            evaluation.ignored += 1  # CloudWatch could not say when it was last used
            continue
        evaluation.processed += 1
        multi_az = bool(db.get("MultiAZ"))
        storage = int(db.get("AllocatedStorage") or 0)
        monthly = pricing.rds_monthly(db["DBInstanceClass"], storage, multi_az=multi_az)
        evaluation.monthly_cost += monthly
        series = history.get(name)
        if series is None:  # created in the last week
            continue
        # CloudWatch records zero for an idle instance; a day without data counts as idle.
        days = days_since_connection(series[0])
        if days is not None and days < IDLE_DAYS:
            continue
        evaluation.rows.append(
            Row(
                status=WARNING,
                arn=db["DBInstanceArn"],
                region=region,
                metadata=[
                    region,
                    name,
                    yes_no(multi_az),
                    db["DBInstanceClass"],
                    str(storage),
                    f"{CONNECTION_HISTORY_DAYS}+" if days is None else str(days),
                    money(monthly),
                ],
                savings=monthly,
            )
        )
    return evaluation


def _new(env: Environment, db: dict[str, Any]) -> bool:
    created = db.get("InstanceCreateTime")
    return created is not None and env.now - created < IDLE_GRACE


@check(
    "opQPADkZvH",
    name=_("Amazon RDS Backups"),
    lead=_(
        "Checks that automated backups are turned on for each DB instance. Without them you "
        "cannot restore the database to a point in time."
    ),
    criteria=[_("Red: the backup retention period is 0 days, so automated backups are off.")],
    action=_(
        "Set a backup retention period of at least 7 days, ideally during a maintenance window "
        "since the change can briefly interrupt the instance."
    ),
    resources=[BACKUP_DOCS],
)
@regional
def db_backups(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    for db in _instances(env, region):
        evaluation.processed += 1
        retention = int(db.get("BackupRetentionPeriod") or 0)
        if retention > 0:
            continue
        evaluation.rows.append(_instance_row(db, region, ERROR, str(retention)))
    return evaluation


@check(
    "f2iK5R6Dep",
    name=_("Amazon RDS Multi-AZ"),
    lead=_(
        "Checks whether DB instances run in a single Availability Zone. A Multi-AZ deployment "
        "keeps a standby in another zone and fails over to it automatically."
    ),
    criteria=[_("Yellow: the DB instance is deployed in a single Availability Zone.")],
    action=_(
        "Convert production databases to Multi-AZ. The change doubles the instance cost, so "
        "weigh it for development databases."
    ),
    resources=[MULTI_AZ_DOCS],
)
@regional
def db_multi_az(env: Environment, region: str) -> Evaluation:
    evaluation = Evaluation()
    for db in _instances(env, region):
        # SQL Server's Multi-AZ (mirroring / Always On) is not evaluated, as in TA; a cluster
        # member's availability is the cluster's.
        if str(db.get("Engine", "")).startswith("sqlserver") or _cluster_member(db):
            continue
        evaluation.processed += 1
        if db.get("MultiAZ"):
            continue
        evaluation.rows.append(_instance_row(db, region, WARNING, yes_no(False)))
    return evaluation
