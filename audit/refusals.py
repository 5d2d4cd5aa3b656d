"""Refused actions: recorded once, after their rollback, by the edge of the interface.

A service that performs an audited action declares it with `@audit_refusals(event_name, ...)`.
When the service raises a `SupportApiError` (a validation error, a limit, a conflict), the
decorator notes the refusal with the action's name, account and parameters; the outermost
declared action wins, so a web form's "create case" is recorded as CreateCase even when the
attachment step inside it refused. Nothing is written at that point: the service's transaction
is still rolling back.

The edge writes the notes down once the request is over, each in a transaction of its own:
- pages: `audit.middleware.RefusedActionsMiddleware`, whether the view showed the error on its
  form or let it become a 400/403/404 page;
- the AWS API: the dispatcher records every failed call itself (named after the operation,
  with the call's own parameters), so it ignores these notes.
Outside a request (Celery, management commands) nothing collects the notes.

Successful actions are recorded by the services themselves, inside their transaction
(`audit.services.record`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from dataclasses import dataclass
from typing import Any, ParamSpec, TypeVar

from audit.actors import Actor, AuditedAccount
from audit.names import SUPPORT_SOURCE
from core.errors import SupportApiError

P = ParamSpec("P")
R = TypeVar("R")
# What a refusal record says about the action: its account and request parameters, from the
# service's keyword arguments.
Describe = Callable[..., tuple[AuditedAccount | None, dict[str, Any] | None]]


@dataclass(frozen=True)
class Refusal:
    actor: Actor
    event_name: str
    event_source: str
    account: AuditedAccount | None
    request_parameters: dict[str, Any] | None
    error: SupportApiError


# The refusals of the current request, by error (the outermost action overwrites the inner
# ones); None outside a collecting edge.
_collected: ContextVar[dict[int, Refusal] | None] = ContextVar("audit_refusals", default=None)


def audit_refusals(
    event_name: str, *, describe: Describe, event_source: str = SUPPORT_SOURCE
) -> Callable[[Callable[P, R]], Callable[P, R]]:
    """Declare the audited action a service performs; see the module docstring. `describe`
    receives the service's keyword arguments and returns (account, request parameters)."""

    def decorator(service: Callable[P, R]) -> Callable[P, R]:
        @functools.wraps(service)
        def wrapper(*args: P.args, **kwargs: P.kwargs) -> R:
            try:
                return service(*args, **kwargs)
            except SupportApiError as error:
                collected = _collected.get()
                if collected is not None:
                    account, parameters = describe(**kwargs)
                    collected[id(error)] = Refusal(
                        actor=kwargs["actor"],  # type: ignore[arg-type]
                        event_name=str(event_name),
                        event_source=event_source,
                        account=account,
                        request_parameters=parameters,
                        error=error,
                    )
                raise

        return wrapper

    return decorator


@contextmanager
def collecting_refusals() -> Iterator[list[Refusal]]:
    """Collect the refusals of the code inside; the list is filled when the block ends."""
    found: list[Refusal] = []
    token = _collected.set({})
    try:
        yield found
    finally:
        found.extend((_collected.get() or {}).values())
        _collected.reset(token)
