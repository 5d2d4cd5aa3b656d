"""Forms another app may fill in: a page of one domain links to a form of another with what it
knows (the Trusted Advisor check page opens a case about a finding), without either importing
the other (they share a layer, so neither may).

The form's owner reads `?from=<source>` and asks `prefill_initial`; the source's app registers
a provider from its `ready()` (`prefill_register`). A provider loads what it names through its
own `access` functions for the requesting principal, so a link naming someone else's objects
fills in nothing: the form opens empty, exactly as for objects that do not exist.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.http import QueryDict

from core.errors import SupportApiError

# (principal, the request's query parameters) -> initial values of the form's fields.
Provider = Callable[[Any, QueryDict], dict[str, str]]
PROVIDERS: dict[str, Provider] = {}


def prefill_register(source: str, provider: Provider) -> None:
    """Let forms be filled in from `?from=<source>` (call it from the source app's `ready()`)."""
    PROVIDERS[source] = provider


def prefill_initial(principal: Any, params: QueryDict) -> dict[str, str]:
    """The initial values `?from=` asks for, or nothing: an unknown source, or one whose
    objects the principal may not see (the provider's SupportApiError)."""
    provider = PROVIDERS.get(params.get("from", ""))
    if provider is None:
        return {}
    try:
        return provider(principal, params)
    except SupportApiError:
        return {}
