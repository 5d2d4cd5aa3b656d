"""Reference data in the admin: changes through the catalog services, audited with the
operator's identity; reference rows are never deleted."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import User
from catalog.models import Category, PlanSeverity, Service, Severity, SupportPlan
from tests.admin_pages import (
    OPERATOR_ARN,
    change_url,
    delete_url,
    form_data,
    make_operator,
    post_change,
    records,
)
from tests.cases.test_views import create_payload


@pytest.fixture
def operator(reference_data) -> User:
    return make_operator()


@pytest.fixture
def admin_client_(client, operator):
    client.force_login(operator)
    return client


def test_the_matrix_changelist_saves_through_the_service(admin_client_) -> None:
    rows = list(PlanSeverity.objects.order_by("plan__position", "severity__level"))
    cell = next(row for row in rows if (row.plan.code, row.severity.code) == ("developer", "low"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        data[f"form-{index}-id"] = str(row.pk)
        minutes = 0 if row.pk == cell.pk else row.response_minutes
        data[f"form-{index}-response_minutes"] = str(minutes)
        data[f"form-{index}-next_reply_minutes"] = str(row.next_reply_minutes)
    refused = admin_client_.post(reverse("admin:catalog_planseverity_changelist"), data)
    assert refused.status_code == 200
    assert records("PutResponseTimeTarget") == []

    data[f"form-{rows.index(cell)}-response_minutes"] = "600"
    data[f"form-{rows.index(cell)}-next_reply_minutes"] = "480"
    response = admin_client_.post(reverse("admin:catalog_planseverity_changelist"), data)
    assert response.status_code == 302
    [record] = records("PutResponseTimeTarget")
    assert record.principal_arn == OPERATOR_ARN
    assert record.request_parameters == {
        "planCode": "developer",
        "severityCode": "low",
        "responseMinutes": 600,
        "nextReplyMinutes": 480,
        "previousResponseMinutes": cell.response_minutes,
        "previousNextReplyMinutes": cell.next_reply_minutes,
    }
    cell.refresh_from_db()
    assert (cell.response_minutes, cell.next_reply_minutes) == (600, 480)


def test_removing_a_severity_from_a_plan_is_audited(admin_client_) -> None:
    cell = PlanSeverity.objects.get(plan__code="business", severity__code="urgent")
    response = admin_client_.post(delete_url(cell), {"post": "yes"})
    assert response.status_code == 302
    assert not PlanSeverity.objects.filter(pk=cell.pk).exists()
    [record] = records("DeleteResponseTimeTarget")
    assert (record.principal_arn, record.request_parameters) == (
        OPERATOR_ARN,
        {
            "planCode": "business",
            "severityCode": "urgent",
            "previousResponseMinutes": cell.response_minutes,
        },
    )


def test_service_and_plan_edits_are_audited(admin_client_) -> None:
    service = Service.objects.get(code="amazon-elastic-compute-cloud-linux")
    response = post_change(admin_client_, service, name="EC2 (Linux)", is_active=False)
    assert response.status_code == 302
    service.refresh_from_db()
    assert (service.name, service.is_active) == ("EC2 (Linux)", False)
    [record] = records("PutService")
    assert (record.principal_arn, record.request_parameters) == (
        OPERATOR_ARN,
        {
            "serviceCode": service.code,
            "created": False,
            "changes": {"name": "EC2 (Linux)", "is_active": False},
        },
    )

    plan = SupportPlan.objects.get(code="developer")
    response = post_change(admin_client_, plan, api_access="on")
    assert response.status_code == 302
    plan.refresh_from_db()
    assert plan.api_access
    [record] = records("PutSupportPlan")
    assert record.request_parameters == {
        "planCode": "developer",
        "created": False,
        "changes": {"api_access": True},
    }


def test_a_response_time_target_out_of_range_is_refused_beside_its_field(
    admin_client_, client, business_account
) -> None:
    """A target of 2**40 minutes would put every new case's due time past the dates Python
    holds (a 500 for the customer); 0 was refused with the raw name of a database constraint.
    Both are errors on the operator's form, in words, the form kept as typed."""
    plan = SupportPlan.objects.get(code="business")
    page = admin_client_.get(change_url(plan))
    forms = page.context["inline_admin_formsets"][0].formset.forms
    [index] = [i for i, form in enumerate(forms) if form.instance.severity.code == "high"]
    for minutes, error in (
        (str(2**40), "Ensure this value is less than or equal to 525600."),
        ("0", "Ensure this value is greater than or equal to 1."),
    ):
        data = form_data(page)
        data[f"plan_severities-{index}-response_minutes"] = minutes
        response = admin_client_.post(change_url(plan), data)
        assert response.status_code == 200
        html = response.content.decode()
        assert error in html
        assert "Constraint" not in html
        assert f'value="{minutes}"' in html
    assert records("PutResponseTimeTarget") == []
    add = admin_client_.post(
        reverse("admin:catalog_planseverity_add"),
        {
            "plan": SupportPlan.objects.get(code="developer").pk,
            "severity": Severity.objects.get(code="urgent").pk,
            "response_minutes": str(2**40),
            "next_reply_minutes": "60",
        },
    )
    assert add.status_code == 200
    assert not PlanSeverity.objects.filter(plan__code="developer", severity__code="urgent")

    # The customer's case with that severity still opens.
    client.force_login(User.objects.get(account=business_account, kind="root"))
    created = client.post(reverse("cases:create"), create_payload(severity="high"))
    assert created.status_code == 302


def test_reference_rows_cannot_be_deleted(admin_client_) -> None:
    plan = SupportPlan.objects.get(code="developer")
    assert admin_client_.post(delete_url(plan), {"post": "yes"}).status_code == 403
    assert SupportPlan.objects.filter(pk=plan.pk).exists()


@pytest.mark.parametrize(
    "links",
    [
        '[{"title": "Guide", "url": "javascript:alert(1)"}]',
        '[{"title": "\\ud800", "url": "https://docs.aws.amazon.com/"}]',
        "NaN",
    ],
)
def test_a_categorys_help_links_are_checked_on_the_form(admin_client_, links) -> None:
    """Links the service refuses (not web links), or text no page could show (a lone
    surrogate, NaN), are an error beside the field, the operator's text kept; they used to come
    back as a message on an empty form."""
    service = Service.objects.get(code="amazon-elastic-compute-cloud-linux")
    response = admin_client_.post(
        reverse("admin:catalog_category_add"),
        {
            "service": service.pk,
            "code": "new-category",
            "name": "New category",
            "help_links": links,
            "is_active": "on",
        },
    )
    assert response.status_code == 200
    form = response.context["adminform"].form
    assert list(form.errors) == ["help_links"]
    assert 'value="new-category"' in response.content.decode()
    assert not Category.objects.filter(code="new-category").exists()
    assert records("PutCategory") == []


def test_a_categorys_help_links_change_through_the_service(admin_client_) -> None:
    category = Category.objects.get(
        service__code="amazon-elastic-compute-cloud-linux", code="instance-issue"
    )
    links = [{"title": "Guide", "url": "https://docs.aws.amazon.com/ec2/"}]
    response = post_change(admin_client_, category, help_links=json.dumps(links))
    assert response.status_code == 302
    category.refresh_from_db()
    assert category.help_links == links
    [record] = records("PutCategory")
    assert record.request_parameters["changes"] == {"help_links": links}
