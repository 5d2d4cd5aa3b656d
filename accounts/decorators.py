"""View guards: who may see a page. Permission decisions live here and in accounts.access,
never in templates."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, cast
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponse
from django.http.response import HttpResponseBase
from django.shortcuts import render
from django.utils.http import urlencode

from accounts import access, policy
from accounts.http import SupportRequest
from accounts.managed_policies import MANAGED_POLICIES

View = Callable[..., HttpResponseBase]


def policies_allowing(action: str | None) -> list[str]:
    """The managed policies that allow `action`, in the catalog's order: what the "no access"
    page suggests attaching (events:PutRule -> AmazonEventBridgeFullAccess; a read such as
    trustedadvisor:DescribeCheckItems -> the full and the read-only policy). Evaluated
    against the policy documents themselves, so the advice cannot name a policy that would
    not help; empty when none does (cloudtrail:CreateTrail, iam:*, the engineers'
    console)."""
    if not action or ":" not in action:
        return []
    return [
        row["name"]
        for row in MANAGED_POLICIES
        if policy.evaluate([row["document"]], action).allowed
    ]


def no_access(
    request: HttpRequest,
    action: str | None,
    *,
    suggest_policies: bool = True,
    root_only: bool = False,
    for_side: str = "",
    case_id: str = "",
) -> HttpResponse:
    """The "no access" page (403) naming the action needed and, for an account's IAM users,
    the managed policies that grant it (no policy helps someone outside an account). With
    `root_only` it says the page is the root user's instead: no policy opens it. With
    `for_side` ("engineers" or "customers") it says whose side of Support Center the page is
    on and leads to the visitor's own (for an engineer at a customer's case page, that case in
    the console): no IAM action or policy concerns them."""
    policies = policies_allowing(action) if suggest_policies else []
    context = {
        "action": action,
        "policies": policies,
        "root_only": root_only,
        "for_side": for_side,
        "case_id": case_id,
    }
    return render(request, "accounts/no_access.html", context, status=403)


def _sign_in_again(request: HttpRequest) -> HttpResponse:
    """Anonymous: back to sign-in. For htmx requests (a poll, a filter) the whole page goes
    there, not the fragment, and it comes back to the page afterwards."""
    htmx = getattr(request, "htmx", None)
    if htmx:
        page = urlsplit(htmx.current_url or "/").path if htmx.current_url else "/"
        response = HttpResponse(status=204)
        response["HX-Redirect"] = f"{settings.LOGIN_URL}?{urlencode({'next': page})}"
        return response
    return redirect_to_login(request.get_full_path())


def customer_required(action: str | None = None) -> Callable[[View], View]:
    """The request must come from a signed-in customer (root or IAM user) of an active account;
    with `action`, the principal's policies must allow it, else a "no access" page (403)."""

    def decorator(view: View) -> View:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
            principal = cast(SupportRequest, request).principal
            if principal.user is None:
                return _sign_in_again(request)
            if not principal.is_customer:
                return no_access(
                    request,
                    action,
                    suggest_policies=False,
                    for_side="customers",
                    case_id=str(kwargs.get("case_id", "")),
                )
            if action is not None and not access.is_allowed(principal, action):
                return no_access(request, action)
            return view(request, *args, **kwargs)

        return wrapped

    return decorator


def root_required(view: View) -> View:
    """Only an account's root user (IAM management)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        principal = cast(SupportRequest, request).principal
        if principal.user is None:
            return redirect_to_login(request.get_full_path())
        if not principal.user.is_root:
            return no_access(request, None, suggest_policies=False, root_only=True)
        return view(request, *args, **kwargs)

    return wrapped


def engineer_required(view: View) -> View:
    """Only support engineers (staff users without an account)."""

    @wraps(view)
    def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        principal = cast(SupportRequest, request).principal
        if principal.user is None:
            return _sign_in_again(request)
        if not principal.is_engineer or not principal.user.is_staff:
            return no_access(request, None, suggest_policies=False, for_side="engineers")
        return view(request, *args, **kwargs)

    return wrapped
