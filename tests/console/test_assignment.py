"""Taking and handing over cases in the console: Claim takes a case nobody has, never one a
colleague took meanwhile; assigning a case to the engineer who has it changes nothing."""

from __future__ import annotations

import pytest
from django.urls import reverse
from django.utils import translation

from accounts import access as account_access
from accounts.models import User
from audit.models import AuditEvent
from cases import services
from cases.models import Case, CaseEvent
from core.errors import InvalidParameterValueException, NoSuchEntity
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


def _queue_rows(client, **filters: str) -> str:
    return client.get(reverse("console:queue"), filters).content.decode()


def test_an_engineer_releases_their_case_to_the_queue(
    engineer_client, engineer, business_account, root
) -> None:
    case = factories.make_case(business_account, root)
    engineer_client.post(_action(case, "claim"))
    case.refresh_from_db()
    assert (case.assignee_id, case.status) == (engineer.user.pk, "work-in-progress")
    page = engineer_client.get(reverse("console:case", args=[case.case_id])).content.decode()
    assert "Release to queue" in page
    assert case.case_id not in _queue_rows(engineer_client, assignee="none")

    response = engineer_client.post(_action(case, "release"), follow=True)

    case.refresh_from_db()
    # Work in progress only because it was claimed: back to where Claim finds it.
    assert (case.assignee_id, case.status) == (None, "unassigned")
    page = response.content.decode()
    assert "The case is back in the queue." in page
    assert "Release to queue" not in page
    assert ">Claim<" in page
    released = CaseEvent.objects.get(case=case, kind="released")
    assert released.data == {"assignee": engineer.user.login}
    assert released.actor_id == engineer.user.pk
    change = CaseEvent.objects.filter(case=case, kind="status-changed").latest("id")
    assert (change.from_status, change.to_status, change.reason) == (
        "work-in-progress",
        "unassigned",
        "released",
    )
    assert AuditEvent.objects.filter(event_name="ReleaseCase", error_code="").count() == 1
    # On the timeline, in both languages.
    assert "Released to the queue" in page
    assert "released to the queue" in page
    assert case.case_id in _queue_rows(engineer_client, assignee="none")
    assert case.case_id in _queue_rows(engineer_client, status="unassigned")
    japanese = engineer_client.get(
        reverse("console:case", args=[case.case_id]), HTTP_ACCEPT_LANGUAGE="ja"
    ).content.decode()
    assert "キューに戻されました" in japanese


def test_releasing_keeps_a_status_assignment_did_not_set(
    engineer_client, engineer, business_account, root
) -> None:
    colleague = factories.make_engineer(email="alex@example.com")
    case = factories.make_case(business_account, root)
    services.case_assign(case=case, engineer=colleague, actor=engineer)
    services.case_support_reply(
        case=case,
        actor=factories.principal(colleague),
        body="Which region?",
        next_status="pending-customer-action",
    )

    # Any engineer may hand a colleague's case over, so any may give it back.
    engineer_client.post(_action(case, "release"))

    case.refresh_from_db()
    assert (case.assignee_id, case.status) == (None, "pending-customer-action")
    assert CaseEvent.objects.filter(case=case, kind="released").count() == 1


def test_releasing_a_case_nobody_has_says_so(
    engineer_client, engineer, business_account, root
) -> None:
    case = factories.make_case(business_account, root)
    # The page offered Release when the engineer loaded it; a colleague released it since.
    services.case_assign(case=case, engineer=engineer.user, actor=engineer)
    services.case_release(case=case, actor=engineer)

    response = engineer_client.post(_action(case, "release"), follow=True)

    assert "Nobody has this case: it is in the queue already." in response.content.decode()
    assert CaseEvent.objects.filter(case=case, kind="released").count() == 1
    japanese = engineer_client.post(
        _action(case, "release"), follow=True, HTTP_ACCEPT_LANGUAGE="ja"
    )
    assert "このケースの担当者はいません" in japanese.content.decode()
    assert AuditEvent.objects.filter(
        event_name="ReleaseCase", error_code="InvalidParameterValueException"
    ).exists()


def test_an_engineer_without_staff_rights_is_neither_offered_nor_assigned(
    engineer_client, engineer, business_account, root
) -> None:
    # Signed in, but the console (engineer_required) turns them away: they could not open it.
    outsider = factories.make_engineer(email="nostaff@example.com")
    User.objects.filter(pk=outsider.pk).update(is_staff=False)
    outsider.refresh_from_db()
    case = factories.make_case(business_account, root)
    page = engineer_client.get(reverse("console:case", args=[case.case_id])).content.decode()
    assign = page[page.index(_action(case, "assign")) :]
    assert outsider.login not in assign[: assign.index("</form>")]

    response = engineer_client.post(
        _action(case, "assign"), {"engineer": outsider.login}, follow=True
    )

    case.refresh_from_db()
    assert case.assignee_id is None
    assert "Choose an engineer to assign the case to." in response.content.decode()
    # Loaded by name (as any interface would), they are no one to assign to either.
    with pytest.raises(NoSuchEntity):
        account_access.access_engineer(engineer, outsider.login)
    with pytest.raises(InvalidParameterValueException) as refused:
        services.case_assign(case=case, engineer=outsider, actor=engineer)
    case.refresh_from_db()
    assert case.assignee_id is None
    with translation.override("ja"):
        japanese = refused.value.display_message
    assert japanese == "ケースを割り当てられるのはサポートエンジニアだけです。"
