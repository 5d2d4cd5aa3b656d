"""Test mode: a case with AWS's test subject is answered and resolved by a script, run by the
worker's tasks (called here as the worker calls them, at the times they were queued for), with
the emails (to a real SMTP server) and events a real case sends, and never in engineers' work."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.urls import reverse

from audit.models import AuditEvent
from cases import services as case_services
from cases import testmode
from cases.models import Case, CaseEvent, CaseStatus, Communication
from cases.services import testscript as testmode_services
from cases.tasks import scripted_case_step_task, scripted_cases_sweep_task
from console import selectors as console_selectors
from core.errors import InvalidParameterValueException
from notifications.models import InboxItem
from notifications.tasks import notifications_drain_task
from tests import factories
from tests.events.conftest import add_email, make_rule
from tests.events.test_case_events import details

# Collect the SMTP fixture for this module.
from tests.notifications.conftest import smtp, smtp_port  # noqa: F401

START = datetime(2025, 3, 4, 10, 0, tzinfo=UTC)
SUBJECT = "TEST CASE--Please ignore"


@pytest.fixture
def delays(settings) -> tuple[timedelta, timedelta]:
    settings.SUPPORTCENTER_TEST_CASE_DELAY = 30
    settings.SUPPORTCENTER_TEST_CASE_RESOLVE_DELAY = 90
    return timedelta(seconds=30), timedelta(seconds=90)


@pytest.fixture
def queued(monkeypatch) -> list[tuple[int, datetime]]:
    """The step tasks queued (case pk, ETA), as the broker would hold them for the worker."""
    calls: list[tuple[int, datetime]] = []

    def apply_async(*, args, eta, retry):  # type: ignore[no-untyped-def]
        assert retry is False
        calls.append((args[0], eta))

    monkeypatch.setattr(scripted_case_step_task, "apply_async", apply_async)
    return calls


def _run_due(queued, index: int, capture) -> bool:  # type: ignore[no-untyped-def]
    """What the worker does with the `index`-th queued task: run it at its ETA, then once more
    (a duplicate delivery), and commit what the first run queued."""
    pk, eta = queued[index]
    with time_machine.travel(eta, tick=False):
        with capture(execute=True):
            taken = scripted_case_step_task(pk)
        assert scripted_case_step_task(pk) is False
    return taken


def test_the_script_answers_and_resolves_a_test_case_with_emails_and_events(
    smtp,  # noqa: F811
    delays,
    queued,
    business_account,
    root,
    engineer,
    django_capture_on_commit_callbacks,
) -> None:
    answer_after, resolve_after = delays
    add_email(make_rule(business_account, name="all-case-events"))
    with time_machine.travel(START, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            case = factories.make_case(
                business_account, root, subject=" test case--please  IGNORE "
            )
    # Marked, with no response target and nothing for engineers.
    assert case.is_test
    assert case.first_response_due_at is None and case.first_response_warn_at is None
    assert case.test_step_due_at == START + answer_after
    assert queued == [(case.pk, START + answer_after)]
    assert not console_selectors.queue().filter(pk=case.pk).exists()
    assert not InboxItem.objects.filter(recipient=engineer.user).exists()

    # Delivered early (a broker that ignores ETAs), the task leaves the step for later.
    with time_machine.travel(START + timedelta(seconds=5), tick=False):
        assert scripted_case_step_task(case.pk) is False
    assert _run_due(queued, 0, django_capture_on_commit_callbacks) is True
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_CUSTOMER_ACTION
    assert case.first_responded_at == START + answer_after
    # No response clock runs for it, now or later.
    assert case.next_reply_due_at is None and case.next_reply_warn_at is None
    resolve_at = START + answer_after + resolve_after
    assert case.test_step_due_at == resolve_at
    assert queued[1] == (case.pk, resolve_at)

    assert _run_due(queued, 1, django_capture_on_commit_callbacks) is True
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert case.resolved_at == resolve_at
    assert case.test_step_due_at is None
    assert len(queued) == 2
    # The sweep finds nothing left.
    with time_machine.travel(resolve_at + timedelta(hours=1), tick=False):
        assert scripted_cases_sweep_task() == 0

    answers = list(Communication.objects.filter(case=case, origin="support").order_by("pk"))
    assert [c.submitted_by for c in answers] == ["Amazon Web Services"] * 2
    assert "automated answer to your test case" in answers[0].body
    assert "now resolved" in answers[1].body
    assert list(
        CaseEvent.objects.filter(case=case, kind="status-changed").values_list(
            "from_status", "to_status", "actor_arn"
        )
    ) == [
        ("unassigned", "pending-customer-action", "system"),
        ("pending-customer-action", "resolved", "system"),
    ]
    # The resolving answer's status change is published before its correspondence, as for an
    # engineer's resolving reply.
    assert [d["event-name"] for d in details()] == [
        "CreateCase",
        "AddCommunicationToCase",
        "ResolveCase",
        "AddCommunicationToCase",
    ]
    names = list(
        AuditEvent.objects.filter(request_parameters__caseId=case.case_id)
        .order_by("pk")
        .values_list("event_name", flat=True)
    )
    assert names == [
        "UpdateCaseStatus",
        "AddCommunicationToCase",
        "ResolveCase",
        "AddCommunicationToCase",
    ]

    # The emails the case sent, through the outbox to the SMTP server: the case opened, and the
    # two answers (the resolving answer is the resolution's email, as an engineer's is).
    assert notifications_drain_task() == 3
    bodies = [
        message.get_payload()[0].get_payload(decode=True).decode() for _to, message in smtp.messages
    ]
    assert len(bodies) == 3
    assert all(to == [root.user.email] for to, _message in smtp.messages)
    assert all(str(case.display_id) in message["Subject"] for _to, message in smtp.messages)
    # Sent a few at once over several connections: in no particular order.
    texts = ("We received your support case", "automated answer to your test case", "now resolved")
    for text in texts:
        assert len([body for body in bodies if text in body]) == 1, text


def test_a_customer_reply_is_answered_again(
    delays, queued, business_account, root, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(START, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            case = factories.make_case(business_account, root, subject=SUBJECT)
    assert _run_due(queued, 0, django_capture_on_commit_callbacks) is True
    case.refresh_from_db()
    later = START + timedelta(seconds=40)
    with time_machine.travel(later, tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            case_services.case_add_communication(case=case, actor=root, body="Testing a reply.")
    case.refresh_from_db()
    assert case.status == CaseStatus.OPENED
    assert case.next_reply_due_at is None  # still no clock
    # The script answers the reply first (the resolution's task finds no step due then).
    assert queued[-1] == (case.pk, later + timedelta(seconds=30))
    with time_machine.travel(later + timedelta(seconds=10), tick=False):
        assert scripted_case_step_task(case.pk) is False
    assert _run_due(queued, len(queued) - 1, django_capture_on_commit_callbacks) is True
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_CUSTOMER_ACTION
    assert _run_due(queued, len(queued) - 1, django_capture_on_commit_callbacks) is True
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED
    assert Communication.objects.filter(case=case, origin="support").count() == 3


def test_an_interrupted_step_is_taken_by_the_sweep(
    delays, queued, business_account, root, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    with time_machine.travel(START, tick=False):
        case = factories.make_case(business_account, root, subject=SUBJECT)
    real_reply = testmode_services.case_support_reply

    def dies(**kwargs):  # type: ignore[no-untyped-def]
        real_reply(**kwargs)
        raise RuntimeError("worker lost mid-step")

    monkeypatch.setattr(testmode_services, "case_support_reply", dies)
    with time_machine.travel(START + timedelta(minutes=1), tick=False):
        with pytest.raises(RuntimeError):
            scripted_case_step_task(case.pk)
    # The step's transaction rolled back with its claim: nothing happened, the step is due.
    case.refresh_from_db()
    assert case.status == CaseStatus.UNASSIGNED
    assert case.test_step_due_at == START + timedelta(seconds=30)
    assert not Communication.objects.filter(case=case, origin="support").exists()
    monkeypatch.setattr(testmode_services, "case_support_reply", real_reply)
    with time_machine.travel(START + timedelta(minutes=2), tick=False):
        with django_capture_on_commit_callbacks(execute=True):
            assert scripted_cases_sweep_task() == 1
        assert scripted_cases_sweep_task() == 0
    case.refresh_from_db()
    assert case.status == CaseStatus.PENDING_CUSTOMER_ACTION
    assert Communication.objects.filter(case=case, origin="support").count() == 1


def test_test_cases_stay_out_of_dashboards_and_ordinary_cases_are_untouched(
    delays, queued, business_account, root, django_capture_on_commit_callbacks
) -> None:
    with django_capture_on_commit_callbacks(execute=True):
        real = factories.make_case(business_account, root, subject="TEST CASE: please look")
        factories.make_case(business_account, root, subject=SUBJECT)
    assert not real.is_test and real.first_response_due_at is not None
    assert real.test_step_due_at is None
    assert len(queued) == 1
    figures = console_selectors.dashboard()
    assert figures["open_total"] == 1
    assert figures["unassigned"] == 1
    assert sum(figures["new_cases"]["values"]) == 1  # type: ignore[index]
    assert list(console_selectors.queue()) == [real]
    # The task of an ordinary case (a forged or stale id) does nothing.
    assert scripted_case_step_task(real.pk) is False
    assert scripted_case_step_task(10**9) is False


def test_subject_matching_is_exact_apart_from_spacing_and_case() -> None:
    assert testmode.is_test_subject("TEST CASE--Please ignore")
    assert testmode.is_test_subject("test case--please ignore\t")
    assert not testmode.is_test_subject("TEST CASE -- Please ignore")
    assert not testmode.is_test_subject("Re: TEST CASE--Please ignore")


def test_only_engineers_and_the_system_reply_as_support(business_account, root) -> None:
    case = factories.make_case(business_account, root)
    with pytest.raises(InvalidParameterValueException):
        case_services.case_support_reply(
            case=case, actor=root, body="Hi", next_status=CaseStatus.OPENED
        )
    assert Case.objects.get(pk=case.pk).status == CaseStatus.UNASSIGNED


def test_test_cases_are_marked_on_customer_and_console_pages(
    client, delays, queued, business_account, root, engineer
) -> None:
    case = factories.make_case(business_account, root, subject=SUBJECT)
    badge = 'class="badge case-badge test-case"'
    client.force_login(root.user)
    for url in (reverse("cases:list"), reverse("cases:detail", args=[case.case_id])):
        assert badge in client.get(url).content.decode()
    assert (
        "No target: a test case"
        in client.get(reverse("cases:detail", args=[case.case_id])).content.decode()
    )
    client.force_login(engineer.user)
    page = client.get(reverse("console:case", args=[case.case_id])).content.decode()
    assert badge in page and "No target: a test case" in page
    found = client.get(reverse("console:search"), {"q": str(case.display_id)}).content.decode()
    assert badge in found
    # Not in the queue engineers work from.
    assert case.case_id not in client.get(reverse("console:queue")).content.decode()
