"""Support case events: the case services publish "Support Case Update" events as AWS does."""

from __future__ import annotations

import re
from datetime import timedelta

import time_machine
from django.utils import timezone

from cases import services as case_services
from cases.models import Case, CaseStatus, Communication
from cases.services.maintenance import cases_auto_resolve
from events.models import DeliveryPurpose, EventDelivery
from notifications.inbox import inbox_preference_set
from tests import factories
from tests.events.conftest import add_email, make_rule

EKKO = re.compile(r"^ekko:us-east-1:[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")


def published(since: int = 0) -> list[dict]:
    events = EventDelivery.objects.filter(purpose=DeliveryPurpose.EVENT).order_by("id")
    return [d.event for d in events[since:]]


def details(since: int = 0) -> list[dict]:
    return [e["detail"] for e in published(since)]


def watch_all_case_events(account) -> None:  # type: ignore[no-untyped-def]
    add_email(make_rule(account, name="all-case-events"))


def test_create_reply_resolve_reopen(
    business_account, root, engineer, django_capture_on_commit_callbacks
) -> None:
    watch_all_case_events(business_account)
    # The engineer's own alerts stay in the console here (tests/console/test_inbox.py).
    inbox_preference_set(user=engineer.user, email_kinds=[])
    moment = timezone.now().replace(microsecond=0)
    with django_capture_on_commit_callbacks() as callbacks, time_machine.travel(moment, tick=False):
        case = factories.make_case(business_account, root)
    # The case's notification and the event's deliveries both wait for the commit.
    assert len(callbacks) == 2
    (created,) = published()
    assert created["source"] == "aws.support"
    assert created["detail-type"] == "Support Case Update"
    assert created["account"] == business_account.account_id
    assert created["resources"] == []
    assert created["detail"] == {
        "case-id": case.case_id,
        "display-id": str(case.display_id),
        "communication-id": "",
        "event-name": "CreateCase",
        "origin": "",
        # Ours: the first-response SLA when the event happened.
        "sla-first-response-deadline": case.first_response_due_at.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "sla-seconds-to-breach": (case.first_response_due_at - moment) // timedelta(seconds=1),
        "sla-met": None,
    }
    assert created["detail"]["sla-seconds-to-breach"] > 0

    reply = case_services.case_add_communication(case=case, actor=root, body="More logs.")
    support = case_services.case_support_reply(
        case=case, actor=engineer, body="Fixed.", next_status=CaseStatus.PENDING_CUSTOMER_ACTION
    )
    case_services.case_resolve(case=case, actor=root)
    case_services.case_resolve(case=case, actor=root)  # already resolved: nothing happens
    case_services.case_reopen(case=case, actor=root)
    assert [(d["event-name"], d["origin"]) for d in details(1)] == [
        ("AddCommunicationToCase", "CUSTOMER"),
        ("AddCommunicationToCase", "AWS"),
        ("ResolveCase", ""),
        ("ReopenCase", ""),
    ]
    customer, aws, resolved, reopened = details(1)
    hex_id = reply.communication_id
    assert customer["communication-id"] == (
        f"ekko:us-east-1:{hex_id[:8]}-{hex_id[8:12]}-{hex_id[12:16]}-{hex_id[16:20]}-{hex_id[20:]}"
    )
    assert EKKO.match(aws["communication-id"])
    assert aws["communication-id"].replace("-", "").endswith(support.communication_id)
    assert resolved["communication-id"] == reopened["communication-id"] == ""
    assert {d["case-id"] for d in details()} == {case.case_id}


def test_replies_that_change_the_status(business_account, root, engineer) -> None:
    watch_all_case_events(business_account)
    case = factories.make_case(business_account, root)
    # An engineer's reply that resolves the case.
    case_services.case_support_reply(
        case=case, actor=engineer, body="Done.", next_status=CaseStatus.RESOLVED
    )
    # A customer's reply to a resolved case reopens it.
    case_services.case_add_communication(case=case, actor=root, body="Not quite.")
    assert [(d["event-name"], d["origin"]) for d in details(1)] == [
        ("ResolveCase", ""),
        ("AddCommunicationToCase", "AWS"),
        ("ReopenCase", ""),
        ("AddCommunicationToCase", "CUSTOMER"),
    ]


def test_auto_resolve_publishes_resolve_case(business_account, root, engineer) -> None:
    watch_all_case_events(business_account)
    case = factories.make_case(business_account, root)
    case_services.case_support_reply(
        case=case, actor=engineer, body="Logs?", next_status=CaseStatus.PENDING_CUSTOMER_ACTION
    )
    before = EventDelivery.objects.filter(purpose=DeliveryPurpose.EVENT).count()
    assert cases_auto_resolve(now=timezone.now() + timedelta(days=30)) == 1
    assert Case.objects.get(pk=case.pk).status == CaseStatus.RESOLVED
    assert [d["event-name"] for d in details(before)] == ["ResolveCase"]


def test_rules_filter_case_events(business_account, other_account, root, engineer) -> None:
    rule = make_rule(
        business_account,
        root,
        name="aws-replies",
        pattern={
            "source": ["aws.support"],
            "detail": {"event-name": ["AddCommunicationToCase"], "origin": ["AWS"]},
        },
    )
    add_email(rule, actor=root)
    watch_all_case_events(other_account)
    case = factories.make_case(business_account, root)
    case_services.case_add_communication(case=case, actor=root, body="Hello?")
    reply = case_services.case_support_reply(
        case=case, actor=engineer, body="Hi.", next_status=CaseStatus.WORK_IN_PROGRESS
    )
    # Only AWS's reply matched; the other account's rule saw none of this account's events.
    ((event,),) = [published()]
    assert event["detail"]["origin"] == "AWS"
    assert event["detail"]["communication-id"].replace("-", "").endswith(reply.communication_id)
    assert Communication.objects.filter(case=case).count() == 3
