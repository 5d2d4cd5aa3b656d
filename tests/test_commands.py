"""Management commands: create_api_user's JSON contract, reference data and demo loading."""

from __future__ import annotations

import json
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.urls import reverse

from accounts.models import AccessKey, Account, User
from accounts.services import MSG_EMAIL_TAKEN, access_key_secret
from audit.models import AuditEvent
from cases.models import Case, Communication
from catalog.models import Category, PlanSeverity, Service, SupportPlan


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


def test_create_api_user_prints_one_json_object(reference_data) -> None:
    output = run("create_api_user", "--account-id", "111122223333", "--plan", "business")
    data = json.loads(output)
    assert set(data) == {"accountId", "userName", "accessKeyId", "secretAccessKey"}
    assert data["accountId"] == "111122223333"
    assert data["userName"] == "api-user"
    account = Account.objects.get(account_id="111122223333")
    assert account.plan.code == "business"
    key = AccessKey.objects.get(access_key_id=data["accessKeyId"])
    assert key.user.account == account
    assert access_key_secret(key) == data["secretAccessKey"]
    assert key.user.policies.filter(name="AWSSupportAccess").exists()
    # A second call reuses the account and the user, and issues a second key.
    again = json.loads(
        run(
            "create_api_user",
            "--account-id",
            "111122223333",
            "--plan",
            "basic",
            "--user",
            "api-user",
        )
    )
    assert again["accessKeyId"] != data["accessKeyId"]
    assert Account.objects.get(account_id="111122223333").plan.code == "business"
    custom = json.loads(
        run(
            "create_api_user",
            "--account-id",
            "111122223333",
            "--user",
            "ci",
            "--email",
            "x@example.com",
        )
    )
    assert custom["userName"] == "ci"


def test_create_api_user_reports_errors(reference_data) -> None:
    with pytest.raises(CommandError, match="Unknown plan"):
        run("create_api_user", "--account-id", "111122223333", "--plan", "platinum")
    with pytest.raises(CommandError, match="12 digits"):
        run("create_api_user", "--account-id", "1234")
    assert not Account.objects.exists()


def test_reference_data_matches_the_spec_and_loads_idempotently(reference_data) -> None:
    counts = (
        SupportPlan.objects.count(),
        PlanSeverity.objects.count(),
        Service.objects.count(),
        Category.objects.count(),
    )
    assert "0 rows created" in run("seed_reference_data")
    assert counts == (
        SupportPlan.objects.count(),
        PlanSeverity.objects.count(),
        Service.objects.count(),
        Category.objects.count(),
    )
    matrix = {
        (c.plan.code, c.severity.code): c.response_minutes
        for c in PlanSeverity.objects.select_related("plan", "severity")
    }
    assert matrix[("enterprise", "critical")] == 15
    assert matrix[("business", "urgent")] == 60
    assert matrix[("business", "high")] == 240
    assert matrix[("developer", "normal")] == 720
    assert matrix[("developer", "low")] == 1440
    assert ("business", "critical") not in matrix
    assert ("developer", "high") not in matrix
    assert SupportPlan.objects.get(code="developer").business_hours_only
    assert not SupportPlan.objects.get(code="basic").allows_technical
    assert Service.objects.filter(case_type="technical").count() >= 30
    assert Service.objects.filter(
        code="service-limit-increase", case_type="service-limit-increase"
    ).exists()
    assert Service.objects.filter(case_type="account-and-billing").exists()
    assert not Category.objects.filter(service__isnull=True).exists()


def test_demo_loads_once_and_only_when_enabled(reference_data, settings) -> None:
    settings.DEMO = False
    assert "off" in run("load_demo")
    assert not Account.objects.exists()
    settings.DEMO = True
    run("load_demo")
    assert Account.objects.count() == 4
    assert set(Account.objects.values_list("plan__code", flat=True)) == {
        "basic",
        "developer",
        "business",
        "enterprise",
    }
    snapshot = (User.objects.count(), Case.objects.count(), Communication.objects.count())
    assert "already loaded" in run("load_demo")
    assert snapshot == (User.objects.count(), Case.objects.count(), Communication.objects.count())
    assert User.objects.filter(kind="engineer").count() == 1
    assert User.objects.filter(kind="iam").count() == 4
    statuses = set(Case.objects.values_list("status", flat=True))
    assert {"unassigned", "pending-customer-action", "opened", "resolved"} <= statuses


def operator_env(monkeypatch: pytest.MonkeyPatch, email: str) -> None:
    """Django's variables for `createsuperuser --noinput` (named after USERNAME_FIELD)."""
    monkeypatch.setenv("DJANGO_SUPERUSER_LOGIN", email)
    monkeypatch.setenv("DJANGO_SUPERUSER_EMAIL", email)
    monkeypatch.setenv("DJANGO_SUPERUSER_PASSWORD", "an-operator-password-1")


def test_createsuperuser_runs_once_per_operator_not_once_per_database(
    db, client, monkeypatch
) -> None:
    operator_env(monkeypatch, "ops1@example.com")
    assert "Superuser created successfully." in run("createsuperuser", "--noinput")
    operator_env(monkeypatch, "Ops2@example.com")
    assert "Superuser created successfully." in run("createsuperuser", "--noinput")
    first, second = User.objects.filter(kind="engineer").order_by("login")
    assert [first.login, second.login] == ["ops1@example.com", "ops2@example.com"]
    assert second.email == "Ops2@example.com"
    for operator in (first, second):
        assert operator.is_staff and operator.is_superuser and operator.account is None
        assert operator.principal_id.startswith("AIDE")
        assert operator.check_password("an-operator-password-1")
    assert first.principal_id != second.principal_id
    # Made by the engineers' service: each is in the audit trail, by the command line.
    records = AuditEvent.objects.filter(event_name="CreateUser").order_by("event_time")
    assert [r.request_parameters["userName"] for r in records] == [
        "ops1@example.com",
        "Ops2@example.com",
    ]
    # The operator signs in like any engineer, with the email address.
    signed_in = client.post(
        reverse("accounts:sign-in"),
        {"email": "ops2@example.com", "password": "an-operator-password-1"},
    )
    assert signed_in.status_code == 302 and signed_in["Location"] == reverse("console:queue")


def test_createsuperuser_refuses_a_taken_or_mismatched_login(db, monkeypatch) -> None:
    operator_env(monkeypatch, "ops@example.com")
    run("createsuperuser", "--noinput")
    with pytest.raises(CommandError, match="That login is already taken"):
        run("createsuperuser", "--noinput")
    monkeypatch.setenv("DJANGO_SUPERUSER_LOGIN", "OPS@example.com")  # taken, in other case
    with pytest.raises(CommandError, match=MSG_EMAIL_TAKEN):
        run("createsuperuser", "--noinput")
    monkeypatch.setenv("DJANGO_SUPERUSER_LOGIN", "admin")
    with pytest.raises(CommandError, match="signs in with their email address"):
        run("createsuperuser", "--noinput")
    operator_env(monkeypatch, "not-an-address")
    with pytest.raises(CommandError):
        run("createsuperuser", "--noinput")
    assert User.objects.filter(kind="engineer").count() == 1


def test_the_demo_engineer_has_canned_responses_to_try(client, reference_data, settings) -> None:
    """The console's macro picker shows only when macros exist: the demo brings a few (English
    and Japanese), once; one an operator deletes stays deleted on the next load."""
    from macros.models import Macro

    settings.DEMO = True
    run("load_demo")
    names = set(Macro.objects.values_list("name", flat=True))
    assert len(names) >= 2
    assert all(Macro.objects.exclude(body_ja="").filter(name=name).exists() for name in names)
    engineer = User.objects.get(kind="engineer")
    client.force_login(engineer)
    case = Case.objects.exclude(status="resolved").first()
    page = client.get(reverse("console:case", args=[case.case_id])).content.decode()
    assert 'class="field macro-picker' in page
    assert all(name in page for name in names)
    Macro.objects.filter(name=sorted(names)[0]).delete()
    run("load_demo")
    assert set(Macro.objects.values_list("name", flat=True)) == names - {sorted(names)[0]}
