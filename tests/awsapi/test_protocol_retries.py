"""The wire protocol's second chances: dry runs that validate and change nothing, botocore's
retries of a call whose answer was lost answered once, and an unexpected failure answered as
AWS's JSON 500 (which SDKs retry)."""

from __future__ import annotations

import json

import pytest
from botocore.awsrequest import AWSResponse
from botocore.exceptions import ClientError

from audit.models import AuditEvent
from awsapi import dispatch
from awsapi.models import IdempotencyRecord
from cases.models import Case
from tests.awsapi.conftest import _Raw, code_of, forward


def test_dry_run_validates_and_changes_nothing(support) -> None:
    params = {
        "subject": "s",
        "communicationBody": "b",
        "serviceCode": "billing",
        "categoryCode": "charge-inquiry",
        "issueType": "customer-service",
    }
    with pytest.raises(support.exceptions.DryRunOperationException):
        support.create_case(dryRun=True, **params)
    with pytest.raises(ClientError) as excinfo:
        support.create_case(dryRun=True, **{**params, "serviceCode": "nope"})
    assert code_of(excinfo) == "InvalidParameterValueException"
    assert not Case.objects.exists()
    case_id = support.create_case(**params)["caseId"]
    with pytest.raises(support.exceptions.DryRunOperationException):
        support.resolve_case(caseId=case_id, dryRun=True)
    with pytest.raises(support.exceptions.DryRunOperationException):
        support.add_communication_to_case(caseId=case_id, communicationBody="x", dryRun=True)
    with pytest.raises(support.exceptions.DryRunOperationException):
        support.describe_cases(dryRun=True)
    with pytest.raises(support.exceptions.DryRunOperationException):
        support.add_attachments_to_set(
            attachments=[{"fileName": "a.txt", "data": b"abc"}], dryRun=True
        )
    case = Case.objects.get()
    assert case.status == "unassigned"
    assert case.communications.count() == 1
    from cases.models import Attachment, AttachmentSet

    assert not AttachmentSet.objects.exists() and not Attachment.objects.exists()
    assert AuditEvent.objects.filter(error_code="DryRunOperationException").count() == 5


PARAMS = {
    "subject": "retry me",
    "communicationBody": "b",
    "serviceCode": "billing",
    "categoryCode": "charge-inquiry",
    "issueType": "customer-service",
}


def test_botocore_retry_after_a_lost_answer_creates_one_case(make_client, api_user, client) -> None:
    boto = make_client(api_user, retries=3)
    attempts = []

    def lose_first_answer(request, **kwargs):
        attempts.append(request.headers["amz-sdk-invocation-id"])
        if len(attempts) == 1:
            forward(request, client)  # the server commits the case...
            lost = b'{"__type": "InternalServerError", "message": "connection reset"}'
            return AWSResponse(request.url, 500, {}, _Raw(lost))  # ...the answer is lost
        return None

    boto.meta.events.register_first("before-send.support", lose_first_answer)
    case_id = boto.create_case(**PARAMS)["caseId"]
    assert len(attempts) == 2 and attempts[0] == attempts[1]
    assert list(Case.objects.values_list("case_id", flat=True)) == [case_id]
    assert IdempotencyRecord.objects.count() == 1
    # A new call (a new invocation id) is a new case.
    assert boto.create_case(**PARAMS)["caseId"] != case_id
    assert Case.objects.count() == 2


def test_replayed_reply_is_added_once(make_client, api_user, client) -> None:
    forwarded = []
    boto = make_client(api_user, forwarded=forwarded)
    case_id = boto.create_case(**PARAMS)["caseId"]
    boto.add_communication_to_case(caseId=case_id, communicationBody="once")
    request, first = forwarded[-1]
    replay = forward(request, client)
    assert json.loads(replay.content) == json.loads(first.content) == {"result": True}
    assert Case.objects.get(case_id=case_id).communications.count() == 2


def test_unexpected_failures_answer_json_500(make_client, api_user, monkeypatch) -> None:

    def explode(ctx, body):
        raise RuntimeError("boom")

    spec = dispatch.REGISTRY["DescribeSeverityLevels"]
    monkeypatch.setitem(
        dispatch.REGISTRY,
        "DescribeSeverityLevels",
        dispatch.OperationSpec(spec.name, explode, spec.read_only, spec.max_body, spec.idempotent),
    )
    with pytest.raises(ClientError) as excinfo:
        make_client(api_user).describe_severity_levels()
    assert code_of(excinfo) == "InternalServerError"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 500
    assert "boom" not in excinfo.value.response["Error"]["Message"]
    assert AuditEvent.objects.filter(error_code="InternalServerError").exists()
