"""Support Case Update events carry the case's first-response SLA, so a rule can match cases
about to breach with EventBridge's numeric matching."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from cases import services as case_services
from cases.models import CaseStatus
from cases.services.maintenance import cases_auto_resolve
from events.models import DeliveryPurpose, EventDelivery
from tests import factories
from tests.events.conftest import add_email, make_rule

ABOUT_TO_BREACH = {
    "source": ["aws.support"],
    "detail-type": ["Support Case Update"],
    "detail": {"sla-seconds-to-breach": [{"numeric": [">", 0, "<=", 1800]}]},
}


def _matched(rule) -> list[dict]:  # type: ignore[no-untyped-def]
    deliveries = EventDelivery.objects.filter(
        purpose=DeliveryPurpose.EVENT, target__rule=rule
    ).order_by("id")
    return [d.event["detail"] for d in deliveries]


def test_a_rule_matches_cases_within_half_an_hour_of_breach(
    business_account, root, engineer
) -> None:
    rule = make_rule(business_account, root, name="about-to-breach", pattern=ABOUT_TO_BREACH)
    add_email(rule, actor=root)
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        case = factories.make_case(business_account, root, severity_code="urgent")
    due = case.first_response_due_at
    assert due is not None and due - start > timedelta(minutes=30)
    # Created with more than half an hour to go: no match.
    assert _matched(rule) == []
    # The customer adds a note 20 minutes before the deadline: the event matches.
    with time_machine.travel(due - timedelta(minutes=20), tick=False):
        case_services.case_add_communication(case=case, actor=root, body="Any news?")
    [detail] = _matched(rule)
    assert detail["event-name"] == "AddCommunicationToCase"
    assert detail["sla-seconds-to-breach"] == 1200
    assert detail["sla-first-response-deadline"] == due.strftime("%Y-%m-%dT%H:%M:%SZ")
    assert detail["sla-met"] is None
    # Past the deadline the countdown is negative: breached, no longer "about to".
    with time_machine.travel(due + timedelta(minutes=1), tick=False):
        case_services.case_add_communication(case=case, actor=root, body="Hello?")
    assert len(_matched(rule)) == 1
    # A rule for breaches, and one for answers that came in time.
    breached = make_rule(
        business_account, root, name="breached", pattern={"detail": {"sla-met": [False]}}
    )
    add_email(breached, actor=root)
    with time_machine.travel(due + timedelta(minutes=2), tick=False):
        case_services.case_support_reply(
            case=case, actor=engineer, body="Sorry.", next_status=CaseStatus.WORK_IN_PROGRESS
        )
    [late] = _matched(breached)
    assert late["sla-met"] is False and late["sla-seconds-to-breach"] is None


def test_a_job_s_batch_events_carry_the_sla_too(business_account, root, engineer) -> None:
    everything = make_rule(business_account, root, name="all", pattern={"source": ["aws.support"]})
    add_email(everything, actor=root)
    case = factories.make_case(business_account, root)
    case_services.case_support_reply(
        case=case, actor=engineer, body="Logs?", next_status=CaseStatus.PENDING_CUSTOMER_ACTION
    )
    assert cases_auto_resolve(now=timezone.now() + timedelta(days=30)) == 1
    resolved = _matched(everything)[-1]
    assert resolved["event-name"] == "ResolveCase"
    assert resolved["sla-met"] is True
    assert resolved["sla-seconds-to-breach"] is None
    assert resolved["sla-first-response-deadline"]
