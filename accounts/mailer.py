"""Email about a user's own sign-in (password recovery), queued rather than sent in the request.

The outbox that sends email lives in the notifications app, a layer above this one. It hands
this module its queue when it starts, the way the apps above it hand it their renderers: the
views here then never talk SMTP inside a request, so a mail server that is down or slow cannot
fail or stall the page, and the message is retried like every other email.
"""

from __future__ import annotations

from collections.abc import Callable

from django.core.exceptions import ImproperlyConfigured

from accounts.models import User

# (user, language) -> None: queue the password-recovery email for `user`.
ResetQueue = Callable[[User, str], None]
_queues: list[ResetQueue] = []


def password_reset_queue_register(queue: ResetQueue) -> None:
    _queues[:] = [queue]


def password_reset_queue(user: User, *, language: str) -> None:
    """Queue `user`'s password-recovery email, in `language`, inside the caller's transaction.
    The link's token is made when the message is sent, so no usable token is ever stored."""
    if not _queues:
        raise ImproperlyConfigured("The notifications app is not installed: no email outbox.")
    _queues[0](user, language)
