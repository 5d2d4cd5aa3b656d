"""Generators for public identifiers. Public ids are never primary keys."""

from __future__ import annotations

import re
import secrets
import string
from datetime import datetime

_LOWER_ALNUM = string.ascii_lowercase + string.digits
_BASE32 = string.ascii_uppercase + "234567"

CASE_ID_RE = re.compile(r"^case-(\d{12})-([a-z0-9]{4})-(\d{4})-([0-9a-f]{16})$")
ACCOUNT_ID_RE = re.compile(r"^\d{12}$")
# Our own access-key prefix: never mistaken for a real AWS key (AKIA/ASIA/...) by scanners.
ACCESS_KEY_PREFIX = "ASCK"
ACCESS_KEY_ID_RE = re.compile(r"^ASCK[A-Z2-7]{16}$")


def case_id_new(account_id: str, when: datetime) -> str:
    """AWS's format: case-<12-digit account>-<4 chars [a-z0-9]>-<year>-<16 hex>."""
    region_tag = "".join(secrets.choice(_LOWER_ALNUM) for _ in range(4))
    return f"case-{account_id}-{region_tag}-{when.year:04d}-{secrets.token_hex(8)}"


def attachment_set_id_new() -> str:
    return "as-" + secrets.token_urlsafe(36)


def attachment_id_new() -> str:
    return "attachment-" + secrets.token_urlsafe(48)


def access_key_id_new() -> str:
    return ACCESS_KEY_PREFIX + "".join(secrets.choice(_BASE32) for _ in range(16))


def secret_access_key_new() -> str:
    # 40 characters of the same alphabet AWS uses, so SDKs and tools accept it unchanged.
    alphabet = string.ascii_letters + string.digits + "+/"
    while True:
        secret = "".join(secrets.choice(alphabet) for _ in range(40))
        # Keep it shaped like a secret (mixed case and a digit) so redaction recognises it.
        if (
            any(c.islower() for c in secret)
            and any(c.isupper() for c in secret)
            and any(c.isdigit() for c in secret)
        ):
            return secret


def principal_id_new(prefix: str) -> str:
    """IAM-style unique ids (AIDA... for users); ours use the given 4-letter prefix."""
    return prefix + "".join(secrets.choice(_BASE32) for _ in range(17))


def communication_id_new() -> str:
    return secrets.token_hex(16)
