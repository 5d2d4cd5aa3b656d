"""Route AWS API calls before the web app's middleware sees them.

`POST /` with `X-Amz-Target` and the awsJson content type is an API call. Handling it here, ahead
of sessions, CSRF and authentication, means a session cookie can never authenticate the API and
the body is read by the API's own size-capped reader.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from awsapi import dispatch


def is_api_call(request: HttpRequest) -> bool:
    # Any POST / naming an X-Amz-Target is meant for the API; the dispatcher answers a wrong
    # content type with an AWS JSON error instead of the web app's HTML.
    return request.method == "POST" and request.path == "/" and "HTTP_X_AMZ_TARGET" in request.META


class AwsApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_call(request):
            return dispatch.handle(request)
        return self.get_response(request)
