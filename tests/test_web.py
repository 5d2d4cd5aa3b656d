"""The web entry points and the admin site."""

from __future__ import annotations

import json

import pytest
from django.urls import reverse

from accounts.models import PlanSeverity, Policy, SupportPlan
from tests import factories


def test_home_and_health(client, reference_data) -> None:
    response = client.get("/")
    assert response.status_code == 200
    assert b"Support Center" in response.content
    assert response["X-Content-Type-Options"] == "nosniff"
    health = client.get("/healthz")
    assert health.json() == {"status": "ok"}
    assert client.get("/livez").content == b"ok"
    assert client.post("/").status_code == 405


def test_home_speaks_japanese(client, reference_data) -> None:
    response = client.get("/", HTTP_ACCEPT_LANGUAGE="ja")
    assert response["Content-Language"] == "ja"


@pytest.fixture
def admin_client_(client, reference_data):
    user = factories.make_engineer(email="admin@example.com")
    user.is_superuser = True
    user.save(update_fields=["is_superuser"])
    client.force_login(user)
    return client


def test_admin_edits_the_plan_severity_matrix(admin_client_) -> None:
    plan = SupportPlan.objects.get(code="business")
    url = reverse("admin:accounts_supportplan_change", args=[plan.pk])
    page = admin_client_.get(url)
    assert page.status_code == 200
    assert b"Production system down" in page.content
    cell = PlanSeverity.objects.get(plan=plan, severity__code="urgent")
    changelist = reverse("admin:accounts_planseverity_changelist")
    rows = list(PlanSeverity.objects.order_by("plan__position", "severity__level"))
    data = {
        "form-TOTAL_FORMS": str(len(rows)),
        "form-INITIAL_FORMS": str(len(rows)),
        "_save": "Save",
    }
    for index, row in enumerate(rows):
        data[f"form-{index}-id"] = str(row.pk)
        data[f"form-{index}-response_minutes"] = (
            "30" if row.pk == cell.pk else str(row.response_minutes)
        )
    response = admin_client_.post(changelist, data)
    assert response.status_code == 302
    cell.refresh_from_db()
    assert cell.response_minutes == 30


def test_admin_refuses_malformed_policies(admin_client_) -> None:
    url = reverse("admin:accounts_policy_add")
    response = admin_client_.post(
        url,
        {
            "name": "bad",
            "description": "",
            "document": json.dumps(
                {"Statement": [{"Effect": "Allow", "Action": "ec2:*", "Resource": "*"}]}
            ),
        },
    )
    assert response.status_code == 200
    assert b"unknown service prefix" in response.content
    assert not Policy.objects.filter(name="bad").exists()


@pytest.mark.parametrize(
    "name",
    [
        "accounts_account",
        "accounts_user",
        "accounts_accesskey",
        "accounts_severity",
        "catalog_service",
        "cases_case",
        "audit_auditevent",
    ],
)
def test_admin_changelists_render(admin_client_, name) -> None:
    account = factories.make_account("business")
    factories.make_case(account)
    app, model = name.split("_", 1)
    response = admin_client_.get(reverse(f"admin:{app}_{model}_changelist"))
    assert response.status_code == 200


def test_case_text_is_read_only_in_admin(admin_client_) -> None:
    case = factories.make_case(factories.make_account("business"))
    page = admin_client_.get(reverse("admin:cases_case_change", args=[case.pk]))
    assert page.status_code == 200
    assert b'name="subject"' not in page.content
    response = admin_client_.post(
        reverse("admin:cases_case_change", args=[case.pk]), {"subject": "changed"}
    )
    assert response.status_code == 403


def test_pages_vary_on_hx_request(client, reference_data) -> None:
    """A page and its htmx fragment share a URL; caches must keep them apart (Back/Forward
    after an htmx update would otherwise show the fragment as the page)."""
    response = client.get("/signin/")
    assert "HX-Request" in response["Vary"]
