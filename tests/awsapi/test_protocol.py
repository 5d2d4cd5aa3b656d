"""The wire protocol: SigV4, routing, errors, plan and IAM checks, throttling, dry runs, retries."""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from botocore.exceptions import ClientError
from django.utils import timezone

from accounts.models import AccessKey
from accounts.principals import SYSTEM
from accounts.services import access_key_set_status
from audit.models import AuditEvent
from awsapi import dispatch
from cases.models import Case
from core.errors import MSG_INVALID_SIGNATURE
from tests import factories
from tests.awsapi.conftest import (
    JSON,
    TARGET,
    call_with_body,
    code_of,
    django_meta,
    make_api_user,
    raw_post,
)


def test_signature_failures(make_client, api_user) -> None:
    with pytest.raises(ClientError) as excinfo:
        make_client(api_user, secret="x" * 40).describe_services()
    assert code_of(excinfo) == "InvalidSignatureException"
    assert excinfo.value.response["Error"]["Message"] == MSG_INVALID_SIGNATURE

    unknown = make_api_user(api_user.account)
    AccessKey.objects.filter(access_key_id=unknown.access_key_id).delete()
    with pytest.raises(ClientError) as excinfo:
        make_client(unknown).describe_services()
    assert code_of(excinfo) == "UnrecognizedClientException"

    key = AccessKey.objects.get(access_key_id=api_user.access_key_id)
    access_key_set_status(access_key=key, status="Inactive", actor=SYSTEM)
    with pytest.raises(ClientError) as excinfo:
        make_client(api_user).describe_services()
    assert code_of(excinfo) == "UnrecognizedClientException"
    access_key_set_status(access_key=key, status="Active", actor=SYSTEM)
    assert make_client(api_user).describe_services()["services"]


def test_skew_limits_are_enforced_by_the_server(client, make_client, api_user) -> None:
    signed = []

    def capture(request, **kwargs):
        signed.append(request)

    boto = make_client(api_user)
    boto.meta.events.register_first("before-send.support", capture)
    boto.describe_services()
    request = signed[-1]
    headers = django_meta(request)
    for offset, ok in ((14, True), (16, False), (-16, False)):
        with time_machine.travel(timezone.now() + timedelta(minutes=offset)):
            response = client.generic("POST", "/", data=request.body, content_type=JSON, **headers)
        assert (response.status_code == 200) is ok, (offset, response.content)
        if not ok:
            assert json.loads(response.content)["__type"] == "InvalidSignatureException"
            assert "Signature" in json.loads(response.content)["message"]


def test_tampered_body_and_unsigned_requests(client, make_client, api_user) -> None:
    signed = []
    boto = make_client(api_user)
    boto.meta.events.register_first(
        "before-send.support", lambda request, **kw: signed.append(request)
    )
    boto.describe_cases()
    request = signed[-1]
    headers = django_meta(request)
    tampered = client.generic(
        "POST", "/", data=b'{"includeResolvedCases": true}', content_type=JSON, **headers
    )
    assert json.loads(tampered.content)["__type"] == "InvalidSignatureException"
    # An X-Amz-Content-SHA256 header cannot stand in for the real body hash.
    sneaky = client.generic(
        "POST",
        "/",
        data=b'{"includeResolvedCases": true}',
        content_type=JSON,
        HTTP_X_AMZ_CONTENT_SHA256="UNSIGNED-PAYLOAD",
        **headers,
    )
    assert json.loads(sneaky.content)["__type"] == "InvalidSignatureException"
    # A changed unsigned header (User-Agent) does not matter; a changed signed one does.
    headers_ua = {**headers, "HTTP_USER_AGENT": "something else"}
    assert (
        client.generic("POST", "/", data=request.body, content_type=JSON, **headers_ua).status_code
        == 200
    )
    headers_host = {**headers, "HTTP_HOST": "localhost"}
    with pytest.MonkeyPatch.context() as mp:
        from django.conf import settings

        mp.setattr(settings, "ALLOWED_HOSTS", ["*"])
        response = client.generic("POST", "/", data=request.body, content_type=JSON, **headers_host)
    assert json.loads(response.content)["__type"] == "InvalidSignatureException"

    unsigned = raw_post(client, "DescribeServices")
    assert unsigned.status_code == 403
    assert json.loads(unsigned.content) == {
        "__type": "MissingAuthenticationTokenException",
        "message": "Missing Authentication Token",
    }
    assert unsigned["x-amzn-RequestId"]
    garbled = raw_post(
        client, "DescribeServices", HTTP_AUTHORIZATION="AWS4-HMAC-SHA256 Credential=x"
    )
    assert json.loads(garbled.content)["__type"] == "IncompleteSignatureException"
    other_service = raw_post(
        client,
        "DescribeServices",
        HTTP_AUTHORIZATION="AWS4-HMAC-SHA256 "
        "Credential=ASCKAAAAAAAAAAAAAAAA/20261126/us-east-1/s3/aws4_request, "
        "SignedHeaders=host;x-amz-date, Signature=" + "0" * 64,
        HTTP_X_AMZ_DATE="20261126T000000Z",
    )
    # A well-formed signature for another service is an invalid one, as AWS answers it.
    assert other_service.status_code == 403
    assert json.loads(other_service.content) == {
        "__type": "InvalidSignatureException",
        "message": "Credential should be scoped to correct service: 'support'.",
    }


def test_session_cookies_never_authenticate(client, reference_data) -> None:
    account = factories.make_account("business")
    client.force_login(factories.root_of(account))
    response = raw_post(client, "DescribeServices")
    assert json.loads(response.content)["__type"] == "MissingAuthenticationTokenException"


def test_any_region_is_accepted(make_client, api_user) -> None:
    for region in ("eu-west-1", "ap-northeast-1", "cn-north-1"):
        assert make_client(api_user, region=region).describe_severity_levels()["severityLevels"]


def test_malformed_json_and_unknown_operations(make_client, api_user, client) -> None:
    boto = make_client(api_user)

    def corrupt(request, **kwargs):
        request.data = b"{not json"

    # Sign the corrupt body so authentication passes and parsing is what fails.
    boto.meta.events.register("before-sign.support.DescribeServices", corrupt)
    with pytest.raises(ClientError) as excinfo:
        boto.describe_services()
    assert code_of(excinfo) == "SerializationException"

    boto2 = make_client(api_user)

    def retarget(request, **kwargs):
        request.headers.replace_header("X-Amz-Target", TARGET + "LaunchRocket")

    boto2.meta.events.register("before-sign.support.DescribeServices", retarget)
    with pytest.raises(ClientError) as excinfo:
        boto2.describe_services()
    assert code_of(excinfo) == "UnknownOperationException"
    # Other paths and methods stay the web app.
    assert client.get("/").status_code == 200


def test_unknown_targets_are_refused_before_anything_is_recorded(
    make_client, api_user, client
) -> None:
    before = AuditEvent.objects.count()
    for target in (
        TARGET + "LaunchRocket",
        TARGET + "X" * 300,
        TARGET,
        "OtherService_20130415.DescribeCases",
        "DescribeCases",
        TARGET + "DescribeCases.Extra",
    ):
        boto = make_client(api_user)

        def retarget(request, target=target, **kwargs):
            request.headers.replace_header("X-Amz-Target", target)

        boto.meta.events.register("before-sign.support.DescribeServices", retarget)
        with pytest.raises(ClientError) as excinfo:
            boto.describe_services()
        assert code_of(excinfo) == "UnknownOperationException", target
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400
        # Unsigned, it is the same answer: the operation is checked first.
        unsigned = client.post("/", data=b"{}", content_type=JSON, HTTP_X_AMZ_TARGET=target)
        assert json.loads(unsigned.content)["__type"] == "UnknownOperationException"
    # Nothing names the target in the audit trail; nothing is recorded at all.
    assert AuditEvent.objects.count() == before


def test_post_without_a_target_answers_aws_json(make_client, api_user) -> None:
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    for response in (
        strict.post("/", data=b"{}", content_type=JSON),
        strict.post("/", {"field": "value"}),  # a browser's form post
        strict.post("/", data=b"", content_type="text/plain"),
    ):
        assert response.status_code == 400
        assert response["Content-Type"] == JSON
        assert response["x-amzn-RequestId"]
        assert json.loads(response.content) == {
            "__type": "UnknownOperationException",
            "message": dispatch.MSG_NO_TARGET,
        }
    # Signed, without the header.
    boto = make_client(api_user)

    def drop_target(request, **kwargs):
        del request.headers["X-Amz-Target"]

    boto.meta.events.register("before-sign.support.DescribeServices", drop_target)
    with pytest.raises(ClientError) as excinfo:
        boto.describe_services()
    assert code_of(excinfo) == "UnknownOperationException"
    # Other methods on / stay the web app's.
    assert strict.get("/").status_code == 200


def test_input_validation_against_the_model(support) -> None:
    bad_calls = [
        lambda: support.describe_cases(maxResults=5),
        lambda: support.describe_cases(maxResults=101),
        lambda: support.describe_cases(maxResults="ten"),
        lambda: support.describe_cases(caseIdList=["x"] * 101),
        lambda: call_with_body(support, "describe_cases", b'{"unknownMember": 1}'),
        lambda: call_with_body(support, "describe_cases", b'{"maxResults": true}'),
        lambda: call_with_body(support, "describe_cases", b'{"caseIdList": "case-1"}'),
        lambda: support.describe_communications(),
        lambda: support.create_case(subject="only a subject"),
        lambda: support.describe_supported_languages(issueType="technical", serviceCode="x"),
    ]
    for call in bad_calls:
        with pytest.raises(ClientError) as excinfo:
            call()
        assert code_of(excinfo) == "ValidationException"
        assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 400


def test_plan_without_api_access(make_client, reference_data) -> None:
    developer = make_api_user(factories.make_account("developer"))
    with pytest.raises(ClientError) as excinfo:
        make_client(developer).describe_services()
    assert code_of(excinfo) == "SubscriptionRequiredException"
    assert "Subscription is required" in excinfo.value.response["Error"]["Message"]


def test_iam_policy_per_operation(make_client, reference_data) -> None:
    account = factories.make_account("business")
    nothing = make_client(make_api_user(account, policy=None))
    with pytest.raises(ClientError) as excinfo:
        nothing.describe_cases()
    assert code_of(excinfo) == "AccessDeniedException"
    assert (
        "is not authorized to perform: support:DescribeCases"
        in excinfo.value.response["Error"]["Message"]
    )
    reader = make_client(make_api_user(account, policy="SupportCenterReadOnlyAccess"))
    assert reader.describe_cases()["cases"] == []
    with pytest.raises(ClientError) as excinfo:
        reader.create_case(
            subject="s", communicationBody="b", serviceCode="billing", categoryCode="charge-inquiry"
        )
    assert code_of(excinfo) == "AccessDeniedException"
    assert not Case.objects.exists()


def test_throttling(make_client, api_user, settings) -> None:
    settings.SUPPORTCENTER_API_RATE_LIMIT = 2
    boto = make_client(api_user)
    codes = []
    # One frozen second: every call falls in the same window.
    with time_machine.travel(timezone.now(), tick=False):
        for _ in range(4):
            try:
                boto.describe_severity_levels()
                codes.append("ok")
            except ClientError as exc:
                codes.append(exc.response["Error"]["Code"])
    assert "ThrottlingException" in codes
    assert codes[:2] == ["ok", "ok"]


def test_case_creation_limit(support, settings) -> None:
    settings.SUPPORTCENTER_CASE_CREATION_LIMIT = 2
    params = {
        "subject": "s",
        "communicationBody": "b",
        "serviceCode": "billing",
        "categoryCode": "charge-inquiry",
        "issueType": "customer-service",
    }
    support.create_case(**params)
    support.create_case(**params)
    with pytest.raises(support.exceptions.CaseCreationLimitExceeded) as refused:
        support.create_case(**params)
    assert Case.objects.count() == 2
    # The API answers in English, as AWS does, with the value filled in.
    assert refused.value.response["Error"]["Message"] == (
        "You have reached the limit of 2 new cases per hour. Try again later."
    )


def test_body_size_is_capped_before_reading(client, support) -> None:
    # Unauthenticated: refused before the body is read at all.
    response = client.post(
        "/",
        data=b"{" + b" " * (300 * 1024) + b"}",
        content_type=JSON,
        HTTP_X_AMZ_TARGET=TARGET + "DescribeCases",
    )
    assert json.loads(response.content)["__type"] == "MissingAuthenticationTokenException"
    # Authenticated, but over the operation's cap.
    with pytest.raises(ClientError) as excinfo:
        call_with_body(support, "describe_cases", b"{" + b" " * (300 * 1024) + b"}")
    assert code_of(excinfo) == "RequestEntityTooLargeException"
    assert excinfo.value.response["ResponseMetadata"]["HTTPStatusCode"] == 413


def test_wrong_content_type_and_host_answer_json(client, settings) -> None:
    response = client.post(
        "/", data=b"{}", content_type="application/json", HTTP_X_AMZ_TARGET=TARGET + "DescribeCases"
    )
    assert json.loads(response.content)["__type"] == "SerializationException"
    settings.ALLOWED_HOSTS = ["example.com"]
    response = client.post(
        "/", data=b"{}", content_type=JSON, HTTP_X_AMZ_TARGET=TARGET + "DescribeCases"
    )
    assert response.status_code == 400
    assert json.loads(response.content)["__type"] == "InvalidHostException"


def test_impossible_dates_and_deep_json_are_client_errors(support) -> None:
    with pytest.raises(ClientError) as excinfo:
        support.describe_cases(afterTime="2024-02-30T00:00:00")
    assert code_of(excinfo) == "ValidationException"
    with pytest.raises(ClientError) as excinfo:
        call_with_body(support, "describe_cases", b"[" * 100000)
    assert code_of(excinfo) == "SerializationException"


def test_operation_must_be_signed(client, make_client, api_user) -> None:
    signed = []
    boto = make_client(api_user)
    boto.meta.events.register_first(
        "before-send.support", lambda request, **kw: signed.append(request)
    )
    boto.describe_severity_levels()
    request = signed[-1]
    headers = django_meta(request)
    # Replaying the request as another operation breaks the signature (X-Amz-Target is signed).
    headers["HTTP_X_AMZ_TARGET"] = TARGET + "DescribeServices"
    replay = client.generic("POST", "/", data=request.body, content_type=JSON, **headers)
    assert json.loads(replay.content)["__type"] == "InvalidSignatureException"
    # A signature that leaves X-Amz-Target out is incomplete.
    headers["HTTP_AUTHORIZATION"] = headers["HTTP_AUTHORIZATION"].replace(";x-amz-target", "")
    unsigned_target = client.generic("POST", "/", data=request.body, content_type=JSON, **headers)
    assert json.loads(unsigned_target.content)["__type"] == "IncompleteSignatureException"


def test_every_response_has_a_request_id(client, support) -> None:
    result = support.describe_services()
    assert result["ResponseMetadata"]["RequestId"]
    response = raw_post(client, "DescribeServices", body=json.dumps({}).encode())
    assert response["x-amzn-RequestId"]
    assert response["Content-Type"] == JSON


def test_every_operation_writes_one_audit_record(support, api_user) -> None:

    for operation in sorted(dispatch.REGISTRY):
        python_name = next(
            name for name, api in support.meta.method_to_api_mapping.items() if api == operation
        )
        before = AuditEvent.objects.filter(event_name=operation).count()
        try:
            call_with_body(support, python_name, b"{}")
        except ClientError:
            pass
        records = AuditEvent.objects.filter(event_name=operation).order_by("-id")
        assert records.count() == before + 1, operation
        record = records.first()
        assert record.access_key_id == api_user.access_key_id
        assert record.user_identity["type"] == "IAMUser"
        assert record.event_type == "AwsApiCall"


def test_nul_characters_are_refused(support) -> None:
    with pytest.raises(ClientError) as excinfo:
        call_with_body(support, "describe_severity_levels", b'{"language": "\\u0000"}')
    assert code_of(excinfo) == "ValidationException"


def test_api_calls_record_the_forwarded_client(support, settings) -> None:
    """Behind one trusted proxy, the audit record's sourceIPAddress is the address the proxy
    forwarded, not the proxy's."""
    settings.TRUSTED_PROXY_COUNT = 1

    def forwarded(request, **kwargs):
        request.headers["X-Forwarded-For"] = "192.0.2.1, 198.51.100.20"

    support.meta.events.register("before-sign.support", forwarded)
    support.describe_severity_levels()
    record = AuditEvent.objects.get(event_name="DescribeSeverityLevels")
    assert record.source_ip == "198.51.100.20"
