"""Helpers shared by the Trusted Advisor check tests: running a check, and patched clients."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError

from advisor.checks import REGISTRY
from advisor.checks.base import ERROR, OK, WARNING, Environment, Evaluation
from connections.sample import SAMPLE_ACCOUNT_ID

# CloudWatch tests write their history relative to this instant; age tests use the creation
# times moto reports instead, since moto stamps resources with the real clock.
NOW = datetime(2025, 3, 14, 12, 30, tzinfo=UTC)
ACCOUNT = SAMPLE_ACCOUNT_ID


def run(check_id: str, env: Environment) -> Evaluation:
    evaluation = REGISTRY[check_id].evaluate(env)
    width = len(REGISTRY[check_id].metadata)
    for row in evaluation.rows:
        assert len(row.metadata) == width, row
        assert row.status in (OK, WARNING, ERROR)
        assert row.arn.startswith("arn:aws:")
    return evaluation


def by_name(evaluation: Evaluation, column: int) -> dict[str | None, Any]:
    return {row.metadata[column]: row for row in evaluation.rows}


def _error(code: str, operation: str = "Call") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": f"{code} (test)"}}, operation)


class _Patched:
    """`client`, except that the operations in `calls` run the given functions instead (and are
    called directly rather than through a paginator)."""

    def __init__(self, client: Any, calls: dict[str, Callable[..., Any]]) -> None:
        self.client = client
        self.calls = calls

    def can_paginate(self, operation: str) -> bool:
        return operation not in self.calls and self.client.can_paginate(operation)

    def __getattr__(self, name: str) -> Any:
        return self.calls.get(name) or getattr(self.client, name)


def _refusing(
    client: Any, operation: str, code: str, only: Callable[[dict[str, Any]], bool] | None = None
) -> _Patched:
    """`client` with `operation` failing with `code` (for the calls `only` accepts)."""
    real = getattr(client, operation)

    def call(**params: Any) -> Any:
        if only is None or only(params):
            raise _error(code, operation)
        return real(**params)

    return _Patched(client, {operation: call})


Wrap = Callable[[str, str, Any], Any]


def _with_clients(env: Environment, wrap: Wrap) -> Environment:
    """`env`, with each client passed through `wrap(service, region, client)`."""
    real = env.client

    def client(service: str, region: str | None = None) -> Any:
        return wrap(service, region or "us-east-1", real(service, region))

    env.client = client  # type: ignore[method-assign]
    return env
