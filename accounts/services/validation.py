"""Input checks shared by the account services (and by the admin's forms, which show their
messages next to the field before anything is written)."""

from __future__ import annotations

import re
import zoneinfo

import holidays
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils.translation import gettext_noop

from core import ids
from core.errors import InvalidParameterValueException

# Marked for translation: pages show them in the reader's language (display_message).
MSG_ACCOUNT_ID = gettext_noop("An account id is exactly 12 digits.")
MSG_COUNTRY = gettext_noop(
    "Unknown country code {country!r}; use an ISO 3166 code such as US or JP."
)
MSG_TIME_ZONE = gettext_noop(
    "Unknown time zone {time_zone!r}; use an IANA name such as Asia/Tokyo."
)
MSG_EMAIL = gettext_noop("Enter a valid email address.")
MAX_EMAIL = 254
MSG_PHONE = gettext_noop(
    "Enter a phone number: digits, spaces and + ( ) - only, 25 characters at most."
)
_PHONE_RE = re.compile(r"^\+?[0-9 ()\-]{3,25}$")


def clean_email(value: str, field: str = "email") -> str:
    """The address without surrounding blanks; `InvalidParameterValueException` if malformed or
    longer than the columns that keep addresses (EmailField's 254 characters)."""
    value = value.strip()
    # validate_email accepts up to 320 characters (64 for the local part, 63 for each label of
    # the domain): longer than the column, which PostgreSQL refuses with an error (a 500).
    if len(value) > MAX_EMAIL:
        raise InvalidParameterValueException(MSG_EMAIL, field=field)
    try:
        validate_email(value)
    except ValidationError:
        raise InvalidParameterValueException(MSG_EMAIL, field=field) from None
    return value


def clean_phone(value: str, field: str = "phone") -> str:
    """The number without surrounding blanks (empty is allowed: no number)."""
    value = value.strip()
    if value and not _PHONE_RE.match(value):
        raise InvalidParameterValueException(MSG_PHONE, field=field)
    return value


def clean_country(country: str) -> str:
    """The upper-case ISO 3166 code; `InvalidParameterValueException` for a country whose public
    holidays we do not know (business-hours targets need them)."""
    if country.upper() not in holidays.list_supported_countries():
        raise InvalidParameterValueException(
            MSG_COUNTRY, params={"country": country}, field="country"
        )
    return country.upper()


def clean_time_zone(time_zone: str) -> str:
    """The IANA name unchanged; `InvalidParameterValueException` for an unknown one."""
    if time_zone not in zoneinfo.available_timezones():
        raise InvalidParameterValueException(
            MSG_TIME_ZONE, params={"time_zone": time_zone}, field="time_zone"
        )
    return time_zone


def validate_account_fields(account_id: str, country: str, time_zone: str) -> None:
    if not ids.ACCOUNT_ID_RE.match(account_id or ""):
        raise InvalidParameterValueException(MSG_ACCOUNT_ID, field="account_id")
    clean_country(country)
    clean_time_zone(time_zone)
