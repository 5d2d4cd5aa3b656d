"""Input checks shared by the case services: subjects, bodies, CC lists, file names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_noop

from accounts.models import Account, User
from cases.models import Case
from core.errors import (
    InvalidParameterValueException,
)
from core.redaction import redact

MAX_CC = 10
MAX_BODY = 8000
MAX_SUBJECT = 250
MSG_SUBJECT_EMPTY = "Enter a subject."
MSG_SUBJECT_LONG = "The subject can have at most {max} characters."
MSG_BODY_LENGTH = "The communication body must be 1 to {max} characters long."
# Filled in by SupportApiError (params), so pages show them translated.
MSG_CC_COUNT = gettext_noop("A case can have at most {max} CC addresses.")
MSG_CC_INVALID = gettext_noop("Invalid email address in the CC list: {address}.")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


def clean_cc_addresses(addresses: Iterable[str], *, existing: Sequence[str] = ()) -> list[str]:
    """Validate and merge CC addresses: plain addresses only (no display names, no CR/LF),
    de-duplicated case-insensitively, at most MAX_CC in all.
    """
    merged = list(existing)
    seen = {a.lower() for a in merged}
    for raw in addresses:
        address = raw.strip()
        if not address:
            continue
        if (
            _CONTROL_RE.search(address)
            or "<" in address
            or ">" in address
            or " " in address
            or "," in address
            or ";" in address
        ):
            raise InvalidParameterValueException(
                MSG_CC_INVALID, params={"address": address[:100]}, field="cc_email_addresses"
            )
        try:
            validate_email(address)
        except ValidationError:
            raise InvalidParameterValueException(
                MSG_CC_INVALID, params={"address": address[:100]}, field="cc_email_addresses"
            ) from None
        if address.lower() in seen:
            continue
        seen.add(address.lower())
        merged.append(address)
    if len(merged) > MAX_CC:
        raise InvalidParameterValueException(
            MSG_CC_COUNT, params={"max": MAX_CC}, field="cc_email_addresses"
        )
    return merged


def _clean_body(body: str) -> str:
    if not body or not body.strip() or len(body) > MAX_BODY:
        raise InvalidParameterValueException(MSG_BODY_LENGTH.format(max=MAX_BODY), field="body")
    return redact(body)


def _clean_subject(subject: str) -> str:
    subject = (subject or "").strip()
    if not subject:
        raise InvalidParameterValueException(MSG_SUBJECT_EMPTY, field="subject")
    if len(subject) > MAX_SUBJECT:
        raise InvalidParameterValueException(
            MSG_SUBJECT_LONG.format(max=MAX_SUBJECT), field="subject"
        )
    # A subject is one line: CR/LF would let it forge headers in notification emails. Redaction
    # can lengthen it (a card number gains its tag), so cut it back to the column's size.
    return redact(_CONTROL_RE.sub(" ", subject))[:MAX_SUBJECT]


def safe_file_name(name: str) -> str:
    """The user's file name reduced to a harmless display name (metadata only)."""
    name = unicodedata.normalize("NFC", name or "")
    name = name.replace("\\", "/").rsplit("/", 1)[-1]
    name = _CONTROL_RE.sub("", name).strip().lstrip(".")
    return name[:255] or "attachment"


def _submitted_by(user: User | None) -> str:
    if user is None:
        return "Amazon Web Services"
    return user.email or user.identity_name


# --- attachments --------------------------------------------------------------------------------


def _describe_case(*, case: Case, **_: object) -> tuple[Account, dict[str, object]]:
    """What the record of a refused action on `case` says about it (`audit_refusals`)."""
    return case.account, {"caseId": case.case_id}
