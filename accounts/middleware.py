"""Attach `request.principal` (the acting user plus request facts for the audit trail)."""

from __future__ import annotations

import uuid
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from accounts.principals import Principal


def client_ip(request: HttpRequest) -> str:
    return request.META.get("REMOTE_ADDR", "")


class PrincipalMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        user = getattr(request, "user", None)
        request_id = str(uuid.uuid4())
        request.request_id = request_id  # type: ignore[attr-defined]
        request.principal = Principal(  # type: ignore[attr-defined]
            user=user if user is not None and user.is_authenticated else None,
            via="console",
            source_ip=client_ip(request),
            user_agent=request.META.get("HTTP_USER_AGENT", "")[:1000],
            request_id=request_id,
        )
        return self.get_response(request)
