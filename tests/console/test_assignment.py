"""Taking and handing over cases in the console: Claim takes a case nobody has, never one a
colleague took meanwhile; assigning a case to the engineer who has it changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse

from audit.models import AuditEvent
from cases import services
from cases.models import Case, CaseEvent
from notifications.models import Notification
from tests import factories


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer.user)
    return client


def _action(case: Case, name: str) -> str:
    return reverse("console:case-action", args=[case.case_id, name])


def test_claim_does_not_take_a_case_a_colleague_took_meanwhile(
    engineer_client, engineer, business_account, root
) -> None:
    case = factories.make_case(business_account, root)
    # The page as the engineer loaded it: nobody has the case, so it offers Claim.
    page = engineer_client.get(reverse("console:case", args=[case.case_id])).content.decode()
    assert "Claim" in page
    colleague = factories.make_engineer(email="alex@example.com")
    services.case_assign(case=case, engineer=colleague, actor=factories.principal(colleague))
    events = CaseEvent.objects.filter(case=case, kind="assigned").count()

    response = engineer_client.post(_action(case, "claim"), follow=True)

    case.refresh_from_db()
    assert case.assignee_id == colleague.pk
    assert CaseEvent.objects.filter(case=case, kind="assigned").count() == events
    page = response.content.decode()
    assert "alex@example.com has taken this case." in page
    # Taken by someone else, the page offers handing it over (Assign), not Claim.
    assert ">Claim<" not in page
    japanese = engineer_client.post(_action(case, "claim"), follow=True, HTTP_ACCEPT_LANGUAGE="ja")
    assert "alex@example.com がこのケースを担当しています。" in japanese.content.decode()
    assert AuditEvent.objects.filter(
        event_name="AssignCase", error_code="InvalidParameterValueException"
    ).exists()


def test_assigning_a_case_to_its_assignee_changes_nothing(
    engineer_client, engineer, business_account, root
) -> None:
    colleague = factories.make_engineer(email="alex@example.com")
    case = factories.make_case(business_account, root)
    services.case_assign(case=case, engineer=colleague, actor=engineer)
    events = CaseEvent.objects.filter(case=case, kind="assigned").count()
    alerts = Notification.objects.count()

    response = engineer_client.post(
        _action(case, "assign"), {"engineer": colleague.login}, follow=True
    )

    assert "alex@example.com already has this case." in response.content.decode()
    assert CaseEvent.objects.filter(case=case, kind="assigned").count() == events
    assert Notification.objects.count() == alerts
    # Handing it over to someone else still works.
    engineer_client.post(_action(case, "assign"), {"engineer": engineer.user.login})
    case.refresh_from_db()
    assert case.assignee_id == engineer.user.pk
