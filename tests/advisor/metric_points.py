"""Writing CloudWatch history at periods shorter than a day, for the checks that read
`advisor.checks.metric_periods.period_metrics`."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any


def put_periods(
    cloudwatch: Any,
    *,
    start: datetime,
    period: timedelta,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    values: Sequence[float | None],
    unit: str = "None",
) -> None:
    """Write values[i] inside period i of the window starting at `start` (None: no data)."""
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Timestamp": start + index * period + period / 2,
            "Value": value,
            "Unit": unit,
        }
        for index, value in enumerate(values)
        if value is not None
    ]
    for offset in range(0, len(data), 1000):  # PutMetricData takes at most 1000 points
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data[offset : offset + 1000])
