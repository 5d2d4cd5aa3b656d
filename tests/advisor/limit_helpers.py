"""Helpers for the service-limit check tests: quotas that Service Quotas reports, and rows."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from advisor.checks.base import Environment
from tests.advisor.check_helpers import _error, _Patched, _with_clients, run


def with_quotas(env: Environment, quotas: Mapping[tuple[str, str], float]) -> Environment:
    """`env`, with Service Quotas answering `quotas[(service code, quota code)]` (a raised or
    lowered quota) and, for any other quota, what moto answers."""

    def wrap(service: str, region: str, client: Any) -> Any:
        if service != "service-quotas":
            return client

        def get_service_quota(ServiceCode: str, QuotaCode: str) -> Any:  # noqa: N803
            value = quotas.get((ServiceCode, QuotaCode))
            if value is None:
                return client.get_service_quota(ServiceCode=ServiceCode, QuotaCode=QuotaCode)
            return {"Quota": {"ServiceCode": ServiceCode, "QuotaCode": QuotaCode, "Value": value}}

        return _Patched(client, {"get_service_quota": get_service_quota})

    return _with_clients(env, wrap)


def refusing(
    env: Environment, failing: set[tuple[str, str]], code: str = "AccessDenied"
) -> Environment:
    """`env`, with each (service, operation) of `failing` refused with `code` in every region."""

    def wrap(service: str, region: str, client: Any) -> Any:
        calls = {}
        for failing_service, operation in failing:
            if service == failing_service:

                def call(operation: str = operation, **params: Any) -> Any:
                    raise _error(code, operation)

                calls[operation] = call
        return _Patched(client, calls) if calls else client

    return _with_clients(env, wrap)


def rows(check_id: str, env: Environment) -> dict[str | None, list[list[str | None]]]:
    """The check's rows' metadata by region (several rows a region for multi-quota checks)."""
    evaluation = run(check_id, env)
    assert evaluation.processed == len(evaluation.rows)
    found: dict[str | None, list[list[str | None]]] = {}
    for row in evaluation.rows:
        found.setdefault(row.region, []).append(list(row.metadata))
    return found


def only_row(check_id: str, env: Environment) -> list[str | None]:
    """The metadata of the check's one row in the env's one region."""
    [[metadata]] = rows(check_id, env).values()
    return metadata
