"""Opaque, tamper-proof `nextToken`s.

A token is the keyset cursor (the last row's sort key) plus a fingerprint of the query it belongs
to, encrypted and authenticated with Fernet (core.crypto). A token that was altered, or that
belongs to another account, operation or set of filters, is refused.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any

from cryptography.fernet import InvalidToken

from core import crypto
from core.errors import ValidationException

MSG_INVALID_TOKEN = "Invalid pagination token (nextToken)."


def _fingerprint(scope: dict[str, Any]) -> str:
    canonical = json.dumps(scope, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()[:32]


def encode(cursor: dict[str, Any], scope: dict[str, Any]) -> str:
    return crypto.encrypt(json.dumps({"c": cursor, "s": _fingerprint(scope)}, default=str))


def decode(token: str, scope: dict[str, Any]) -> dict[str, Any]:
    try:
        payload = json.loads(crypto.decrypt(token))
    except (InvalidToken, ValueError, TypeError):
        raise ValidationException(MSG_INVALID_TOKEN) from None
    if not isinstance(payload, dict) or payload.get("s") != _fingerprint(scope):
        raise ValidationException(MSG_INVALID_TOKEN)
    cursor = payload.get("c")
    if not isinstance(cursor, dict):
        raise ValidationException(MSG_INVALID_TOKEN)
    return cursor
