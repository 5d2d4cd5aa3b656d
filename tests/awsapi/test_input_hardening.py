"""Input no AWS service accepts is refused at the protocol's edge, as AWS refuses it: lone
surrogates, invalid UTF-8, NaN and Infinity, deep nesting (SerializationException, 400, AWS's
JSON error shape), and every refusal is audited once, like any other refused call."""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError

from audit.models import AuditEvent
from awsapi import protocol
from core.errors import ValidationException
from tests.awsapi.conftest import call_with_body

CREATE = (
    b'{"subject": "s", "communicationBody": "b", "serviceCode": "billing", '
    b'"categoryCode": "charge-inquiry", "issueType": "customer-service", "severityCode": %s}'
)


def refusal(support, method: str, body: bytes) -> dict:
    """Call with a raw signed body; return the error response (it must be one)."""
    with pytest.raises(ClientError) as excinfo:
        call_with_body(support, method, body)
    return excinfo.value.response


def assert_serialization_error(response: dict) -> None:
    assert response["Error"]["Code"] == "SerializationException"
    assert response["ResponseMetadata"]["HTTPStatusCode"] == 400
    assert response["ResponseMetadata"]["HTTPHeaders"]["content-type"] == protocol.CONTENT_TYPE
    assert response["ResponseMetadata"]["RequestId"]


def records(account) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(recipient_account_id=account.account_id).order_by("id"))


@pytest.mark.parametrize(
    ("method", "body"),
    [
        # The call that used to succeed and store a record that broke the downloads.
        ("describe_services", b'{"language": "\\ud800"}'),
        ("describe_services", b'{"language": "\\udfffx"}'),
        # Raw bytes of a UTF-16 surrogate (CESU-8): json.loads(bytes) would let them through.
        ("describe_services", b'{"language": "\xed\xa0\x80"}'),
        ("describe_services", b'{"language": "\xff"}'),
        # A surrogate in a key, and one that used to answer 500 (the case reached the database).
        ("describe_services", b'{"\\ud800": "en"}'),
        ("create_case", CREATE % b'"\\ud800"'),
        # Error messages echo values: this one used to answer Django's HTML 500.
        ("describe_cases", b'{"language": "\\ud800", "maxResults": 5}'),
    ],
)
def test_invalid_unicode_is_a_serialization_error(support, api_user, method, body) -> None:
    before = len(records(api_user.account))
    response = refusal(support, method, body)
    assert_serialization_error(response)
    new = records(api_user.account)[before:]
    assert len(new) == 1
    assert new[0].error_code == "SerializationException"
    assert new[0].request_parameters is None


def test_valid_astral_characters_still_work(support) -> None:
    # A surrogate *pair* escape is one valid character (U+1F600), raw or escaped.
    for body in (b'{"language": "\\ud83d\\ude00"}', '{"language": "😀"}'.encode()):
        assert call_with_body(support, "describe_services", body)["services"]


@pytest.mark.parametrize(
    "literal", [b"NaN", b"Infinity", b"-Infinity", b"1e400", b"-1e400", b"1.5e999"]
)
def test_non_finite_numbers_are_refused_and_audited(support, api_user, literal) -> None:
    before = len(records(api_user.account))
    response = refusal(support, "describe_cases", b'{"maxResults": ' + literal + b"}")
    assert_serialization_error(response)
    # The refusal is recorded (it used to fail SQLite's JSON check and vanish).
    (record,) = records(api_user.account)[before:]
    assert record.event_name == "DescribeCases"
    assert record.error_code == "SerializationException"


@pytest.mark.parametrize(
    ("depth", "opening", "closing"),
    [
        (17, b"[", b"]"),
        (17, b'{"a":', b"}"),
        (330, b"[", b"]"),
        (330, b'{"a":', b"}"),
        (1000, b"[", b"]"),
        (1000, b'{"a":', b"}"),
        (5000, b"[", b"]"),
        (100_000, b"[", b"]"),
    ],
)
def test_deep_nesting_is_refused_before_anything_walks_it(
    support, api_user, depth, opening, closing
) -> None:
    before = len(records(api_user.account))
    body = b'{"x": ' + opening * (depth - 1) + b"1" + closing * (depth - 1) + b"}"
    response = refusal(support, "describe_cases", body)
    assert_serialization_error(response)
    assert response["Error"]["Message"] == protocol.MSG_TOO_DEEP.format(limit=protocol.MAX_DEPTH)
    (record,) = records(api_user.account)[before:]
    assert record.error_code == "SerializationException"


def test_nesting_within_the_bound_reaches_validation(support) -> None:
    depth = protocol.MAX_DEPTH
    body = b'{"x": ' + b"[" * (depth - 1) + b"1" + b"]" * (depth - 1) + b"}"
    response = refusal(support, "describe_cases", body)
    assert response["Error"]["Code"] == "ValidationException"


def test_huge_integers_are_client_errors(support) -> None:
    # Past Python's 4,300-digit limit the text is not a number we parse.
    response = refusal(support, "describe_cases", b'{"maxResults": ' + b"9" * 5000 + b"}")
    assert_serialization_error(response)
    response = refusal(support, "describe_cases", b'{"maxResults": ' + b"9" * 400 + b"}")
    assert response["Error"]["Code"] == "ValidationException"


def test_an_answer_always_encodes() -> None:
    # Nothing should echo a lone surrogate any more, but an answer must never be an HTML 500.
    response = protocol.render_error(ValidationException("bad value '\ud800'"), "req-1")
    assert response.status_code == 400
    assert response["Content-Type"] == protocol.CONTENT_TYPE
    assert json.loads(response.content.decode("utf-8")) == {
        "__type": "ValidationException",
        "message": "bad value '\ufffd'",
    }
    result = protocol.render_result({"n": float("nan"), "s": "ok"}, "req-2")
    assert json.loads(result.content) == {"n": None, "s": "ok"}
