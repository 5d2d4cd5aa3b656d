"""The next-reply target: after the first response, each further reply is due within the plan and
severity's target while the case waits for Support; the clock pauses while the case waits for
the customer; late replies are counted, warned about once per run, shown in the queue, the case
page and the dashboard."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import time_machine
from django.urls import reverse

from cases import services
from cases.alerts import NEXT_REPLY_WARNING
from cases.models import Case, CaseEvent, CaseEventKind
from cases.services.maintenance import cases_auto_resolve, cases_sla_warn
from catalog.models import PlanSeverity
from notifications.models import InboxItem, Notification
from tests import factories

START = datetime(2026, 12, 14, 9, 0, tzinfo=UTC)  # a Monday, no US holiday near it
HOUR = timedelta(hours=1)


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("account__plan", "severity").get(pk=case.pk)


def _reply(case: Case, engineer, status: str = "work-in-progress") -> Case:
    services.case_support_reply(case=case, actor=engineer, body="Looking.", next_status=status)
    return _fresh(case)


def _measured(case: Case) -> list[bool]:
    return [
        event.data["met"]
        for event in CaseEvent.objects.filter(case=case, kind=CaseEventKind.NEXT_REPLY)
    ]


def test_the_clock_runs_while_the_case_waits_for_support(business_account, root, engineer) -> None:
    PlanSeverity.objects.filter(plan__code="business", severity__code="high").update(
        next_reply_minutes=120
    )
    with time_machine.travel(START, tick=False):
        case = factories.make_case(business_account, root, severity_code="high")
        assert case.next_reply_due_at is None  # the first response has its own clock
        # A first reply that keeps the case with Support owes the customer a further update.
        case = _reply(case, engineer)
        assert (case.next_reply_started_at, case.next_reply_due_at) == (START, START + 2 * HOUR)
        assert case.next_reply_warn_at == START + HOUR  # half of the target
    with time_machine.travel(START + HOUR, tick=False):
        # Asking the customer stops the clock and measures the reply: on time.
        case = _reply(case, engineer, "pending-customer-action")
        assert case.next_reply_due_at is None and case.next_reply_warn_at is None
        assert (case.next_replies, case.next_replies_missed) == (1, 0)
    with time_machine.travel(START + 30 * HOUR, tick=False):
        # The customer's day of silence does not count: the clock starts at their answer.
        services.case_add_communication(case=case, actor=root, body="Here are the logs.")
        case = _fresh(case)
        assert case.status == "opened"
        assert case.next_reply_due_at == START + 32 * HOUR
    with time_machine.travel(START + 31 * HOUR, tick=False):
        # A second message while the clock runs does not restart it.
        services.case_add_communication(case=case, actor=root, body="And the config.")
        assert _fresh(case).next_reply_due_at == START + 32 * HOUR
    with time_machine.travel(START + 33 * HOUR, tick=False):
        case = _reply(_fresh(case), engineer)  # late, and the case stays with Support
        assert (case.next_replies, case.next_replies_missed) == (2, 1)
        assert case.next_reply_due_at == START + 35 * HOUR
        services.case_resolve(case=case, actor=engineer)
        assert _fresh(case).next_reply_started_at is None
    with time_machine.travel(START + 40 * HOUR, tick=False):
        case = _fresh(case)
        services.case_reopen(case=case, actor=root)
        assert _fresh(case).next_reply_due_at == START + 42 * HOUR
    assert _measured(case) == [True, False]


def test_an_unanswered_case_has_no_next_reply_clock(business_account, root, engineer) -> None:
    case = factories.make_case(business_account, root)
    services.case_assign(case=case, engineer=engineer.user, actor=engineer)
    services.case_add_communication(case=case, actor=root, body="Any news?")
    assert _fresh(case).next_reply_started_at is None


def test_business_hours_plans_count_business_minutes(reference_data, engineer) -> None:
    account = factories.make_account("developer", country="US", time_zone="UTC")
    root = factories.principal(factories.root_of(account))
    PlanSeverity.objects.filter(plan__code="developer", severity__code="normal").update(
        next_reply_minutes=12 * 60
    )
    friday = datetime(2026, 12, 11, 17, 30, tzinfo=UTC)
    with time_machine.travel(friday, tick=False):
        case = factories.make_case(account, root, severity_code="normal")
        case = _reply(case, engineer)
    # Friday's last half hour, Monday's ten hours, then Tuesday from 08:00: 12 business hours.
    assert case.next_reply_due_at == datetime(2026, 12, 15, 9, 30, tzinfo=UTC)


def test_reclassifying_retargets_a_running_clock(business_account, root, engineer) -> None:
    with time_machine.travel(START, tick=False):
        case = factories.make_case(business_account, root, severity_code="low")
        case = _reply(case, engineer)
        assert case.next_reply_due_at == START + 24 * HOUR
        services.case_reclassify(
            case=case,
            actor=engineer,
            severity_code="urgent",
            service_code=case.service.code,
            category_code=case.category.code,
            reason="Production is down after all.",
        )
    assert _fresh(case).next_reply_due_at == START + HOUR  # from the same start


def test_a_reached_callback_is_a_reply(business_account, root, engineer) -> None:
    with time_machine.travel(START, tick=False):
        case = factories.make_case(
            business_account,
            root,
            severity_code="urgent",
            contact_method="phone",
            callback_number="+1 206 555 0100",
            callback_when="now",
        )
        services.case_callback_record(case=case, actor=engineer, reached=True, outcome="Spoke.")
        case = _fresh(case)
        assert case.first_response_met is True
        assert case.next_reply_due_at == START + HOUR
    with time_machine.travel(START + 2 * HOUR, tick=False):
        services.case_callback_record(case=case, actor=engineer, reached=False, outcome="No one.")
        assert _fresh(case).next_replies == 0  # not reached: no reply
        services.case_callback_record(case=case, actor=engineer, reached=True, outcome="Fixed.")
        case = _fresh(case)
        assert (case.next_replies, case.next_replies_missed) == (1, 1)


def test_auto_resolve_empties_the_clock(business_account, root, engineer, settings) -> None:
    with time_machine.travel(START, tick=False):
        case = factories.make_case(business_account, root)
        case = _reply(case, engineer, "pending-customer-action")
    assert case.next_reply_started_at is None
    with time_machine.travel(START + timedelta(days=7), tick=False):
        assert cases_auto_resolve() == 1
    assert _fresh(case).status == "resolved"


def test_the_next_reply_warning_goes_out_once_per_run(business_account, root) -> None:
    owner = factories.principal(factories.make_engineer(email="owner@example.com"))
    with time_machine.travel(START, tick=False):
        case = factories.make_case(business_account, root, severity_code="urgent")
        case = _reply(case, owner)
    with time_machine.travel(START + 29 * timedelta(minutes=1), tick=False):
        assert cases_sla_warn() == 0
    with time_machine.travel(START + 31 * timedelta(minutes=1), tick=False):
        assert cases_sla_warn() == 1
        assert cases_sla_warn() == 0
    with time_machine.travel(START + 40 * timedelta(minutes=1), tick=False):
        case = _reply(case, owner)  # on time; a new run of the clock
    with time_machine.travel(START + 80 * timedelta(minutes=1), tick=False):
        assert cases_sla_warn() == 1
    keys = InboxItem.objects.filter(recipient=owner.user, kind=NEXT_REPLY_WARNING)
    assert keys.count() == 2
    # Urgent cases' SLA warnings are emailed whatever the engineer's preferences.
    emailed = Notification.objects.filter(recipients=["owner@example.com"])
    assert list(emailed.values_list("kind", flat=True)).count(NEXT_REPLY_WARNING) == 2
    assert "Next reply due" in emailed.filter(kind=NEXT_REPLY_WARNING).first().body_text


def test_the_queue_case_page_and_dashboard_show_the_clock(
    client, business_account, root, engineer
) -> None:
    with time_machine.travel(START, tick=False):
        late = factories.make_case(
            business_account, root, subject="Late one", severity_code="urgent"
        )
        late = _reply(late, engineer)
        waiting = factories.make_case(business_account, root, subject="Waiting one")
        _reply(waiting, engineer, "pending-customer-action")
        factories.make_case(business_account, root, subject="Fresh one", severity_code="low")
    with time_machine.travel(START + 2 * HOUR, tick=False):
        client.force_login(engineer.user)  # sessions expire; sign in at the travelled time
        engineer_client = client
        queue = engineer_client.get(reverse("console:queue")).content.decode()
        row = queue[queue.index("Late one") - 600 : queue.index("Late one")]
        assert "Next reply:" in row and "Overdue by 1" in row
        paused = queue[queue.index("Waiting one") - 600 : queue.index("Waiting one")]
        assert "Paused, waiting for the customer" in paused
        breached = engineer_client.get(reverse("console:queue"), {"breached": "on"})
        assert "Late one" in breached.content.decode()
        assert "Waiting one" not in breached.content.decode()
        page = engineer_client.get(reverse("console:case", args=[late.case_id])).content.decode()
        assert "Next reply" in page and "Overdue by 1" in page
        _reply(_fresh(late), engineer)  # late
        dashboard = engineer_client.get(reverse("console:dashboard"))
    data = dashboard.context["data"]
    assert data["next_reply_overdue"] == 0
    [urgent] = [row for row in data["by_severity"]["rows"] if row["label"] == late.severity.name]
    assert (urgent["next"], urgent["replies"]) == (0.0, 1)
    assert "Next replies on time" in dashboard.content.decode()


def test_the_timeline_says_whether_each_next_reply_was_on_time(
    client, business_account, root, engineer
) -> None:
    """Like the first response's entry, each measured next reply says met or late."""
    with time_machine.travel(START, tick=False):
        case = _reply(factories.make_case(business_account, root, severity_code="urgent"), engineer)
    with time_machine.travel(START + 10 * HOUR, tick=False):
        _reply(case, engineer)  # late
        client.force_login(engineer.user)
        page = client.get(reverse("console:case", args=[case.case_id])).content.decode()
        entry = page[page.index('class="timeline-next-reply"') :]
        entry = entry[: entry.index("</li>")]
        assert "after the target" in entry
        page = client.get(
            reverse("console:case", args=[case.case_id]), HTTP_ACCEPT_LANGUAGE="ja"
        ).content.decode()
        entry = page[page.index('class="timeline-next-reply"') :]
        assert "目標時間後" in entry[: entry.index("</li>")]
