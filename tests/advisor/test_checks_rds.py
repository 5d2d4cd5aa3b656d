"""The RDS checks (backups, Multi-AZ, idle instances, public snapshots) against moto."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

import pytest

from advisor.checks import pricing
from advisor.checks.base import ERROR, WARNING
from advisor.checks.rds import days_since_connection
from tests.advisor.check_helpers import ACCOUNT, by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv, put_daily


def _db(rds: Any, name: str, **options: Any) -> None:
    params = {
        "DBInstanceClass": "db.t3.medium",
        "Engine": "mysql",
        "MasterUsername": "admin",
        "MasterUserPassword": "password-123",
        "AllocatedStorage": 20,
    }
    rds.create_db_instance(DBInstanceIdentifier=name, **{**params, **options})


def test_rds_backups_and_multi_az(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    rds = aws_client("rds", "eu-west-1")
    _db(rds, "fragile", BackupRetentionPeriod=0, MultiAZ=False)
    _db(rds, "sturdy", BackupRetentionPeriod=7, MultiAZ=True)
    _db(rds, "mssql", Engine="sqlserver-se", BackupRetentionPeriod=1, MultiAZ=False)
    rds.create_db_cluster(
        DBClusterIdentifier="aurora",
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password-123",
    )
    # Aurora instances report MultiAZ false: their availability is the cluster's.
    rds.create_db_instance(
        DBInstanceIdentifier="aurora-1",
        DBInstanceClass="db.r5.large",
        Engine="aurora-mysql",
        DBClusterIdentifier="aurora",
    )
    env = make_env(moto_endpoint, regions=("us-east-1", "eu-west-1"))

    backups = run("opQPADkZvH", env)
    assert backups.processed == 4
    [row] = backups.rows
    assert row.status == ERROR
    assert row.region == "eu-west-1"
    assert row.arn == f"arn:aws:rds:eu-west-1:{ACCOUNT}:db:fragile"
    assert row.metadata[1:] == ["fragile", None, "0", "Red"]
    assert row.metadata[0].startswith("eu-west-1")

    multi_az = run("f2iK5R6Dep", env)
    assert multi_az.processed == 2  # neither SQL Server nor Aurora is evaluated
    assert [(r.status, r.metadata[1:]) for r in multi_az.rows] == [
        (WARNING, ["fragile", None, "No", "Yellow"])
    ]


def _created(rds: Any, name: str) -> datetime:
    [db] = rds.describe_db_instances(DBInstanceIdentifier=name)["DBInstances"]
    return db["InstanceCreateTime"]


@pytest.mark.parametrize(
    ("age", "flagged"),
    [(timedelta(hours=1), False), (timedelta(days=6, hours=23), False), (timedelta(days=8), True)],
)
def test_new_db_instance_is_not_idle_yet(
    age: timedelta, flagged: bool, aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    rds = aws_client("rds")
    _db(rds, "fresh")
    evaluation = run("Ti39halfu8", make_env(moto_endpoint, now=_created(rds, "fresh") + age))
    # Looked at (and priced) either way; flagged only once it has had a week to be used.
    assert (evaluation.processed, evaluation.ignored) == (1, 0)
    assert evaluation.monthly_cost == pricing.rds_monthly("db.t3.medium", 20, multi_az=False)
    assert [r.metadata[5] for r in evaluation.rows] == (["14+"] if flagged else [])


def test_days_since_connection() -> None:
    assert days_since_connection([None] * 14) is None
    assert days_since_connection([0.0] * 14) is None
    assert days_since_connection([0.0] * 13 + [3.0]) == 0
    assert days_since_connection([0.0] * 4 + [1.0] + [0.0] * 9) == 9


def test_idle_db_instances(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    rds = aws_client("rds")
    _db(rds, "silent")
    _db(rds, "forgotten", DBInstanceClass="db.m5.large", AllocatedStorage=100, MultiAZ=True)
    _db(rds, "used")
    # moto stamps InstanceCreateTime with the real clock; look a month after the creation.
    now = _created(rds, "used") + timedelta(days=30)
    cloudwatch = aws_client("cloudwatch")
    history = {
        "forgotten": [0.0] * 4 + [2.0] + [0.0] * 9,  # last connection 9 days ago
        "used": [0.0] * 13 + [12.0],
    }
    for name, values in history.items():
        put_daily(
            cloudwatch,
            now=now,
            namespace="AWS/RDS",
            metric="DatabaseConnections",
            dimensions={"DBInstanceIdentifier": name},
            values=values,
        )

    evaluation = run("Ti39halfu8", make_env(moto_endpoint, now=now))
    assert evaluation.processed == 3
    rows = by_name(evaluation, 1)
    assert set(rows) == {"silent", "forgotten"}
    silent = pricing.rds_monthly("db.t3.medium", 20, multi_az=False)
    forgotten = pricing.rds_monthly("db.m5.large", 100, multi_az=True)
    assert forgotten == round(2 * (0.171 * 730 + 100 * 0.115), 2)
    assert rows["silent"].metadata == [
        "us-east-1",
        "silent",
        "No",
        "db.t3.medium",
        "20",
        "14+",
        f"${silent:.2f}",
    ]
    assert rows["forgotten"].metadata[2:6] == ["Yes", "db.m5.large", "100", "9"]
    assert rows["forgotten"].savings == forgotten
    assert evaluation.monthly_cost == pytest.approx(2 * silent + forgotten)


def test_public_rds_snapshots(aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv) -> None:
    rds = aws_client("rds")
    _db(rds, "source")
    for name in ("shared-snap", "private-snap"):
        rds.create_db_snapshot(DBSnapshotIdentifier=name, DBInstanceIdentifier="source")
    rds.modify_db_snapshot_attribute(
        DBSnapshotIdentifier="shared-snap", AttributeName="restore", ValuesToAdd=["all"]
    )
    rds.create_db_cluster(
        DBClusterIdentifier="aurora",
        Engine="aurora-mysql",
        MasterUsername="admin",
        MasterUserPassword="password-123",
    )
    rds.create_db_cluster_snapshot(
        DBClusterSnapshotIdentifier="cluster-snap", DBClusterIdentifier="aurora"
    )
    rds.modify_db_cluster_snapshot_attribute(
        DBClusterSnapshotIdentifier="cluster-snap", AttributeName="restore", ValuesToAdd=["all"]
    )

    evaluation = run("rSs93HQwa1", make_env(moto_endpoint))
    assert evaluation.processed == 3
    assert sorted((r.arn, list(r.metadata)) for r in evaluation.rows) == [
        (
            f"arn:aws:rds:us-east-1:{ACCOUNT}:cluster-snapshot:cluster-snap",
            ["Red", "us-east-1", "aurora", "cluster-snap"],
        ),
        (
            f"arn:aws:rds:us-east-1:{ACCOUNT}:snapshot:shared-snap",
            ["Red", "us-east-1", "source", "shared-snap"],
        ),
    ]
