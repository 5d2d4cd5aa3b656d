"""Redaction of secrets at ingest, as AWS Support does for case text.

Applied to subjects and bodies before anything is stored (web and API paths alike):
- PEM and PuTTY private keys: the whole key is replaced;
- AWS secret access keys (and ours, which share the shape): 40 characters of base64's alphabet
  with upper case, lower case and a digit, standing alone; 40-hex strings (git SHAs) are kept;
- card numbers: 13-19 digits (spaces or dashes between groups allowed) that pass the Luhn check,
  replaced by the tag and the last four digits.
Access key ids are kept, as AWS keeps them. The function is pure and idempotent.
"""

from __future__ import annotations

import re

REDACTED = "[REDACTED_BY_AWS]"

_PEM_RE = re.compile(
    r"-----BEGIN[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----"
    r"(?:[\s\S]*?-----END[ A-Z0-9_-]{0,100}PRIVATE KEY(?: BLOCK)?-----|[\s\S]*\Z)"
)
_PUTTY_RE = re.compile(r"PuTTY-User-Key-File-\d+:[\s\S]*?(?:Private-MAC:\s*[0-9a-fA-F]+|\Z)")
_SECRET_RE = re.compile(r"(?<![A-Za-z0-9+/])[A-Za-z0-9+/]{40}(?![A-Za-z0-9+/])")
# Card candidates: a contiguous run, or groups separated consistently by one space or dash.
# Never directly after our own tag ("]-"), which keeps redaction idempotent.
_CARD_RE = re.compile(
    r"(?<!\d)(?<!\]-)(?<!\d[ -])"
    r"(?:\d{13,19}"
    r"|\d{4}([ -])\d{4}\1\d{4}\1\d{1,7}"
    r"|\d{4}([ -])\d{6}\2\d{4,5})"
    r"(?!\d)"
)


def _luhn_ok(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def _looks_like_secret(token: str) -> bool:
    return (
        any(c.islower() for c in token)
        and any(c.isupper() for c in token)
        and any(c.isdigit() for c in token)
    )


def _secret_sub(match: re.Match[str]) -> str:
    token = match.group(0)
    return REDACTED if _looks_like_secret(token) else token


def _card_sub(match: re.Match[str]) -> str:
    raw = match.group(0)
    digits = re.sub(r"[ -]", "", raw)
    if 13 <= len(digits) <= 19 and _luhn_ok(digits):
        return f"{REDACTED}-{digits[-4:]}"
    return raw


def redact(text: str) -> str:
    """Return `text` with private keys, secret access keys and card numbers redacted."""
    if not text:
        return text
    text = _PEM_RE.sub(REDACTED, text)
    text = _PUTTY_RE.sub(REDACTED, text)
    text = _SECRET_RE.sub(_secret_sub, text)
    text = _CARD_RE.sub(_card_sub, text)
    return text
