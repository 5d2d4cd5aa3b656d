"""Operators' edits of the reference data: validated as the models validate, and audited."""

from __future__ import annotations

import pytest

from accounts.principals import SYSTEM
from audit.models import AuditEvent
from catalog import services
from catalog.models import Category, PlanSeverity, Service, Severity, SupportPlan
from core.errors import InvalidParameterValueException


def test_response_time_targets_are_positive_minutes(reference_data) -> None:
    plan = SupportPlan.objects.get(code="business")
    urgent = Severity.objects.get(code="urgent")
    before = PlanSeverity.objects.get(plan=plan, severity=urgent).response_minutes
    for minutes in (0, -5, True, 1.5, 2**40, 365 * 24 * 60 + 1):
        with pytest.raises(InvalidParameterValueException, match="whole number of minutes"):
            services.plan_severity_set(
                plan=plan,
                severity=urgent,
                response_minutes=minutes,  # type: ignore[arg-type]
                actor=SYSTEM,
            )
    cell = services.plan_severity_set(
        plan=plan, severity=urgent, response_minutes=before, actor=SYSTEM
    )
    assert cell.response_minutes == before
    assert not AuditEvent.objects.filter(event_name="PutResponseTimeTarget").exists()


def test_saves_refuse_unknown_fields_and_taken_codes(reference_data) -> None:
    with pytest.raises(InvalidParameterValueException, match="no editable field"):
        services.severity_save(severity=None, values={"colour": "red"}, actor=SYSTEM)
    with pytest.raises(InvalidParameterValueException, match="already exists"):
        services.severity_save(
            severity=None, values={"code": "urgent", "name": "Again", "level": 99}, actor=SYSTEM
        )
    with pytest.raises(InvalidParameterValueException):
        services.service_save(
            service=None, values={"code": "x", "name": "X", "case_type": "nope"}, actor=SYSTEM
        )
    assert not Severity.objects.filter(level=99).exists()
    assert not Service.objects.filter(code="x").exists()
    assert not AuditEvent.objects.exists()


def test_category_help_links_are_web_links(reference_data) -> None:
    service = Service.objects.get(code="amazon-elastic-compute-cloud-linux")
    values = {"service": service, "code": "new", "name": "New"}
    for links in (
        [{"title": "x", "url": "javascript:alert(1)"}],
        [{"title": "x"}],
        "https://example.com",
    ):
        with pytest.raises(InvalidParameterValueException, match="Help links"):
            services.category_save(
                category=None, values={**values, "help_links": links}, actor=SYSTEM
            )
    links = [{"title": "Guide", "url": "https://docs.aws.amazon.com/ec2/"}]
    category = services.category_save(
        category=None, values={**values, "help_links": links}, actor=SYSTEM
    )
    assert Category.objects.get(pk=category.pk).help_links == links
    record = AuditEvent.objects.get(event_name="PutCategory")
    assert (record.principal_arn, record.recipient_account_id) == ("system", "")
    assert record.request_parameters == {
        "serviceCode": service.code,
        "categoryCode": "new",
        "created": True,
        "changes": {"service": service.code, "code": "new", "name": "New", "help_links": links},
    }
