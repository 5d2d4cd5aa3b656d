"""CloudWatch series at periods shorter than a day, for the checks whose criteria look inside a
day: hourly CPU of Redshift clusters, hourly IOPS of magnetic volumes, five-minute throughput of
the volumes behind an instance.

`period_metrics` is `helpers.daily_metrics` with any period and window: one series per query,
every query of a region in as few `get_metric_data` calls as the 500-query limit allows. A
period without datapoints is None (the caller decides whether silence means zero); a whole
series is None when CloudWatch reported it could not be computed.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta

from advisor.checks.base import Environment
from advisor.checks.helpers import (
    MAX_METRIC_QUERIES,
    METRIC_FAILURE_CODES,
    MetricQuery,
    Series,
    paginate,
)

HOUR = timedelta(hours=1)
FIVE_MINUTES = timedelta(minutes=5)


def period_metrics(
    env: Environment,
    region: str,
    queries: Sequence[MetricQuery],
    *,
    start: datetime,
    end: datetime,
    period: timedelta,
) -> list[Series | None]:
    """One series per query, in query order: entry i covers [start + i·period, start +
    (i+1)·period), oldest first. `start` should fall on a period boundary CloudWatch keeps
    (a whole hour, a multiple of five minutes). A failed call raises ClientError."""
    count = (end - start) // period
    series: list[Series] = [[None] * count for _query in queries]
    failed: set[int] = set()
    cloudwatch = env.client("cloudwatch", region)
    for offset in range(0, len(queries), MAX_METRIC_QUERIES):
        batch = queries[offset : offset + MAX_METRIC_QUERIES]
        metric_queries = [
            {
                "Id": f"q{offset + index}",
                "MetricStat": {
                    "Metric": {
                        "Namespace": query.namespace,
                        "MetricName": query.metric,
                        "Dimensions": [
                            {"Name": name, "Value": value} for name, value in query.dimensions
                        ],
                    },
                    "Period": int(period.total_seconds()),
                    "Stat": query.statistic,
                },
                "ReturnData": True,
            }
            for index, query in enumerate(batch)
        ]
        results = paginate(
            cloudwatch,
            "get_metric_data",
            "MetricDataResults",
            MetricDataQueries=metric_queries,
            StartTime=start,
            EndTime=end,
            ScanBy="TimestampAscending",
        )
        for result in results:
            position = int(result["Id"][1:])
            if result.get("StatusCode") in METRIC_FAILURE_CODES:
                failed.add(position)
            for moment, value in zip(
                result.get("Timestamps", []), result.get("Values", []), strict=False
            ):
                slot = (moment - start) // period
                if 0 <= slot < count:
                    series[position][slot] = float(value)
    return [None if position in failed else values for position, values in enumerate(series)]


def hour_start(moment: datetime) -> datetime:
    return moment.replace(minute=0, second=0, microsecond=0)


def day_start(moment: datetime) -> datetime:
    """Midnight UTC of `moment`'s day."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)
