"""Test mode through boto3, as AWS's documentation tells API users to test: a case with the
test subject is answered and resolved by the script, and the API shows each step."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import time_machine
from botocore.config import Config
from django.urls import reverse
from django.utils import timezone

from cases.models import Case, CaseStatus
from cases.services.communications import case_support_reply
from cases.services.testscript import scripted_case_step
from cases.tasks import scripted_case_step_task
from tests import factories
from tests.awsapi.conftest import forward, make_api_user, to_aws_response


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


def _trail_client(client, api_user):
    """A boto3 CloudTrail client of `api_user`'s account, wired to Django's test client."""
    boto = boto3.client(
        "cloudtrail",
        endpoint_url="http://testserver",
        region_name="us-east-1",
        aws_access_key_id=api_user.access_key_id,
        aws_secret_access_key=api_user.secret,
        config=Config(retries={"mode": "standard", "max_attempts": 1}),
    )
    boto.meta.events.register(
        "before-send.cloudtrail",
        lambda request, **kwargs: to_aws_response(request, forward(request, client)),
    )
    return boto


def test_the_scripts_answers_are_supports_in_the_event_history(
    client, support, api_user, settings, monkeypatch, django_capture_on_commit_callbacks
) -> None:
    """The scripted answers are Support's actions: in CloudTrail's records and the event history
    they read as an engineer's reply does (an AWSService identity invoked by Support, with a user
    name), under the name AWS gives Support's correspondence, not a blank one."""
    settings.SUPPORTCENTER_TEST_CASE_DELAY = 0
    monkeypatch.setattr(scripted_case_step_task, "apply_async", lambda **kwargs: None)
    with django_capture_on_commit_callbacks(execute=True):
        case_id = support.create_case(
            subject="TEST CASE--Please ignore",
            serviceCode="amazon-elastic-compute-cloud-linux",
            categoryCode="instance-issue",
            severityCode="low",
            communicationBody="Testing the API integration.",
        )["caseId"]
    case = Case.objects.get(case_id=case_id)
    assert scripted_case_step(case.pk) is True  # the answer, from the script
    real = factories.make_case(api_user.account)
    engineer = factories.make_engineer(email="eng@support.example")
    case_support_reply(
        case=real,
        actor=factories.principal(engineer),
        body="Restart it.",
        next_status=CaseStatus.PENDING_CUSTOMER_ACTION,
    )

    trail = _trail_client(
        client, make_api_user(api_user.account, policy="AWSCloudTrail_ReadOnlyAccess")
    )
    replies = trail.lookup_events(
        LookupAttributes=[{"AttributeKey": "EventName", "AttributeValue": "AddCommunicationToCase"}]
    )["Events"]
    by_case = {e["Resources"][0]["ResourceName"]: e for e in replies}
    scripted, answered = by_case[case_id], by_case[real.case_id]
    (answer,) = [
        c
        for c in support.describe_communications(caseId=case_id)["communications"]
        if c["body"].startswith("Hello")
    ]
    assert scripted["Username"] == answer["submittedBy"] == "Amazon Web Services"
    assert answered["Username"] == "eng@support.example"
    scripted_identity = json.loads(scripted["CloudTrailEvent"])["userIdentity"]
    answered_identity = json.loads(answered["CloudTrailEvent"])["userIdentity"]
    assert scripted_identity == {
        "type": "AWSService",
        "invokedBy": "support.amazonaws.com",
        "userName": "Amazon Web Services",
    }
    for key in ("type", "invokedBy"):
        assert scripted_identity[key] == answered_identity[key]
    assert answered_identity["userName"] == "eng@support.example"

    # The customer's event history page names Support too, and finds it by user name.
    client.force_login(factories.root_of(api_user.account))
    page = client.get(
        reverse("cloudtrail:history"),
        {"attribute": "Username", "value": "Amazon Web Services"},
    ).content.decode()
    assert (
        '<td class="ident">Amazon Web Services</td>' in page
        and "<td>AddCommunicationToCase</td>" in page
    )
    assert '<td class="ident">—</td>\n        <td>AddCommunicationToCase' not in page
