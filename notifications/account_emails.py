"""The accounts app's emails, queued in the outbox (`accounts.mailer` explains why).

The password-recovery message is rendered when it is sent: the queued row holds the user's
primary key and the language, never the link, so the database holds no token that would let a
reader of it choose the root user's password.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from accounts.models import User, UserKind
from notifications.services import Email, Queued, notifications_enqueue

PASSWORD_RESET = "password-reset"


def password_reset_enqueue(user: User, language: str) -> None:
    notifications_enqueue(
        [
            Queued(
                recipients=[user.email],
                kind=PASSWORD_RESET,
                template=PASSWORD_RESET,
                context={"user": user.pk, "language": language},
                account=user.account,
            )
        ]
    )


def password_reset_render(context: dict[str, Any]) -> Email | None:
    """The message with a link made now; None when the user is gone, disabled or no longer a
    root user or engineer with an email address (the reset form's users)."""
    kinds = (UserKind.ROOT, UserKind.ENGINEER)
    user = User.objects.filter(
        pk=context["user"], kind__in=kinds, is_active=True, is_superuser=False
    ).first()
    if user is None or not user.email:
        return None
    site = settings.SITE_URL.rstrip("/")
    protocol, _sep, domain = site.partition("://")
    values = {
        "email": user.email,
        "user": user,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "token": default_token_generator.make_token(user),
        "protocol": protocol,
        "domain": domain,
    }
    with translation.override(context.get("language") or "en"):
        subject = render_to_string("accounts/email/password_reset_subject.txt", values)
        body = render_to_string("accounts/email/password_reset.txt", values)
    return Email(subject=" ".join(subject.split()), body_text=body)
