"""Catalog operations: services, severity levels, supported languages, create-case options."""

from __future__ import annotations

import pytest
import time_machine
from botocore.exceptions import ClientError

from tests import factories
from tests.awsapi.conftest import make_api_user


def test_describe_services(support) -> None:
    services = support.describe_services()["services"]
    codes = [s["code"] for s in services]
    assert "amazon-elastic-compute-cloud-linux" in codes
    assert "service-limit-increase" in codes
    assert len(codes) == len(set(codes)) >= 30
    ec2 = next(s for s in services if s["code"] == "amazon-elastic-compute-cloud-linux")
    assert {"code": "instance-issue", "name": "Instance Issue"} in ec2["categories"]
    only = support.describe_services(serviceCodeList=["billing", "no-such"])["services"]
    assert [s["code"] for s in only] == ["billing"]
    with pytest.raises(ClientError) as excinfo:
        support.describe_services(serviceCodeList=["x"] * 101)
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"


def test_severity_levels_follow_the_plan(make_client, reference_data) -> None:
    business = make_client(make_api_user(factories.make_account("business")))
    enterprise = make_client(make_api_user(factories.make_account("enterprise")))
    assert [s["code"] for s in business.describe_severity_levels()["severityLevels"]] == [
        "low",
        "normal",
        "high",
        "urgent",
    ]
    levels = enterprise.describe_severity_levels()["severityLevels"]
    assert levels[-1] == {"code": "critical", "name": "Business-critical system down"}
    japanese = enterprise.describe_severity_levels(language="ja")["severityLevels"]
    assert japanese[0]["name"] == "一般的なガイダンス"


def test_supported_languages(support) -> None:
    languages = support.describe_supported_languages(
        issueType="technical",
        serviceCode="amazon-elastic-compute-cloud-linux",
        categoryCode="instance-issue",
    )["supportedLanguages"]
    assert [lang["code"] for lang in languages] == ["en", "ja"]
    with pytest.raises(ClientError) as excinfo:
        support.describe_supported_languages(
            issueType="technical", serviceCode="nope", categoryCode="instance-issue"
        )
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterValueException"
    with pytest.raises(ClientError) as excinfo:
        support.describe_supported_languages(
            issueType="tech", serviceCode="billing", categoryCode="charge-inquiry"
        )
    assert excinfo.value.response["Error"]["Code"] == "ValidationException"  # min length 9


def test_create_case_options_by_plan_and_calendar(make_client, reference_data) -> None:
    business = make_client(make_api_user(factories.make_account("business")))
    options = business.describe_create_case_options(
        issueType="technical",
        serviceCode="amazon-elastic-compute-cloud-linux",
        categoryCode="instance-issue",
        language="en",
    )
    assert options["languageAvailability"] == "available"
    assert [t["type"] for t in options["communicationTypes"]] == ["web", "chat", "call"]
    assert all(t["datesWithoutSupport"] == [] for t in options["communicationTypes"])
    assert (
        business.describe_create_case_options(
            issueType="technical",
            serviceCode="amazon-elastic-compute-cloud-linux",
            categoryCode="instance-issue",
            language="fr",
        )["languageAvailability"]
        == "unavailable"
    )
    with pytest.raises(ClientError) as excinfo:
        business.describe_create_case_options(
            issueType="technical", serviceCode="billing", categoryCode="nope", language="en"
        )
    assert excinfo.value.response["Error"]["Code"] == "InvalidParameterValueException"


def test_business_hours_plan_lists_holidays(make_client, reference_data, settings) -> None:
    # The Developer plan has no API access by default; an operator may grant it in the admin.
    from catalog.models import SupportPlan

    SupportPlan.objects.filter(code="developer").update(api_access=True)
    account = factories.make_account("developer", country="US", time_zone="America/New_York")
    client = make_client(make_api_user(account))
    with time_machine.travel("2026-11-20T12:00:00Z"):
        options = client.describe_create_case_options(
            issueType="technical",
            serviceCode="amazon-elastic-compute-cloud-linux",
            categoryCode="instance-issue",
            language="en",
        )
    (web,) = options["communicationTypes"]
    assert web["type"] == "web"
    assert web["supportedHours"] == [{"startTime": "08:00 AM", "endTime": "06:00 PM"}]
    # Thanksgiving 2026, midnight to midnight in New York.
    assert {"startDateTime": "2026-11-26T05:00:00Z", "endDateTime": "2026-11-27T05:00:00Z"} in web[
        "datesWithoutSupport"
    ]
