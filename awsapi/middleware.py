"""Route AWS API calls before the web app's middleware sees them.

Every `POST /` is an API call (the home page only answers GET), with or without `X-Amz-Target`
or the awsJson content type: the dispatcher answers what is missing with AWS's JSON error, never
the web app's CSRF page. Handling it here, ahead of sessions, CSRF and authentication, means a
session cookie can never authenticate the API and the body is read by the API's own size-capped
reader.
"""

from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from awsapi import dispatch


def is_api_call(request: HttpRequest) -> bool:
    return request.method == "POST" and request.path == "/"


class AwsApiMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if is_api_call(request):
            return dispatch.handle(request)
        return self.get_response(request)
