"""Records the actions a page request had refused, once the request is over (see
`audit.refusals`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from audit.refusals import collecting_refusals
from audit.services import record_failure

logger = logging.getLogger(__name__)


class RefusedActionsMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        with collecting_refusals() as refused:
            response = self.get_response(request)
        for refusal in refused:
            try:
                record_failure(
                    actor=refusal.actor,
                    event_name=refusal.event_name,
                    event_source=refusal.event_source,
                    account=refusal.account,
                    error=refusal.error,
                    request_parameters=refusal.request_parameters,
                )
            except Exception:  # the answer matters more than its record
                logger.exception("could not record a refused %s", refusal.event_name)
        return response
