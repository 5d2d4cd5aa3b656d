"""The only way to load a Trusted Advisor check for a principal: the check must be in the
account's plan (`CheckNotAvailable` for unknown ids and for checks outside the plan alike, as
the API answers), and the principal's policies must allow the action. Results and states are
then read for the principal's own account (`advisor.selectors`).

The one exception is the check's own page, which shows a check outside the plan as locked
(`access_check_page`): what the check is and which plans include it, nothing of the account's
results. Every action on a check, reads of its results included, goes through `access_check`."""

from __future__ import annotations

from accounts.access import authorize
from accounts.principals import Principal
from advisor.checks.base import CheckSpec
from advisor.services.availability import check_available, check_included, check_known


def access_check(principal: Principal, check_id: str, *, action: str | None = None) -> CheckSpec:
    """The check `check_id` of the principal's account's plan. Raises `CheckNotAvailable`, and
    `AccessDeniedException` when `action` is given and not allowed."""
    if action is not None:
        authorize(principal, action)
    return check_available(principal.require_account(), check_id)


def access_check_page(principal: Principal, check_id: str) -> tuple[CheckSpec, bool]:
    """The check `check_id` for its page, and whether it is locked (outside the account's
    plan). A locked check's spec may be shown (name, category, description) but not used to
    read or change anything of the account's. Raises `CheckNotAvailable` for unknown ids."""
    spec = check_known(check_id)
    return spec, not check_included(principal.require_account(), spec)
