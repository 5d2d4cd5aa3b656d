"""The only way to load a Trusted Advisor check for a principal: the check must be in the
account's plan (`CheckNotAvailable` for unknown ids and for checks outside the plan alike, as
the API answers), and the principal's policies must allow the action. Results and states are
then read for the principal's own account (`advisor.selectors`)."""

from __future__ import annotations

from accounts.access import authorize
from accounts.principals import Principal
from advisor.checks.base import CheckSpec
from advisor.services.availability import check_available


def access_check(principal: Principal, check_id: str, *, action: str | None = None) -> CheckSpec:
    """The check `check_id` of the principal's account's plan. Raises `CheckNotAvailable`, and
    `AccessDeniedException` when `action` is given and not allowed."""
    if action is not None:
        authorize(principal, action)
    return check_available(principal.require_account(), check_id)
