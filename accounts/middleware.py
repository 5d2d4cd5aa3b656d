"""Page requests: who is acting (`request.principal`), and what a service's refusal looks like.

- `PrincipalMiddleware` attaches the acting user plus the request facts the audit trail records
  (`accounts.http.SupportRequest` types them for views).
- `ViewerTimeZoneMiddleware` shows times in the viewer's zone (`User.viewing_time_zone`; UTC for
  anonymous visitors).
- `ServiceErrorMiddleware` turns a `SupportApiError` a view did not handle into the page it means:
  "not found" errors (missing and not-yours alike) into a 404, `AccessDeniedException` into the
  no-access page (403), anything else into an error page (400, or the error's own status) that
  shows the message. Views catch service errors themselves only to show them on a form, with the
  user's input kept.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import cast
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.defaults import page_not_found

from accounts.decorators import no_access
from accounts.http import SupportRequest
from accounts.principals import Principal
from accounts.services import mfa
from core.clientip import client_ip
from core.errors import AccessDeniedException, SupportApiError


class PrincipalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        typed = cast(SupportRequest, request)
        user = getattr(request, "user", None)
        typed.request_id = str(uuid.uuid4())
        typed.principal = Principal(
            user=user if user is not None and user.is_authenticated else None,
            via="console",
            source_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000],
            request_id=typed.request_id,
        )
        return self.get_response(request)


class ViewerTimeZoneMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        name = user.viewing_time_zone if user is not None and user.is_authenticated else "UTC"
        try:
            zone = ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            # A zone the system's database no longer knows: UTC rather than no page.
            zone = ZoneInfo("UTC")
        with timezone.override(zone):
            return self.get_response(request)


class ServiceErrorMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, SupportApiError):
            return None
        if exception.not_found:
            return page_not_found(request, Http404(exception.display_message))
        if isinstance(exception, AccessDeniedException):
            return no_access(request, exception.action)
        status = exception.http_status if 400 <= exception.http_status < 500 else 400
        return render(request, "core/error.html", {"error": exception}, status=status)


class MfaEnrollmentMiddleware:
    """An IAM user of an account that requires multi-factor sign-in, signed in without one set
    up, sees only the set-up page (and can sign out) until it is done. Costs a query only for
    IAM users of such accounts."""

    ALLOWED = ("accounts:mfa", "accounts:sign-out", "set_language")

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        if (
            user is not None
            and user.is_authenticated
            and user.is_iam
            and user.account is not None
            and user.account.require_mfa_for_iam
            and not request.path.startswith(settings.STATIC_URL or "/static/")
            and request.path not in {reverse(name) for name in self.ALLOWED}
            and mfa.mfa_required(user)
        ):
            return redirect("accounts:mfa")
        return self.get_response(request)
