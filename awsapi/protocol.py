"""The awsJson1_1 wire format: parsing requests, rendering results and errors."""

from __future__ import annotations

import json
from typing import Any

from django.http import HttpResponse

from core.errors import SerializationException, SupportApiError, ValidationException

CONTENT_TYPE = "application/x-amz-json-1.1"


def parse_body(body: bytes) -> dict[str, Any]:
    """The request body as a JSON object; an empty body is an empty object."""
    if not body.strip():
        return {}
    try:
        parsed = json.loads(body)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise SerializationException(
            "Start of structure or map found where not expected."
        ) from None
    if not isinstance(parsed, dict):
        raise SerializationException("The request body must be a JSON object.")
    if _has_nul(parsed):
        # PostgreSQL cannot store or compare text with NUL characters; no AWS value holds one.
        raise ValidationException("Strings must not contain NUL (\\u0000) characters.")
    return parsed


def _has_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_has_nul(k) or _has_nul(v) for k, v in value.items())
    if isinstance(value, list):
        return any(_has_nul(v) for v in value)
    return False


def _response(payload: dict[str, Any], status: int, request_id: str) -> HttpResponse:
    response = HttpResponse(
        json.dumps(payload, separators=(",", ":"), ensure_ascii=False),
        status=status,
        content_type=CONTENT_TYPE,
    )
    response["x-amzn-RequestId"] = request_id
    return response


def render_result(result: dict[str, Any], request_id: str) -> HttpResponse:
    return _response(result, 200, request_id)


def render_error(error: SupportApiError, request_id: str) -> HttpResponse:
    return _response(
        {"__type": error.code, "message": error.message}, error.http_status, request_id
    )
