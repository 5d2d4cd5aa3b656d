"""The request every page view receives, typed: what `accounts.middleware.PrincipalMiddleware`
and django-htmx's middleware attach to Django's request."""

from __future__ import annotations

from django.http import HttpRequest
from django_htmx.middleware import HtmxDetails

from accounts.principals import Principal


class SupportRequest(HttpRequest):
    # Who is acting, with the request facts the audit trail records.
    principal: Principal
    # The id the audit records of this request share.
    request_id: str
    # Truthy for requests htmx made (a partial update).
    htmx: HtmxDetails
