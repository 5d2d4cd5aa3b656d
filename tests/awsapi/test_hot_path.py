"""The API's hot path keeps nothing stale: catalog edits, key and policy changes and a read
that takes no write lock, seen through boto3."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.models import AccessKey, AccessKeyStatus, Policy
from catalog.models import Category, PlanSeverity, Service

CASE = {
    "subject": "Hot path",
    "serviceCode": "amazon-elastic-compute-cloud-linux",
    "categoryCode": "instance-issue",
    "severityCode": "normal",
    "communicationBody": "Checking the catalog snapshot.",
}


def _error(call, **params) -> ClientError:
    with pytest.raises(ClientError) as caught:
        call(**params)
    return caught.value


def test_catalog_edits_are_seen_by_the_next_call(support) -> None:
    assert support.create_case(**CASE)["caseId"]

    category = Category.objects.get(service__code=CASE["serviceCode"], code=CASE["categoryCode"])
    category.is_active = False
    category.save()
    error = _error(support.create_case, **CASE)
    assert error.response["Error"]["Code"] == "InvalidParameterValueException"
    assert "Invalid category code instance-issue" in error.response["Error"]["Message"]

    category.is_active = True
    category.save()
    assert support.create_case(**CASE)["caseId"]

    # A row removed (the count changes even though no updated_at moves).
    PlanSeverity.objects.filter(plan__code="business", severity__code="normal").delete()
    error = _error(support.create_case, **CASE)
    assert "Severity normal is not available on the Business" in error.response["Error"]["Message"]

    service = Service.objects.get(code=CASE["serviceCode"])
    service.is_active = False
    service.save()
    error = _error(support.create_case, **{**CASE, "severityCode": "low"})
    assert "Invalid service code" in error.response["Error"]["Message"]
    # Cases opened before keep their codes, whatever became of the catalog since.
    described = support.describe_cases()["cases"]
    assert len(described) == 2
    assert {(c["serviceCode"], c["categoryCode"], c["severityCode"]) for c in described} == {
        (CASE["serviceCode"], CASE["categoryCode"], CASE["severityCode"])
    }


def test_a_disabled_key_and_a_detached_policy_take_effect_at_once(support, api_user) -> None:
    support.describe_cases()
    user = AccessKey.objects.get(access_key_id=api_user.access_key_id).user
    assert Policy.objects.filter(users=user).exists()
    user.policies.clear()
    error = _error(support.describe_cases)
    assert error.response["Error"]["Code"] == "AccessDeniedException"
    user.policies.add(Policy.objects.get(name="AWSSupportAccess", account=None))
    support.describe_cases()

    AccessKey.objects.filter(access_key_id=api_user.access_key_id).update(
        status=AccessKeyStatus.INACTIVE
    )
    error = _error(support.describe_cases)
    assert error.response["Error"]["Code"] == "UnrecognizedClientException"


def test_a_read_takes_no_write_lock(support) -> None:
    support.describe_cases()
    with CaptureQueriesContext(connection) as queries:
        support.describe_cases()
        support.describe_services()
    statements = [q["sql"].split()[0].upper() for q in queries.captured_queries]
    # One INSERT (the audit record) per call; no BEGIN, SAVEPOINT, UPDATE or DELETE.
    assert statements.count("INSERT") == 2
    assert set(statements) <= {"SELECT", "INSERT"}
