"""Fixtures for computing Trusted Advisor checks against moto.

- `moto_server_url` (session, tests/conftest.py): one ThreadedMotoServer for the whole run.
- `moto_endpoint`: that server's URL, wiped (`POST /moto-api/reset`) before the test.
- `make_env(endpoint, regions=("us-east-1",), now=None)`: an `advisor.checks.base.Environment`
  for moto's account; `make_environment` is the same function for direct import.
- `aws_client(service, region="us-east-1")`: a boto3 client on the reset server, for setup.
- `console_specs`: only console_data's few specs are registered (the console view tests use it
  on every test); `root_client`: the test client signed in as `business_account`'s root.

moto keeps its state per process, not per server: every in-process moto server (the sample's
included) sees the same resources, and a reset wipes them all.
"""

from __future__ import annotations

import os

os.environ.setdefault("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")

from collections.abc import Callable, Iterator, Sequence  # noqa: E402
from datetime import datetime  # noqa: E402
from functools import cache  # noqa: E402
from typing import Any  # noqa: E402

import boto3  # noqa: E402
import pytest  # noqa: E402
import requests  # noqa: E402
from django.test import Client  # noqa: E402
from django.utils import timezone  # noqa: E402

from accounts.models import Account  # noqa: E402
from advisor.checks.base import Environment  # noqa: E402
from connections.metrics import DAY, window_end  # noqa: E402
from connections.sample import SAMPLE_ACCOUNT_ID, SAMPLE_CREDENTIALS  # noqa: E402
from tests import factories  # noqa: E402
from tests.advisor import console_data as data  # noqa: E402

MakeEnv = Callable[..., Environment]
AwsClient = Callable[..., Any]


@cache
def _session() -> boto3.Session:
    # One session for the run: its loader caches the service models, so building clients for
    # each test's Environment stays cheap.
    return boto3.Session(**SAMPLE_CREDENTIALS)


def make_environment(
    endpoint: str, regions: Sequence[str] = ("us-east-1",), now: datetime | None = None
) -> Environment:
    """An Environment for moto's account at `endpoint` (now defaults to the current time)."""
    return Environment(
        session=_session(),
        regions=regions,
        account_id=SAMPLE_ACCOUNT_ID,
        now=now or timezone.now(),
        endpoint_url=endpoint,
    )


def put_daily(
    cloudwatch: Any,
    *,
    now: datetime,
    namespace: str,
    metric: str,
    dimensions: dict[str, str],
    values: Sequence[float | None],
    unit: str = "None",
) -> None:
    """Write values[i] into day i of a len(values)-day window ending at `now` (None: no data),
    the window the checks' `daily_metrics` reads."""
    start = window_end(now) - len(values) * DAY
    data = [
        {
            "MetricName": metric,
            "Dimensions": [{"Name": k, "Value": v} for k, v in dimensions.items()],
            "Timestamp": start + index * DAY + DAY / 2,
            "Value": value,
            "Unit": unit,
        }
        for index, value in enumerate(values)
        if value is not None
    ]
    if data:
        cloudwatch.put_metric_data(Namespace=namespace, MetricData=data)


@pytest.fixture
def moto_endpoint(moto_server_url: str) -> str:
    requests.post(f"{moto_server_url}/moto-api/reset", timeout=10).raise_for_status()
    return moto_server_url


@pytest.fixture
def make_env() -> MakeEnv:
    return make_environment


@pytest.fixture
def aws_client(moto_endpoint: str) -> AwsClient:
    def client(service: str, region: str = "us-east-1") -> Any:
        return _session().client(service, region_name=region, endpoint_url=moto_endpoint)

    return client


@pytest.fixture
def console_specs() -> Iterator[None]:
    with data.registry(data.default_specs()):
        yield


@pytest.fixture
def root_client(client: Client, business_account: Account) -> Client:
    client.force_login(factories.root_of(business_account))
    return client
