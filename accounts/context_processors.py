"""Template context every page gets: which main-navigation sections the principal may open.

base.html shows a link only when the page behind it would not answer 403. Each section uses the
action its view's `customer_required(...)` asks for, so a link and its page cannot disagree.

The decision is lazy and cached on the request: htmx partials (which never draw the navigation)
pay nothing, and a full page pays nothing either, because `access.is_allowed` reads the
principal's policy documents once per request (a root user needs no query at all) and the view
has usually read them already.
"""

from __future__ import annotations

from django.http import HttpRequest
from django.utils.functional import SimpleLazyObject

from accounts import access

# Section -> the IAM action its page requires (see the views' decorators).
NAV_ACTIONS: dict[str, str] = {
    "cases": "support:DescribeCases",  # cases.views.case_list
    "create_case": "support:CreateCase",  # cases.views.case_create
    "advisor": "trustedadvisor:DescribeCheckSummaries",  # advisor.views.dashboard
    "event_history": "cloudtrail:LookupEvents",  # cloudtrail.views.event_history
    "event_rules": "events:ListRules",  # events.views.rule_list
}
CACHE_ATTR = "_nav_sections"


def nav_sections(request: HttpRequest) -> dict[str, bool]:
    """`{section: may open}` for the request's principal, computed once per request. Only
    customers get customer sections; IAM management is for the account's root user only
    (`accounts.decorators.root_required`). The admin site is the operators' (superusers'): the
    user form grants no model permissions, so any other engineer would find nothing there."""
    cached: dict[str, bool] | None = getattr(request, CACHE_ATTR, None)
    if cached is not None:
        return cached
    principal = getattr(request, "principal", None)
    if principal is None or not principal.is_customer:
        sections = {name: False for name in (*NAV_ACTIONS, "iam")}
        user = principal.user if principal is not None and principal.is_engineer else None
        sections["admin"] = bool(user is not None and user.is_superuser)
    else:
        sections = {
            name: access.is_allowed(principal, action) for name, action in NAV_ACTIONS.items()
        }
        sections["iam"] = bool(principal.user.is_root)
        sections["admin"] = False
    setattr(request, CACHE_ATTR, sections)
    return sections


def navigation(request: HttpRequest) -> dict[str, object]:
    return {"nav": SimpleLazyObject(lambda: nav_sections(request))}
