"""Cross-cutting response plumbing."""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse
from django.utils.cache import patch_vary_headers


class HtmxVaryMiddleware:
    """Pages answer htmx requests with a fragment at the page's own URL, so every response
    varies on HX-Request: otherwise the browser's cache can hand the fragment back as the page
    (Back/Forward after an htmx update)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        patch_vary_headers(response, ("HX-Request",))
        return response
