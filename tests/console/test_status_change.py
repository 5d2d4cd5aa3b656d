"""Change status without a reply: the console offers the lifecycle's edges for it, records the
change (timeline, audit record, internal note), tells the customer what concerns them, refuses
the rest on the same page, and leaves the response clocks to replies."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse
from django.utils import translation

from audit.models import AuditEvent
from cases import services
from cases.models import Case, CaseEvent, CaseEventKind, InternalNote
from cases.services.maintenance import cases_auto_resolve
from catalog.models import PlanSeverity
from notifications.models import Notification
from tests import factories

START = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)  # a Monday
HOUR = timedelta(hours=1)


@pytest.fixture
def engineer_client(client, engineer):
    client.force_login(engineer.user)
    client.engineer_user = engineer.user
    return client


def _post(client, case: Case, status: str, note: str = "", seen: str | None = None):
    # Logged in again at the (frozen) time of the post: the session would have expired.
    client.force_login(client.engineer_user)
    return client.post(
        reverse("console:case-action", args=[case.case_id, "status"]),
        {"status": status, "note": note, "seen": seen or case.status},
    )


def _page(client, case: Case) -> str:
    return client.get(reverse("console:case", args=[case.case_id])).content.decode()


def _offered(page: str) -> list[str]:
    form = page[page.index("/status/") :]
    form = form[: form.index("</form>")]
    return [v.split('"')[0] for v in form.split('<option value="')[1:]]


def _answered(account, root, engineer, status: str = "opened") -> Case:
    case = factories.make_case(account, root)
    services.case_support_reply(case=case, actor=engineer, body="Looking.", next_status=status)
    return Case.objects.get(pk=case.pk)


@pytest.mark.parametrize(
    ("start", "target", "emails"),
    [
        ("opened", "work-in-progress", False),
        ("opened", "pending-customer-action", True),
        ("opened", "resolved", True),
        ("work-in-progress", "opened", False),
        ("work-in-progress", "pending-customer-action", True),
        ("pending-customer-action", "opened", False),
        ("pending-customer-action", "work-in-progress", False),
        ("pending-customer-action", "resolved", True),
    ],
)
def test_each_allowed_change(
    engineer_client, engineer, business_account, root, start, target, emails
) -> None:
    case = _answered(business_account, root, engineer, start)
    if start != "work-in-progress":
        assert case.assignee_id == engineer.user.pk  # the reply assigned it
    assert target in _offered(_page(engineer_client, case))
    before = Notification.objects.filter(topic=case.case_id, kind="status").count()
    response = _post(engineer_client, case, target, note="Called them; they will send logs.")
    assert response.status_code == 302
    case.refresh_from_db()
    assert case.status == target
    event = CaseEvent.objects.filter(case=case, kind="status-changed").order_by("pk").last()
    assert (event.from_status, event.to_status, event.reason) == (start, target, "status update")
    name = "ResolveCase" if target == "resolved" else "UpdateCaseStatus"
    record = AuditEvent.objects.filter(event_name=name).order_by("pk").last()
    assert record.principal_arn == engineer.arn
    assert record.request_parameters["caseId"] == case.case_id
    assert record.response_elements == {"initialCaseStatus": start, "finalCaseStatus": target}
    note = InternalNote.objects.get(case=case)
    assert note.body == "Called them; they will send logs."
    sent = Notification.objects.filter(topic=case.case_id, kind="status")
    assert sent.count() == before + int(emails)
    for email in sent:
        assert "Called them" not in email.body_text  # the note is internal
    # No correspondence: the customer sees the status, no message.
    assert case.communications.count() == 2  # the customer's question and the reply
    page = _page(engineer_client, case)
    assert "changed without a reply" in page


def test_refused_changes_come_back_on_the_page(
    engineer_client, engineer, business_account, root
) -> None:
    # Unanswered and unassigned: only resolving is offered (the customer has not heard from
    # Support, so nothing can be pending on them; claiming is the way to work in progress).
    case = factories.make_case(business_account, root)
    assert _offered(_page(engineer_client, case)) == ["resolved"]
    for target in ("pending-customer-action", "work-in-progress", "reopened", "unassigned"):
        response = _post(engineer_client, case, target, note="Kept text")
        assert response.status_code == 400
        page = response.content.decode()
        assert "Kept text" in page
        assert "cannot move" in page
    case.refresh_from_db()
    assert case.status == "unassigned"
    assert not InternalNote.objects.filter(case=case).exists()
    assert AuditEvent.objects.filter(
        event_name="UpdateCaseStatus", error_code="InvalidCaseTransition"
    ).exists()
    # A resolved case has no such form (it reopens with its own button) and refuses a post.
    services.case_resolve(case=case, actor=engineer)
    case.refresh_from_db()
    assert "/status/" not in _page(engineer_client, case)
    assert _post(engineer_client, case, "opened").status_code == 400


def test_a_change_over_someone_elses_is_refused(
    engineer_client, engineer, business_account, root
) -> None:
    case = _answered(business_account, root, engineer, "work-in-progress")
    # A colleague moved it to pending Amazon action after this page was drawn.
    other = factories.principal(factories.make_engineer())
    services.case_status_update(
        case=case, actor=other, status="opened", seen_status="work-in-progress"
    )
    response = _post(engineer_client, case, "resolved", note="Mine", seen="work-in-progress")
    assert response.status_code == 400
    page = response.content.decode()
    assert "changed this case&#x27;s status to Pending Amazon action" in page
    assert "Mine" in page
    assert 'name="seen" value="opened"' in page  # choosing again works
    case.refresh_from_db()
    assert case.status == "opened"


def test_a_status_change_is_not_a_reply(engineer_client, engineer, business_account, root) -> None:
    PlanSeverity.objects.filter(plan__code="business", severity__code="low").update(
        next_reply_minutes=120
    )
    with time_machine.travel(START, tick=False):
        case = factories.make_case(business_account, root, severity_code="low")
        services.case_assign(case=case, engineer=engineer.user, actor=engineer)
        case = Case.objects.get(pk=case.pk)
        assert _post(engineer_client, case, "opened").status_code == 302
        case.refresh_from_db()
        # No first response: its clock runs on.
        assert case.first_responded_at is None
        assert not CaseEvent.objects.filter(case=case, kind=CaseEventKind.FIRST_RESPONSE)
        services.case_support_reply(
            case=case, actor=engineer, body="Looking.", next_status="work-in-progress"
        )
        case.refresh_from_db()
        assert case.next_reply_due_at == START + 2 * HOUR
    with time_machine.travel(START + HOUR, tick=False):
        # Between statuses with Support, the clock keeps running, unmeasured.
        assert _post(engineer_client, case, "opened").status_code == 302
        case.refresh_from_db()
        assert case.next_reply_due_at == START + 2 * HOUR
        assert case.next_replies == 0
    with time_machine.travel(START + 3 * HOUR, tick=False):
        # Leaving Support's turn with the reply already late records the miss, never a met.
        assert _post(engineer_client, case, "pending-customer-action").status_code == 302
        case.refresh_from_db()
        assert case.next_reply_due_at is None
        assert (case.next_replies, case.next_replies_missed) == (1, 1)
        met = CaseEvent.objects.get(case=case, kind=CaseEventKind.NEXT_REPLY).data["met"]
        assert met is False
    with time_machine.travel(START + 4 * HOUR, tick=False):
        # Back to Support: the customer is owed a reply again.
        assert _post(engineer_client, case, "work-in-progress").status_code == 302
        case.refresh_from_db()
        assert case.next_reply_due_at == START + 6 * HOUR
    with time_machine.travel(START + 5 * HOUR, tick=False):
        # On time and to the customer: emptied, not counted as met.
        assert _post(engineer_client, case, "pending-customer-action").status_code == 302
        case.refresh_from_db()
        assert case.next_reply_due_at is None
        assert (case.next_replies, case.next_replies_missed) == (1, 1)


def test_auto_resolve_counts_from_the_status_change(
    engineer_client, engineer, business_account, root, settings
) -> None:
    settings.SUPPORTCENTER_AUTO_RESOLVE_DAYS = 6
    with time_machine.travel(START, tick=False):
        case = _answered(business_account, root, engineer)
    with time_machine.travel(START + timedelta(days=3), tick=False):
        assert _post(engineer_client, case, "pending-customer-action").status_code == 302
    with time_machine.travel(START + timedelta(days=8), tick=False):
        assert cases_auto_resolve() == 0  # five days since it started waiting
    with time_machine.travel(START + timedelta(days=9, hours=1), tick=False):
        assert cases_auto_resolve() == 1
    case.refresh_from_db()
    assert case.status == "resolved"


def test_the_customer_sees_the_status_and_gets_the_email(
    client, engineer, business_account, root
) -> None:
    case = _answered(business_account, root, engineer)
    client.force_login(engineer.user)
    client.engineer_user = engineer.user
    _post(client, case, "pending-customer-action", note="Internal only")
    email = Notification.objects.filter(topic=case.case_id, kind="status").get()
    assert "Pending customer action" in email.body_text or "pending" in email.body_text.lower()
    client.force_login(root.user)
    page = client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    assert "Pending customer action" in page
    assert "Internal only" not in page


def test_japanese_labels(engineer_client, engineer, business_account, root) -> None:
    case = _answered(business_account, root, engineer)
    with translation.override("ja"):
        page = engineer_client.get(
            reverse("console:case", args=[case.case_id]), HTTP_ACCEPT_LANGUAGE="ja"
        ).content.decode()
    assert "ステータスを変更" in page
    assert "Change status" not in page
