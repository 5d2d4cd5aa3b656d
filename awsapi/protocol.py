"""The awsJson1_1 wire format: parsing requests, rendering results and errors."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from core import safejson
from core.errors import SerializationException, SupportApiError, ValidationException

CONTENT_TYPE = "application/x-amz-json-1.1"


# Messages of the SerializationException a body that is not acceptable JSON answers.
MSG_NOT_JSON_AT = "The request body is not valid JSON: {detail} (line {line}, column {column})."
MSG_NOT_UTF8 = "The request body is not valid UTF-8: {detail}."
MSG_SURROGATE = (
    "The request body holds an unpaired UTF-16 surrogate; strings must be valid Unicode."
)
MSG_NUMBER = "The request body holds a number JSON cannot carry: {detail}."
MSG_TOO_DEEP = "The request body nests deeper than {limit} levels."
MSG_NOT_OBJECT = "The request body must be a JSON object."
MSG_NUL = "Strings must not contain NUL (\\u0000) characters."
# The support model nests three levels deep (AddAttachmentsToSet's attachments); a body nested
# deeper than this is refused before anything walks it.
MAX_DEPTH = 16


def parse_body(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is an empty object.

    Raises `SerializationException` for anything that is not strict JSON in UTF-8 (see
    `core.safejson`: lone surrogates, NaN and Infinity, numbers that overflow, nesting deeper
    than `MAX_DEPTH`) or not an object, and `ValidationException` for strings with NUL, which
    PostgreSQL cannot store or compare and no AWS value holds.
    """
    if not body.strip():
        return {}
    try:
        parsed = safejson.loads(body, max_depth=MAX_DEPTH)
    except safejson.JsonRefused as refused:
        raise _refusal(refused) from None
    if not isinstance(parsed, dict):
        raise SerializationException(MSG_NOT_OBJECT)
    return parsed


def _refusal(refused: safejson.JsonRefused) -> SupportApiError:
    detail = refused.detail[:100]
    if refused.reason == safejson.NUL:
        return ValidationException(MSG_NUL)
    if refused.reason == safejson.ENCODING:
        return SerializationException(MSG_NOT_UTF8.format(detail=detail))
    if refused.reason == safejson.SURROGATE:
        return SerializationException(MSG_SURROGATE)
    if refused.reason == safejson.NUMBER:
        return SerializationException(MSG_NUMBER.format(detail=detail))
    if refused.reason == safejson.DEPTH:
        return SerializationException(MSG_TOO_DEEP.format(limit=MAX_DEPTH))
    return SerializationException(
        MSG_NOT_JSON_AT.format(detail=detail, line=refused.line, column=refused.column)
    )


def _encode(payload: dict[str, Any]) -> bytes:
    try:
        return json.dumps(
            payload, separators=(",", ":"), ensure_ascii=False, allow_nan=False
        ).encode()
    except (ValueError, UnicodeEncodeError):
        # Nothing we answer should hold a lone surrogate or NaN (requests with them are refused),
        # but an answer must never fail to encode: the client would get Django's HTML 500.
        return json.dumps(
            safejson.sanitize(payload), separators=(",", ":"), ensure_ascii=False
        ).encode()


def _response(payload: dict[str, Any], status: int, request_id: str) -> HttpResponse:
    response = HttpResponse(_encode(payload), status=status, content_type=CONTENT_TYPE)
    response["x-amzn-RequestId"] = request_id
    return response


def render_result(result: dict[str, Any], request_id: str) -> HttpResponse:
    return _response(result, 200, request_id)


def render_error(error: SupportApiError, request_id: str) -> HttpResponse:
    return _response(
        {"__type": error.code, "message": error.message}, error.http_status, request_id
    )
