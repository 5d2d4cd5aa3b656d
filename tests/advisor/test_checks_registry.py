"""Every registered Trusted Advisor check: its catalog facts, and the sample run against moto."""

from __future__ import annotations

from collections import Counter
from typing import Any

import pytest
from botocore.exceptions import ClientError
from django.utils import timezone
from django.utils.functional import Promise

from advisor.checks import REGISTRY
from advisor.checks.base import ERROR, Environment, catalog
from advisor.checks.helpers import MAX_METRIC_QUERIES
from connections import sample
from connections.sample import SAMPLE_REGIONS
from tests.advisor.check_helpers import ACCOUNT, NOW, _error, _Patched, _with_clients, run
from tests.advisor.conftest import MakeEnv

COLOURS = {"Green", "Yellow", "Red"}
CORE = {
    "Pfx0RwqBli",
    "HCP4007jGY",
    "zXCkfM1nI3",
    "7DAFEmoDos",
    "ePs02jT06w",
    "rSs93HQwa1",
    "qS7VV0l7J9",
    "oQ7TT0l7J9",
    "sU7XX0l7J9",
    "nO7SS0l7J9",
    "pR7UU0l7J9",
    "rT7WW0l7J9",
    "jL7PP0l7J9",
    "kM7QQ0l7J9",
    "lN7RR0l7J9",
    # Service limits are core on every plan (advisor.checks.limits_*).
    "0Xc6LMYG8P",
    "fW7HH0l7J9",
    "aW7HH0l7J9",
    "gW7HH0l7J9",
    "iK7OO0l7J9",
    "EM8b3yLRTr",
    "8wIqYSt25K",
    "dH7RR0l6J9",
    "gI7MM0l7J9",
    "cG7HH0l7J9",
    "wH7DD0l3J9",
    "gH5CC0e3J9",
    "tV7YY0l7J9",
    "eI7KK0l7J9",
    "6gtQddfEw6",
    "c5ftjdfkMr",
    "bW7HH0l7J9",
    "hJ7NN0l7J9",
    "dx3xfcdfMr",
    "ru4xfcdfMr",
    "ty3xfcdfMr",
    "XG0aXHpIEt",
    "gjqMBn6pjz",
    "jtlIMO3qZM",
    "jEECYg2YVU",
    "dYWBaXaaMM",
    "jEhCtdJKOY",
    "keAhfbH5yb",
    "dV84wpqRUs",
    "P1jhKWEmLa",
    "pYW8UkYz2w",
    "gfZAn3W7wl",
    "dBkuNCvqn5",
    "7fuccf1Mx7",
}


# --- Catalog facts -----------------------------------------------------------------------------


def test_registered_checks_match_the_catalog() -> None:
    assert len(REGISTRY) >= 20
    facts = catalog()
    for check_id, spec in REGISTRY.items():
        assert check_id in facts
        assert str(spec.name) == facts[check_id]["name"]
        assert spec.category == facts[check_id]["category"]
        assert list(spec.metadata) == facts[check_id]["metadata"]
        # Our own wording, translatable later.
        for text in (spec.name, spec.lead, spec.action, *spec.criteria):
            assert isinstance(text, Promise)
        colours = {str(c).split(":")[0] for c in spec.criteria}
        # Blue is the service limits' "unable to retrieve utilization or limits".
        assert colours <= ({"Green", "Yellow", "Red", "Blue"} if "Blue" in colours else COLOURS)
        assert "Blue" not in colours or spec.category == "service_limits"
        assert spec.resources
        assert all(
            url.startswith("https://") and "aws.amazon.com" in url for _, url in spec.resources
        )
        html = spec.description_html()
        for section in ("Alert Criteria", "Recommended Action", "Additional Resources"):
            assert section in html
        # Links are separated by real line breaks, not escaped markup.
        assert "&lt;" not in html
        assert html.count("<a href=") == len(spec.resources)
    assert {i for i, spec in REGISTRY.items() if spec.core} == CORE


# --- Errors ------------------------------------------------------------------------------------


# Checks that read no region: IAM, S3, Route 53 and CloudFront are global, and S3 buckets are
# read in their own region.
GLOBAL_CHECKS = {
    "B913Ef6fb4",
    "b73EEdD790",
    "C056F80cR3",
    "Cb877eB72b",
    "c9D319e7sG",
    "cF171Db240",
    "N425c450f2",
    "N415c450f2",
    "7DAFEmoDos",
    "zXCkfM1nI3",
    "Yw2K9puPzl",
    "DqdJqYeRm5",
    "Pfx0RwqBli",
    "R365s2Qddf",
    "BueAdJ7NrP",
    "qS7VV0l7J9",
    "oQ7TT0l7J9",
    "sU7XX0l7J9",
    "nO7SS0l7J9",
    "pR7UU0l7J9",
    "rT7WW0l7J9",
    "dx3xfcdfMr",
    "ru4xfcdfMr",
    "ty3xfcdfMr",
    # Route 53 and CloudFront are global.
    "51fC20e7I2",
}


class _Refusing:
    """A client whose every call fails with `code`."""

    def __init__(self, code: str) -> None:
        self.code = code

    def can_paginate(self, operation: str) -> bool:
        return False

    def __getattr__(self, operation: str) -> Any:
        def call(**params: Any) -> Any:
            raise _error(self.code, operation)

        return call


class _RefusingEnvironment(Environment):
    def __init__(self, code: str) -> None:
        super().__init__(session=None, regions=["us-east-1"], account_id=ACCOUNT, now=NOW)
        self.refusing = _Refusing(code)

    def client(self, service: str, region: str | None = None) -> Any:
        return self.refusing


def test_not_configured_is_a_finding_but_access_denied_propagates() -> None:
    [row] = REGISTRY["Yw2K9puPzl"].evaluate(_RefusingEnvironment("NoSuchEntity")).rows
    assert row.status == ERROR
    # Nothing could be read at all (the only region, or the account-level call, refused):
    # every check lets AWS's error through, and the run is abandoned with its message.
    for check_id in sorted(REGISTRY):
        with pytest.raises(ClientError, match="AccessDenied"):
            REGISTRY[check_id].evaluate(_RefusingEnvironment("AccessDenied"))


REGION_CODES = (
    "OptInRequired",
    "AuthFailure",
    "UnrecognizedClientException",
    "InvalidClientTokenId",
    "AccessDenied",
    "UnauthorizedOperation",
    "Throttling",
)


def test_an_unreadable_region_is_left_out_and_counted(
    moto_endpoint: str, make_env: MakeEnv
) -> None:
    """Every check against the sample, once as is and once with an extra region that refuses
    every call (an opt-in region not enabled, a region an SCP denies, one that throttles)."""
    now = timezone.now()
    sample.seed(moto_endpoint, now=now)
    for index, check_id in enumerate(sorted(REGISTRY)):
        code = REGION_CODES[index % len(REGION_CODES)]
        baseline = run(check_id, make_env(moto_endpoint, regions=SAMPLE_REGIONS, now=now))
        env = _with_clients(
            make_env(moto_endpoint, regions=(*SAMPLE_REGIONS, "ap-east-1"), now=now),
            lambda service, region, client, code=code: (
                _Refusing(code) if region == "ap-east-1" else client
            ),
        )
        evaluation = run(check_id, env)
        assert evaluation.rows == baseline.rows, check_id
        assert evaluation.processed == baseline.processed, check_id
        extra = 0 if check_id in GLOBAL_CHECKS else 1
        assert evaluation.ignored == baseline.ignored + extra, (check_id, code)


def test_every_row_of_the_sample_has_its_own_identity(
    moto_endpoint: str, make_env: MakeEnv
) -> None:
    """The stored resourceId hashes `row.key or row.arn`: it must be unique within a check.
    Also: CloudWatch is read with at most one get_metric_data batch per region."""
    now = timezone.now()
    sample.seed(moto_endpoint, now=now)
    calls: Counter[tuple[str, str]] = Counter()

    def count(service: str, region: str, client: Any) -> Any:
        if service != "cloudwatch":
            return client

        def get_metric_data(**params: Any) -> Any:
            assert len(params["MetricDataQueries"]) <= MAX_METRIC_QUERIES
            calls[("get_metric_data", region)] += 1
            return client.get_metric_data(**params)

        def get_metric_statistics(**params: Any) -> Any:
            calls[("get_metric_statistics", region)] += 1
            return client.get_metric_statistics(**params)

        calls_by_name = {
            "get_metric_data": get_metric_data,
            "get_metric_statistics": get_metric_statistics,
        }
        return _Patched(client, calls_by_name)

    shared_arns = set()
    for check_id in sorted(REGISTRY):
        calls.clear()
        env = _with_clients(make_env(moto_endpoint, regions=SAMPLE_REGIONS, now=now), count)
        rows = run(check_id, env).rows
        identities = [row.identity for row in rows]
        assert len(set(identities)) == len(identities), (check_id, identities)
        if len({row.arn for row in rows}) < len(rows):
            shared_arns.add(check_id)
        assert all(n == 1 for n in calls.values()), (check_id, calls)
        assert not any(name == "get_metric_statistics" for name, _region in calls), check_id
    # The sample has the cases keys are for: a group with several open rules, a user with two
    # active keys, a multi-region trail.
    assert {"HCP4007jGY", "1iG5NDGVre", "DqdJqYeRm5", "vjafUGJ9H0"} <= shared_arns
