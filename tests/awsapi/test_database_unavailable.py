"""The database away (PostgreSQL restarting, a connection lost, SQLite's writer lock not coming
in time): the API answers AWS's JSON ServiceUnavailableException with a 503, which SDKs retry,
and a call succeeds by itself once the database is back. python -m bench faults restarts a real
PostgreSQL under load; here the dispatcher meets the same OperationalError."""

from __future__ import annotations

import dataclasses
import json

import pytest
from botocore.exceptions import ClientError
from botocore.retries.standard import ExponentialBackoff
from django.db import InterfaceError, OperationalError

from audit.models import AuditEvent
from awsapi import auth, dispatch
from cases.models import Case

PARAMS = {
    "subject": "while the database restarts",
    "communicationBody": "b",
    "serviceCode": "billing",
    "categoryCode": "charge-inquiry",
    "issueType": "customer-service",
}


@pytest.fixture(autouse=True)
def _no_backoff(monkeypatch) -> None:
    monkeypatch.setattr(ExponentialBackoff, "delay_amount", lambda self, context: 0)


def _failing(monkeypatch, operation: str, failures: int, error: Exception) -> list[int]:
    """Make `operation`'s handler meet `error` on its first `failures` calls."""
    spec = dispatch.REGISTRY[operation]
    calls = [0]

    def handler(ctx, body):
        calls[0] += 1
        if calls[0] <= failures:
            raise error
        return spec.handler(ctx, body)

    monkeypatch.setitem(dispatch.REGISTRY, operation, dataclasses.replace(spec, handler=handler))
    return calls


def test_database_away_answers_json_503_that_sdks_retry(make_client, api_user, monkeypatch):
    calls = _failing(
        monkeypatch, "CreateCase", 99, OperationalError("the database system is starting up")
    )
    with pytest.raises(ClientError) as excinfo:
        make_client(api_user, retries=3).create_case(**PARAMS)
    response = excinfo.value.response
    assert response["Error"]["Code"] == "ServiceUnavailableException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 503
    # Three retries (botocore's max_attempts counts retries), each answered the same way.
    assert response["ResponseMetadata"]["RetryAttempts"] == 3
    assert "starting up" not in response["Error"]["Message"]
    assert calls[0] == 4
    assert not Case.objects.exists()
    # Each failed attempt is recorded once the database takes records again.
    assert AuditEvent.objects.filter(error_code="ServiceUnavailableException").count() == 4


def test_calls_succeed_by_themselves_once_the_database_is_back(make_client, api_user, monkeypatch):
    calls = _failing(monkeypatch, "CreateCase", 2, InterfaceError("connection already closed"))
    case_id = make_client(api_user, retries=3).create_case(**PARAMS)["caseId"]
    assert calls[0] == 3
    assert list(Case.objects.values_list("case_id", flat=True)) == [case_id]


def test_database_away_before_the_caller_is_known(make_client, api_user, monkeypatch):
    def identify(request, service):
        raise OperationalError("connection refused")

    monkeypatch.setattr(auth, "identify", identify)
    forwarded: list = []
    with pytest.raises(ClientError) as excinfo:
        make_client(api_user, forwarded=forwarded).describe_cases()
    assert excinfo.value.response["Error"]["Code"] == "ServiceUnavailableException"
    _request, response = forwarded[-1]
    assert response.status_code == 503
    assert response["Content-Type"] == "application/x-amz-json-1.1"
    assert json.loads(response.content)["__type"] == "ServiceUnavailableException"
    assert response["x-amzn-RequestId"]
    # Nobody to record it for: no account is known yet.
    assert not AuditEvent.objects.filter(error_code="ServiceUnavailableException").exists()
