"""Which checks an account's plan includes, and the API's opaque resource ids.

A plan includes the core checks, or every check when it has `full_trusted_advisor` (set per
plan in the admin). The checks it does not include are its locked ones: the console lists them
and explains which plans include them, but nothing is refreshed, read or changed for them, and
the API answers for them as for unknown ids (AWS's behaviour)."""

from __future__ import annotations

import base64
import hashlib

from accounts.models import Account
from advisor import checks as check_registry
from advisor.checks.base import CheckSpec
from audit.names import TRUSTED_ADVISOR_SOURCE
from core.errors import CheckNotAvailable

__all__ = [
    "MSG_PREMIUM_REQUIRED",
    "MSG_UNKNOWN_CHECK",
    "TRUSTED_ADVISOR_SOURCE",
    "check_available",
    "check_included",
    "check_known",
    "checks_available",
    "checks_locked",
    "resource_id_for",
]

MSG_UNKNOWN_CHECK = "Unknown ID: {check_id}"
MSG_PREMIUM_REQUIRED = (
    "Unknown ID: Account requires a Premium Support Plan for access to Trusted Advisor check: "
    "{check_id}"
)


def check_included(account: Account, spec: CheckSpec) -> bool:
    """Whether the account's plan includes the check (reads the plan loaded with the account)."""
    return spec.core or account.plan.full_trusted_advisor


def check_known(check_id: str) -> CheckSpec:
    """The registered check `check_id`, whatever the plan. Raises `CheckNotAvailable` with the
    real API's wording for unknown ids."""
    spec = check_registry.REGISTRY.get(check_id)
    if spec is None:
        raise CheckNotAvailable(MSG_UNKNOWN_CHECK.format(check_id=check_id))
    return spec


def check_available(account: Account, check_id: str) -> CheckSpec:
    """The check `check_id` if the account's plan includes it.

    Raises `CheckNotAvailable` (an InvalidParameterValueException) with the real API's wording
    for unknown ids and for checks outside a Basic or Developer plan's core set.
    """
    spec = check_known(check_id)
    if not check_included(account, spec):
        raise CheckNotAvailable(MSG_PREMIUM_REQUIRED.format(check_id=check_id))
    return spec


def checks_available(account: Account) -> list[CheckSpec]:
    """The checks the account's plan includes, in catalog order."""
    return [s for s in check_registry.REGISTRY.values() if check_included(account, s)]


def checks_locked(account: Account) -> list[CheckSpec]:
    """The registered checks the account's plan does not include, in catalog order: listed as
    locked on the console, never refreshed or read for the account."""
    return [s for s in check_registry.REGISTRY.values() if not check_included(account, s)]


def resource_id_for(check_id: str, identity: str, occurrence: int = 0) -> str:
    """The API's opaque `resourceId`: 43 base64url characters, stable across runs.

    Never starts with `-`: the CSV download writes ids exactly (core.csvexport), and a cell
    starting with `-` is a spreadsheet formula. A leading `-` becomes `_` (one bit of the hash
    fewer; migration advisor 0003 renamed the ids stored before).
    """
    seed = f"{check_id}\n{identity}\n{occurrence}".encode()
    encoded = base64.urlsafe_b64encode(hashlib.sha256(seed).digest()).decode().rstrip("=")
    return "_" + encoded[1:] if encoded.startswith("-") else encoded
