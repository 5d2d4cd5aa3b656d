"""The underutilized Redshift cluster check against moto, with its thresholds at the boundary."""

from __future__ import annotations

from datetime import UTC, timedelta
from typing import Any

import pytest
from moto.redshift.models import redshift_backends

from advisor.checks import pricing
from advisor.checks.base import WARNING
from advisor.checks.metric_periods import HOUR, hour_start
from advisor.checks.redshift import (
    REASON_LOW_CPU,
    REASON_NO_CONNECTIONS,
    low_cpu,
    never_connected,
)
from tests.advisor.check_helpers import ACCOUNT, NOW, by_name, run
from tests.advisor.conftest import AwsClient, MakeEnv
from tests.advisor.metric_points import put_periods

HOURS = 7 * 24


@pytest.mark.parametrize(
    ("cpu", "low"),
    [
        ([1.0] * HOURS, True),
        ([1.0] * 167 + [50.0], True),  # 167 of 168 hours: 99.4 %
        ([1.0] * 166 + [50.0] * 2, False),  # 98.8 %
        ([4.99] * 99 + [5.0], True),  # 99 of 100 measured hours: exactly 99 %
        ([4.99] * 98 + [5.0] * 2, False),  # 5 % itself is not below 5 %
        ([None] * HOURS, False),  # nothing measured
        ([None] * 100 + [2.0] * 68, True),
    ],
)
def test_low_cpu(cpu: list[float | None], low: bool) -> None:
    assert low_cpu(cpu) is low


@pytest.mark.parametrize(
    ("connections", "idle"),
    [
        ([0.0] * HOURS, True),
        ([None] * HOURS, True),  # no data: nobody connected
        ([0.0] * 167 + [1.0], False),
        ([1.0] + [None] * 167, False),
    ],
)
def test_never_connected(connections: list[float | None], idle: bool) -> None:
    assert never_connected(connections) is idle


def _cluster(redshift: Any, name: str, nodes: int = 1, *, age: timedelta | None = None) -> None:
    redshift.create_cluster(
        ClusterIdentifier=name,
        NodeType="dc2.large",
        MasterUsername="admin",
        MasterUserPassword="Password-1",
        ClusterType="multi-node" if nodes > 1 else "single-node",
        NumberOfNodes=nodes,
    )
    if age is not None:
        # moto stamps the real clock and has no API to change it (see connections.sample).
        cluster = redshift_backends[ACCOUNT]["us-east-1"].clusters[name]
        cluster.create_time = (NOW - age).astimezone(UTC).replace(tzinfo=None)


def test_underutilized_clusters(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    redshift, cloudwatch = aws_client("redshift"), aws_client("cloudwatch")
    month = timedelta(days=30)
    _cluster(redshift, "idle", 2, age=month)
    _cluster(redshift, "busy", age=month)
    _cluster(redshift, "lazy", age=month)
    _cluster(redshift, "lazy-enough", age=month)
    _cluster(redshift, "fresh", age=timedelta(days=6))  # too young to judge
    start = hour_start(NOW) - 7 * 24 * HOUR

    def put(name: str, metric: str, values: list[float | None]) -> None:
        put_periods(
            cloudwatch,
            start=start,
            period=HOUR,
            namespace="AWS/Redshift",
            metric=metric,
            dimensions={"ClusterIdentifier": name},
            values=values,
        )

    put("idle", "DatabaseConnections", [0.0] * HOURS)
    put("idle", "CPUUtilization", [30.0] * HOURS)
    put("busy", "DatabaseConnections", [4.0] * HOURS)
    put("busy", "CPUUtilization", [60.0] * HOURS)
    # Connected once, otherwise the CPU sat under 5 % for 167 of 168 hours.
    put("lazy", "DatabaseConnections", [0.0] * 167 + [1.0])
    put("lazy", "CPUUtilization", [2.0] * 167 + [40.0])
    # 166 of 168 hours: under 99 %.
    put("lazy-enough", "DatabaseConnections", [1.0] * HOURS)
    put("lazy-enough", "CPUUtilization", [2.0] * 166 + [40.0] * 2)
    put("fresh", "DatabaseConnections", [0.0] * HOURS)

    evaluation = run("G31sQ1E9U", make_env(moto_endpoint, now=NOW))
    assert evaluation.processed == 5
    single = pricing.redshift_monthly("dc2.large", 1)
    assert single == 182.5
    assert evaluation.monthly_cost == pytest.approx(6 * single)  # idle has two nodes
    rows = by_name(evaluation, 2)
    assert set(rows) == {"idle", "lazy"}
    assert rows["idle"].metadata == [
        "Yellow",
        "us-east-1",
        "idle",
        "dc2.large",
        REASON_NO_CONNECTIONS,
        "$365.00",
    ]
    assert (rows["idle"].status, rows["idle"].savings) == (WARNING, 365.0)
    assert rows["idle"].arn == f"arn:aws:redshift:us-east-1:{ACCOUNT}:cluster:idle"
    assert rows["lazy"].metadata[4] == REASON_LOW_CPU
    assert rows["lazy"].savings == single


def test_both_reasons_and_paused_clusters(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    redshift = aws_client("redshift")
    _cluster(redshift, "forgotten", age=timedelta(days=30))
    _cluster(redshift, "paused", age=timedelta(days=30))
    redshift.pause_cluster(ClusterIdentifier="paused")
    put_periods(
        aws_client("cloudwatch"),
        start=hour_start(NOW) - 7 * 24 * HOUR,
        period=HOUR,
        namespace="AWS/Redshift",
        metric="CPUUtilization",
        dimensions={"ClusterIdentifier": "forgotten"},
        values=[0.5] * HOURS,
    )
    evaluation = run("G31sQ1E9U", make_env(moto_endpoint, now=NOW))
    assert evaluation.processed == 1  # a paused cluster is not running
    [row] = evaluation.rows
    assert row.metadata[4] == f"{REASON_NO_CONNECTIONS}; {REASON_LOW_CPU}"
