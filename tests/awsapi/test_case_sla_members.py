"""DescribeCases' extension members: each case's first-response SLA (`slaFirstResponseDeadline`,
`slaSecondsToBreach`, `slaMet`). Our clients read them from the JSON; boto3, parsing against
AWS's model, drops them, so AWS's clients see AWS's shape."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from awsapi import model
from awsapi.operations.cases import SLA_DEADLINE, SLA_MET, SLA_SECONDS_TO_BREACH, iso
from cases import services as case_services
from cases.models import Case, CaseStatus
from tests import factories

SLA_MEMBERS = {SLA_DEADLINE, SLA_SECONDS_TO_BREACH, SLA_MET}


def _raw_cases(make_client, api_user) -> list[dict]:
    """DescribeCases as the wire carries it (the JSON our own clients read)."""
    forwarded: list = []
    make_client(api_user, forwarded=forwarded).describe_cases(includeResolvedCases=True)
    _request, response = forwarded[-1]
    return json.loads(response.content)["cases"]


def test_boto3_drops_the_extension_members(support, api_user) -> None:
    factories.make_case(api_user.account)
    [case] = support.describe_cases()["cases"]
    assert not SLA_MEMBERS & set(case)
    assert case["subject"]


def test_the_wire_carries_each_cases_sla(make_client, api_user, engineer) -> None:
    start = timezone.now().replace(microsecond=0)
    with time_machine.travel(start, tick=False):
        case = factories.make_case(api_user.account, severity_code="urgent")
        due = Case.objects.get(pk=case.pk).first_response_due_at
        assert due is not None
        [open_case] = _raw_cases(make_client, api_user)
    assert open_case[SLA_DEADLINE] == iso(due)
    assert open_case[SLA_SECONDS_TO_BREACH] == (due - start) // timedelta(seconds=1)
    # Still open to be met: no verdict yet (null members are left out, as AWS leaves them).
    assert SLA_MET not in open_case
    with time_machine.travel(due + timedelta(minutes=3), tick=False):
        [late] = _raw_cases(make_client, api_user)
    assert late[SLA_SECONDS_TO_BREACH] == -180 and late[SLA_MET] is False
    with time_machine.travel(due - timedelta(minutes=1), tick=False):
        case_services.case_support_reply(
            case=case, actor=engineer, body="On it.", next_status=CaseStatus.WORK_IN_PROGRESS
        )
        [answered] = _raw_cases(make_client, api_user)
    assert answered[SLA_MET] is True and SLA_SECONDS_TO_BREACH not in answered
    assert answered[SLA_DEADLINE] == iso(due)


def test_an_extension_never_reuses_a_member_of_the_model() -> None:
    with pytest.raises(ValueError, match="subject"):
        model.declare_extensions("CaseDetails", ["subject", "slaOther"])
    assert "slaOther" not in model.EXTENSIONS["CaseDetails"]


def test_the_documented_way_to_read_them_with_boto3(support, api_user) -> None:
    # As docs/API.md shows it.
    factories.make_case(api_user.account)
    raw: dict = {}
    support.meta.events.register(
        "after-call.support.DescribeCases",
        lambda http_response, **kw: raw.update(json.loads(http_response.content)),
    )
    support.describe_cases()
    assert raw["cases"][0].get("slaFirstResponseDeadline")
