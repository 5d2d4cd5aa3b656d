"""Helpers the check modules share: metadata formatting, paging, ages and CloudWatch series.

Metadata values are strings the way the real API sends them: money as `$230.40`, booleans as
`Yes`/`No`, times as `2024-05-01T10:00:00Z`, colours as `Green`/`Yellow`/`Red`.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from botocore.exceptions import ClientError

from advisor.checks.base import ERROR, OK, STATUS_COLOUR, WARNING, Environment

DAY = timedelta(days=1)

# The console names of the regions, for the S3 check's "Region Name" column.
REGION_NAMES = {
    "us-east-1": "US East (N. Virginia)",
    "us-east-2": "US East (Ohio)",
    "us-west-1": "US West (N. California)",
    "us-west-2": "US West (Oregon)",
    "af-south-1": "Africa (Cape Town)",
    "ap-east-1": "Asia Pacific (Hong Kong)",
    "ap-south-1": "Asia Pacific (Mumbai)",
    "ap-northeast-1": "Asia Pacific (Tokyo)",
    "ap-northeast-2": "Asia Pacific (Seoul)",
    "ap-northeast-3": "Asia Pacific (Osaka)",
    "ap-southeast-1": "Asia Pacific (Singapore)",
    "ap-southeast-2": "Asia Pacific (Sydney)",
    "ca-central-1": "Canada (Central)",
    "eu-central-1": "Europe (Frankfurt)",
    "eu-west-1": "Europe (Ireland)",
    "eu-west-2": "Europe (London)",
    "eu-west-3": "Europe (Paris)",
    "eu-north-1": "Europe (Stockholm)",
    "eu-south-1": "Europe (Milan)",
    "me-south-1": "Middle East (Bahrain)",
    "sa-east-1": "South America (São Paulo)",
}


def colour(status: str) -> str:
    """The `Status` column value for a row status."""
    return STATUS_COLOUR[status]


def money(amount: float) -> str:
    return f"${amount:.2f}"


def yes_no(flag: bool) -> str:
    return "Yes" if flag else "No"


def timestamp(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def whole_days(age: timedelta) -> int:
    return max(age // DAY, 0)


def age_status(age: timedelta, *, yellow_after: timedelta, red_after: timedelta) -> str:
    """OK up to `yellow_after` inclusive, WARNING up to `red_after` inclusive, ERROR beyond."""
    if age > red_after:
        return ERROR
    if age > yellow_after:
        return WARNING
    return OK


def usage_status(usage: float, limit: float) -> str:
    """Service-limit colour: ERROR at 100 % of the limit, WARNING from 80 %, OK below."""
    if limit <= 0:
        return ERROR if usage > 0 else OK
    ratio = usage / limit
    if ratio >= 1:
        return ERROR
    if ratio >= 0.8:
        return WARNING
    return OK


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def tag_value(tags: list[dict[str, str]] | None, key: str = "Name") -> str | None:
    for tag in tags or ():
        if tag.get("Key") == key:
            return tag.get("Value")
    return None


def paginate(client: Any, operation: str, key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item under `key` across all pages (a single call when there is no paginator)."""
    if client.can_paginate(operation):
        for page in client.get_paginator(operation).paginate(**params):
            yield from page.get(key, [])
    else:
        yield from getattr(client, operation)(**params).get(key, [])


def arn(service: str, region: str | None, account: str, resource: str) -> str:
    return f"arn:aws:{service}:{region or ''}:{account}:{resource}"


def window_end(now: datetime) -> datetime:
    # CloudWatch rounds a start time within the last 15 days down to five minutes; a window that
    # starts on the hour is not moved, so day i of the series is exactly [start + i, start + i + 1).
    return now.replace(minute=0, second=0, microsecond=0)


def daily_series(
    env: Environment,
    region: str,
    *,
    namespace: str,
    metric: str,
    dimensions: Mapping[str, str],
    days: int,
    statistic: str,
) -> list[float | None]:
    """One value per day for the last `days` days ending at `env.now`, oldest first.

    A day without datapoints is None: the caller decides whether silence means zero.
    """
    end = window_end(env.now)
    start = end - days * DAY
    response = env.client("cloudwatch", region).get_metric_statistics(
        Namespace=namespace,
        MetricName=metric,
        Dimensions=[{"Name": name, "Value": value} for name, value in dimensions.items()],
        StartTime=start,
        EndTime=end,
        Period=int(DAY.total_seconds()),
        Statistics=[statistic],
    )
    series: list[float | None] = [None] * days
    for point in response.get("Datapoints", []):
        index = (point["Timestamp"] - start) // DAY
        if 0 <= index < days:
            series[index] = float(point[statistic])
    return series


def region_name(region: str) -> str:
    return REGION_NAMES.get(region, region)
