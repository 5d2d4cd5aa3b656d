"""How the checks read AWS: per-region evaluation, single resources and CloudWatch metrics."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from botocore.exceptions import ClientError

from advisor.checks.base import Environment, Evaluation
from advisor.checks.helpers import (
    MAX_METRIC_QUERIES,
    MetricQuery,
    daily_metrics,
    error_code,
    per_region,
    read_resource,
    try_read,
)
from tests.advisor.check_helpers import ACCOUNT, NOW, _error, _Patched, _with_clients
from tests.advisor.conftest import AwsClient, MakeEnv, put_daily

# --- Regions -----------------------------------------------------------------------------------


def _fails_in(regions: dict[str, Exception]) -> Callable[[str], Evaluation]:
    def evaluate_region(region: str) -> Evaluation:
        if region in regions:
            raise regions[region]
        return Evaluation(rows=[], processed=2, monthly_cost=1.5)

    return evaluate_region


def _regions_env(*regions: str) -> Environment:
    return Environment(session=None, regions=regions, account_id=ACCOUNT, now=NOW)


@pytest.mark.parametrize(
    ("failures", "processed", "ignored"),
    [
        ({}, 6, 0),
        ({"ap-east-1": _error("OptInRequired")}, 4, 1),
        ({"ap-east-1": _error("AuthFailure"), "eu-west-1": _error("AccessDenied")}, 2, 2),
        ({"eu-west-1": _error("Throttling")}, 4, 1),
        ({"eu-west-1": _error("ValidationError")}, 4, 1),
    ],
)
def test_per_region_leaves_out_and_counts_the_regions_it_cannot_read(
    failures: dict[str, Exception], processed: int, ignored: int
) -> None:
    env = _regions_env("us-east-1", "eu-west-1", "ap-east-1")
    evaluation = per_region(env, _fails_in(failures))
    assert (evaluation.processed, evaluation.ignored) == (processed, ignored)
    assert evaluation.monthly_cost == pytest.approx(1.5 * (3 - len(failures)))


@pytest.mark.parametrize(
    ("codes", "raised"),
    [
        (("AccessDenied",), "AccessDenied"),
        (("OptInRequired", "AccessDenied"), "AccessDenied"),  # the one that says more
        (("AuthFailure", "UnauthorizedOperation"), "UnauthorizedOperation"),
        (("OptInRequired", "AuthFailure"), "OptInRequired"),
    ],
)
def test_per_region_raises_when_no_region_could_be_read(
    codes: tuple[str, ...], raised: str
) -> None:
    regions = [f"region-{index}" for index in range(len(codes))]
    failures: dict[str, Exception] = {
        region: _error(code) for region, code in zip(regions, codes, strict=True)
    }
    with pytest.raises(ClientError) as error:
        per_region(_regions_env(*regions), _fails_in(failures))
    assert error_code(error.value) == raised


def test_per_region_lets_other_exceptions_through() -> None:
    with pytest.raises(KeyError):
        per_region(_regions_env("us-east-1", "eu-west-1"), _fails_in({"eu-west-1": KeyError()}))


# --- Resources ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "ignored"),
    [
        ("AccessDenied", 1),
        ("AccessDeniedException", 1),
        ("UnauthorizedOperation", 1),
        ("Throttling", 1),
        ("RequestLimitExceeded", 1),
        ("SlowDown", 1),
        ("InternalError", 1),
        ("NoSuchBucket", 0),  # deleted since it was listed: not there to report
        ("InvalidSnapshot.NotFound", 0),
        ("DBSnapshotNotFound", 0),
    ],
)
def test_read_resource_skips_what_cannot_be_read(code: str, ignored: int) -> None:
    evaluation = Evaluation()

    def read(**params: Any) -> dict[str, Any]:
        raise _error(code)

    assert read_resource(evaluation, read, Bucket="b") is None
    assert try_read(read, Bucket="b") is None
    assert evaluation.ignored == ignored
    assert read_resource(evaluation, dict, answer=1) == {"answer": 1}


def test_read_resource_lets_other_errors_through() -> None:
    def read() -> None:
        raise _error("ValidationError")

    with pytest.raises(ClientError, match="ValidationError"):
        read_resource(Evaluation(), read)
    with pytest.raises(ClientError, match="ValidationError"):
        try_read(read)


# --- CloudWatch --------------------------------------------------------------------------------


def test_daily_metrics_batches_queries(
    aws_client: AwsClient, moto_endpoint: str, make_env: MakeEnv
) -> None:
    put_daily(
        aws_client("cloudwatch"),
        now=NOW,
        namespace="AWS/EBS",
        metric="VolumeReadOps",
        dimensions={"VolumeId": "vol-last"},
        values=[None, 5.0, 7.0],
    )
    queries = [
        MetricQuery.of("AWS/EBS", "VolumeReadOps", {"VolumeId": f"vol-{index}"}, "Sum")
        for index in range(MAX_METRIC_QUERIES)
    ]
    queries.append(MetricQuery.of("AWS/EBS", "VolumeReadOps", {"VolumeId": "vol-last"}, "Sum"))
    batches: list[int] = []

    def count(service: str, region: str, client: Any) -> Any:
        def get_metric_data(**params: Any) -> Any:
            batches.append(len(params["MetricDataQueries"]))
            assert all(q["Id"][0].islower() for q in params["MetricDataQueries"])
            return client.get_metric_data(**params)

        return _Patched(client, {"get_metric_data": get_metric_data})

    env = _with_clients(make_env(moto_endpoint, now=NOW), count)
    series = daily_metrics(env, "us-east-1", queries, days=3)
    assert batches == [MAX_METRIC_QUERIES, 1]
    assert series[0] == [None, None, None]
    assert series[-1] == [None, 5.0, 7.0]
    assert daily_metrics(env, "us-east-1", [], days=3) == []
    assert batches == [MAX_METRIC_QUERIES, 1]  # nothing to ask, no call


class _PagedCloudWatch:
    """A CloudWatch client whose get_metric_data answer comes in two pages: q0's datapoints
    split across them (PartialData), q1 Forbidden."""

    def __init__(self, start: datetime) -> None:
        self.start = start

    def can_paginate(self, operation: str) -> bool:
        return operation == "get_metric_data"

    def get_paginator(self, operation: str) -> Any:
        day = timedelta(days=1)
        first = {"Id": "q0", "StatusCode": "PartialData", "Timestamps": [self.start], "Values": [1]}
        second = {"Id": "q0", "StatusCode": "Complete", "Timestamps": [self.start + 2 * day]}
        second["Values"] = [3]
        forbidden = {"Id": "q1", "StatusCode": "Forbidden", "Timestamps": [], "Values": []}

        class Paginator:
            def paginate(self, **params: Any) -> Any:
                yield {"MetricDataResults": [first], "NextToken": "more"}
                yield {"MetricDataResults": [second, forbidden]}

        return Paginator()


def test_daily_metrics_joins_pages_and_reports_unavailable_series() -> None:
    end = NOW.replace(minute=0)
    cloudwatch = _PagedCloudWatch(start=end - timedelta(days=3))
    env = _regions_env("us-east-1")
    env.client = lambda service, region=None: cloudwatch  # type: ignore[method-assign]
    queries = [
        MetricQuery.of("AWS/EC2", "CPUUtilization", {"InstanceId": instance_id}, "Average")
        for instance_id in ("i-1", "i-2")
    ]
    assert daily_metrics(env, "us-east-1", queries, days=3) == [[1.0, None, 3.0], None]
