"""Test mode through boto3, as AWS's documentation tells API users to test: a case with the
test subject is answered and resolved by the script, and the API shows each step."""

from __future__ import annotations

from datetime import timedelta

import time_machine
from django.utils import timezone

from cases.models import Case
from cases.tasks import scripted_case_step_task


def test_an_api_test_case_is_answered_and_resolved(
    support, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    settings.SUPPORTCENTER_TEST_CASE_DELAY = 10
    settings.SUPPORTCENTER_TEST_CASE_RESOLVE_DELAY = 20
    queued: list[tuple[int, object]] = []
    monkeypatch.setattr(
        scripted_case_step_task,
        "apply_async",
        lambda *, args, eta, retry: queued.append((args[0], eta)),
    )
    start = timezone.now()
    with time_machine.travel(start, tick=False), django_capture_on_commit_callbacks(execute=True):
        case_id = support.create_case(
            subject="TEST CASE--Please ignore",
            serviceCode="amazon-elastic-compute-cloud-linux",
            categoryCode="instance-issue",
            severityCode="low",
            communicationBody="Testing the API integration.",
        )["caseId"]
    case = Case.objects.get(case_id=case_id)
    assert case.is_test
    assert queued == [(case.pk, start + timedelta(seconds=10))]
    # What the API shows is a real case's: no member says "test" (the AWS API has none).
    (described,) = support.describe_cases(caseIdList=[case_id])["cases"]
    assert described["status"] == "unassigned"

    for step in range(2):
        pk, eta = queued[-1]
        with time_machine.travel(eta, tick=False):
            with django_capture_on_commit_callbacks(execute=True):
                assert scripted_case_step_task(pk) is True
            assert scripted_case_step_task(pk) is False
        if step == 0:
            (described,) = support.describe_cases(caseIdList=[case_id])["cases"]
            assert described["status"] == "pending-customer-action"
    (described,) = support.describe_cases(caseIdList=[case_id], includeResolvedCases=True)["cases"]
    assert described["status"] == "resolved"
    bodies = [
        c["body"]
        for c in support.describe_communications(caseId=case_id)["communications"]
        if c["submittedBy"] == "Amazon Web Services"
    ]
    assert len(bodies) == 2
    assert "now resolved" in bodies[0] and "automated answer" in bodies[1]
