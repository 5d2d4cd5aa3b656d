"""Helpers the check modules share: metadata formatting, paging, ages, CloudWatch series and
what to do when AWS refuses part of a check.

Metadata values are strings the way the real API sends them: money as `$230.40`, booleans as
`Yes`/`No`, times as `2024-05-01T10:00:00Z`, colours as `Green`/`Yellow`/`Red`.

Partial failures. A real account refuses some calls: an opt-in region that is not enabled
answers AuthFailure or OptInRequired, an organization policy denies a region or a bucket, a
bucket policy denies reading its own ACL, a busy API throttles past botocore's retries. None of
that should cost the whole check, so:

- `per_region` runs a check's work region by region (`regional` makes a check of a function of
  one region). A region that fails with a ClientError is left out and counted once in
  `Evaluation.ignored` (how many resources it holds is unknown); only when no region at all
  could be read does the error propagate, so the run is abandoned with AWS's message.
- `read_resource` / `try_read` wrap the calls made for one resource (or one batch). A resource
  AWS refuses to describe is counted as ignored; one that disappeared since it was listed is
  dropped. Errors of another kind (a malformed request is a bug) propagate.

Account-level calls (listing buckets or IAM users, the account summary) are not wrapped: when
they fail nothing could be read, and the error ends the run.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import partial, wraps
from typing import Any, ParamSpec, TypeVar

from botocore.exceptions import ClientError
from django.utils.translation import gettext_noop

from advisor.checks.base import (
    ERROR,
    OK,
    STATUS_COLOUR,
    WARNING,
    Environment,
    Evaluate,
    Evaluation,
)
from advisor.checks.regions import REGION_NAMES
from advisor.checks.texts import phrase
from connections.metrics import DAY, window_end

logger = logging.getLogger(__name__)

T = TypeVar("T")
P = ParamSpec("P")


# The words the real API writes for a flag and for a row's status (`STATUS_COLOUR`, with the
# limit checks' "Blue"), registered so the pages can translate them.
YES, NO = phrase(gettext_noop("Yes")), phrase(gettext_noop("No"))
for _colour in (gettext_noop("Green"), gettext_noop("Yellow"), gettext_noop("Red")):
    phrase(_colour)


def colour(status: str) -> str:
    """The `Status` column value for a row status."""
    return STATUS_COLOUR[status]


def money(amount: float) -> str:
    return f"${amount:.2f}"


def yes_no(flag: bool) -> str:
    return YES if flag else NO


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


# The account cannot use the region: an opt-in region that is not enabled (EC2 says AuthFailure
# or OptInRequired, JSON services UnrecognizedClientException, query services
# InvalidClientTokenId).
REGION_UNAVAILABLE_CODES = frozenset(
    {"AuthFailure", "OptInRequired", "UnrecognizedClientException", "InvalidClientTokenId"}
)
# The caller may not read this (IAM or an organization policy, a bucket policy, a KMS key).
ACCESS_DENIED_CODES = frozenset(
    {
        "AccessDenied",
        "AccessDeniedException",
        "AllAccessDisabled",
        "AuthorizationError",
        "Forbidden",
        "403",
        "UnauthorizedOperation",
    }
)
# Throttled past botocore's retries, or a fault on AWS's side.
TRANSIENT_CODES = frozenset(
    {
        "Throttling",
        "ThrottlingException",
        "ThrottledException",
        "RequestLimitExceeded",
        "RequestThrottled",
        "RequestThrottledException",
        "TooManyRequestsException",
        "SlowDown",
        "InternalError",
        "InternalFailure",
        "InternalServerError",
        "ServiceUnavailable",
        "Unavailable",
        "RequestTimeout",
        "500",
        "503",
    }
)
UNREADABLE_CODES = REGION_UNAVAILABLE_CODES | ACCESS_DENIED_CODES | TRANSIENT_CODES
# The resource was deleted between being listed and being read.
GONE_CODES = frozenset(
    {
        "404",
        "NotFound",
        "NoSuchBucket",
        "NoSuchEntity",
        "InvalidSnapshot.NotFound",
        "InvalidVolume.NotFound",
        "DBSnapshotNotFound",
        "DBSnapshotNotFoundFault",
        "DBClusterSnapshotNotFoundFault",
        "LoadBalancerNotFound",
        "TrailNotFoundException",
    }
)


def region_unavailable(error: ClientError) -> bool:
    """Whether `error` means the account cannot use the region at all."""
    return error_code(error) in REGION_UNAVAILABLE_CODES


def unreadable(error: ClientError) -> bool:
    """Whether `error` means this one resource's information is unavailable."""
    return error_code(error) in UNREADABLE_CODES


def gone(error: ClientError) -> bool:
    """Whether `error` means the resource no longer exists."""
    return error_code(error) in GONE_CODES


def try_read(read: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | None:
    """`read(*args, **kwargs)`, or None when it failed for one of the resource-level reasons
    (`unreadable`, `gone`): the caller decides what the missing information means. Other errors
    propagate."""
    try:
        return read(*args, **kwargs)
    except ClientError as error:
        if unreadable(error) or gone(error):
            logger.info("could not read a resource: %s", error)
            return None
        raise


def read_resource(
    evaluation: Evaluation, read: Callable[P, T], *args: P.args, **kwargs: P.kwargs
) -> T | None:
    """`read(*args, **kwargs)` for one resource, or None when the resource must be skipped: one
    AWS refused to describe is counted in `evaluation.ignored`, one that is gone is not counted
    at all. Other errors propagate."""
    try:
        return read(*args, **kwargs)
    except ClientError as error:
        if gone(error):
            logger.info("skipped a resource that is gone: %s", error)
            return None
        if unreadable(error):
            logger.info("ignored a resource whose information is unavailable: %s", error)
            evaluation.ignored += 1
            return None
        raise


def merge(total: Evaluation, part: Evaluation) -> None:
    """Add `part`'s rows and counts to `total`."""
    total.rows.extend(part.rows)
    total.processed += part.processed
    total.ignored += part.ignored
    total.monthly_cost += part.monthly_cost


def per_region(env: Environment, evaluate_region: Callable[[str], Evaluation]) -> Evaluation:
    """`evaluate_region` for each of `env.regions`, merged in region order.

    A region whose evaluation raises a ClientError contributes nothing but one ignored resource
    (a half-read region is dropped whole, so its rows never mislead). When every region failed,
    nothing was read: the error propagates (an access-denied one in preference to an opt-in
    one, as it says more) and the run is abandoned with AWS's message.
    """
    total = Evaluation()
    failures: list[ClientError] = []
    for region in env.regions:
        try:
            part = evaluate_region(region)
        except ClientError as error:
            logger.info("skipped region %s: %s", region, error)
            failures.append(error)
            total.ignored += 1
            continue
        merge(total, part)
    if failures and len(failures) == len(env.regions):
        telling = [e for e in failures if not region_unavailable(e)]
        raise (telling or failures)[0]
    return total


def regional(evaluate_region: Callable[[Environment, str], Evaluation]) -> Evaluate:
    """Decorator: the check that runs `evaluate_region(env, region)` for each of `env.regions`
    (`per_region`), so a region that cannot be read is left out and counted as ignored."""

    @wraps(evaluate_region)
    def evaluate(env: Environment) -> Evaluation:
        return per_region(env, partial(evaluate_region, env))

    return evaluate


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


@dataclass(frozen=True)
class MetricQuery:
    """One CloudWatch metric and the daily statistic wanted from it."""

    namespace: str
    metric: str
    dimensions: tuple[tuple[str, str], ...]
    statistic: str

    @classmethod
    def of(
        cls, namespace: str, metric: str, dimensions: Mapping[str, str], statistic: str
    ) -> MetricQuery:
        return cls(namespace, metric, tuple(dimensions.items()), statistic)


# GetMetricData takes at most 500 queries a call; ids must match ^[a-z][a-zA-Z0-9_]*$.
MAX_METRIC_QUERIES = 500
# Per-series status codes that mean CloudWatch could not produce the series.
METRIC_FAILURE_CODES = frozenset({"InternalError", "Forbidden"})

Series = list[float | None]


def daily_metrics(
    env: Environment, region: str, queries: Sequence[MetricQuery], *, days: int
) -> list[Series | None]:
    """One daily series per query, in query order, for the last `days` days ending at
    `env.now`, oldest first (`period_metrics` by the day)."""
    end = window_end(env.now)
    return period_metrics(env, region, queries, start=end - days * DAY, end=end, period=DAY)


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
    (i+1)·period), oldest first, every query of the region read with as few `get_metric_data`
    calls as the 500-query limit allows. `start` should fall on a period boundary CloudWatch
    keeps (midnight, a whole hour, a multiple of five minutes).

    A period without datapoints is None: the caller decides whether silence means zero. A whole
    series is None when CloudWatch reported it could not be computed. A failed call raises
    ClientError.
    """
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
        # A series can be split over several pages (StatusCode PartialData); `paginate`
        # follows NextToken, and each page adds its datapoints to the series of its id.
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


def known_series(
    answers: Sequence[Series | None] | None, first: int, count: int
) -> list[Series] | None:
    """The `count` series of one resource in a `daily_metrics` answer, starting at `first`; None
    when the batch could not be read (`answers` is None) or one of them is unavailable."""
    if answers is None:
        return None
    series = answers[first : first + count]
    known = [s for s in series if s is not None]
    return known if len(known) == count else None


def region_name(region: str) -> str:
    """The console's English name of `region` (the code itself for a region we don't name)."""
    return REGION_NAMES.get(region, region)
