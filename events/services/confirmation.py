"""Confirming email targets, as SNS confirms email subscriptions.

Without it any tenant could make the operator's mail domain write to anyone. A new email target
is "pending confirmation"; `target_create` asks for one confirmation email, written as an
`EventDelivery` with purpose "confirmation" (the same outbox: sent after commit by the delivery
task, retried with backoff, listed in the target's delivery log, never replayable). It carries
a signed link (`django.core.signing`, salted, timestamped: valid `CONFIRMATION_MAX_AGE` from
when it was sent) to a page whose Confirm button (a POST; GET changes nothing) confirms the
target. Until then publishing creates no deliveries for the target (see `events_publish`).
Someone allowed PutTargets may ask for the email again, once per `RESEND_INTERVAL`.

The link names the target by account id, rule name and target id plus a fingerprint of the
address, not by primary key; the signature makes it unforgeable, and the fingerprint keeps a
link from confirming a different address should a target id ever be reused.
"""

from __future__ import annotations

import hashlib
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.core import signing
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from accounts.principals import Principal
from audit import services as audit
from audit.names import EVENTS_SOURCE, AuditEventName
from audit.refusals import audit_refusals
from core.errors import (
    ConfirmationLinkExpired,
    ConfirmationLinkInvalid,
    LimitExceededException,
    ValidationException,
)
from events.models import (
    ConfirmationStatus,
    DeliveryPurpose,
    DeliveryStatus,
    EventDelivery,
    EventTarget,
    TargetKind,
)
from events.services.outbox import DELIVERIES
from events.services.publish import event_envelope

CONFIRMATION_SALT = "events.email-target-confirmation"
CONFIRMATION_MAX_AGE = timedelta(days=3)
RESEND_INTERVAL = timedelta(minutes=10)
# The confirmation request as it appears in the delivery log (not an event anyone publishes).
CONFIRMATION_SOURCE = "supportcenter.events"
CONFIRMATION_DETAIL_TYPE = "Email Target Confirmation Request"

CONFIRM_TARGET = AuditEventName.CONFIRM_TARGET
RESEND_TARGET_CONFIRMATION = AuditEventName.RESEND_TARGET_CONFIRMATION

# Shown on the public confirmation page, in the reader's language (`display_message`).
MSG_LINK_INVALID = gettext_noop(
    "This confirmation link is not valid. Check that you opened the whole link from the email."
)
MSG_LINK_EXPIRED = gettext_noop(
    "This confirmation link has expired: links work for 3 days. Ask whoever added your address "
    "to send the confirmation email again."
)
MSG_LINK_TARGET_GONE = gettext_noop(
    "This confirmation link is for an email target that no longer exists."
)
MSG_NOT_PENDING = gettext_noop(
    "Only email targets waiting for confirmation can be sent a confirmation email."
)
MSG_RESEND_LIMIT = gettext_noop(
    "A confirmation email can be sent once every {minutes} minutes. Try again later."
)


def _fingerprint(email: str) -> str:
    return hashlib.sha256(email.strip().lower().encode("utf-8")).hexdigest()[:16]


def confirmation_token(target: EventTarget) -> str:
    """A signed, timestamped token for `target`'s confirmation link (made when it is sent)."""
    payload = {
        "a": target.rule.account.account_id,
        "r": target.rule.name,
        "t": target.target_id,
        "e": _fingerprint(target.email),
    }
    return signing.dumps(payload, salt=CONFIRMATION_SALT)


def confirmation_url(target: EventTarget) -> str:
    return settings.SITE_URL.rstrip("/") + reverse(
        "events:confirm", args=[confirmation_token(target)]
    )


def confirmation_email(target: EventTarget) -> tuple[str, str]:
    """The confirmation email's subject and text, with a fresh link."""
    rule = target.rule
    subject = _("[Support Center] Confirm event notifications to %(email)s") % {
        "email": target.email
    }
    text = "\n".join(
        [
            _(
                "Support Center account %(account)s wants to send email notifications for its "
                'event rule "%(rule)s" to this address (%(email)s).'
            )
            % {"account": rule.account.account_id, "rule": rule.name, "email": target.email},
            "",
            _("To receive them, open this link and press Confirm:"),
            confirmation_url(target),
            "",
            _(
                "The link works for 3 days. If you did not expect this email, ignore it: "
                "nothing more is sent to you unless you confirm."
            ),
        ]
    )
    return " ".join(subject.split())[:300], text


def target_for_confirmation(token: str) -> EventTarget:
    """The email target a confirmation token names: the token is the capability (the person
    following it is usually not signed in), so this is the link's only access check.

    Raises `ConfirmationLinkExpired` (signed more than `CONFIRMATION_MAX_AGE` ago) and
    `ConfirmationLinkInvalid` (bad signature or shape, or no such target any more)."""
    try:
        payload: Any = signing.loads(token, salt=CONFIRMATION_SALT, max_age=CONFIRMATION_MAX_AGE)
    except signing.SignatureExpired:
        raise ConfirmationLinkExpired(MSG_LINK_EXPIRED) from None
    except (signing.BadSignature, ValueError, UnicodeError):
        raise ConfirmationLinkInvalid(MSG_LINK_INVALID) from None
    keys = ("a", "r", "t", "e")
    if not isinstance(payload, dict) or not all(isinstance(payload.get(k), str) for k in keys):
        raise ConfirmationLinkInvalid(MSG_LINK_INVALID)
    target = (
        EventTarget.objects.select_related("rule", "rule__account")
        .filter(
            kind=TargetKind.EMAIL,
            rule__account__account_id=payload["a"],
            rule__name=payload["r"],
            target_id=payload["t"],
        )
        .first()
    )
    if target is None or _fingerprint(target.email) != payload["e"]:
        raise ConfirmationLinkInvalid(MSG_LINK_TARGET_GONE)
    return target


def _targets_parameters(target: EventTarget) -> dict[str, Any]:
    return {
        "rule": target.rule.name,
        "targets": [{"id": target.target_id, "email": target.email}],
    }


def _resources(target: EventTarget) -> list[dict[str, str]]:
    return [{"ResourceType": "AWS::Events::Rule", "ResourceName": target.rule.name}]


def confirmation_request(*, target: EventTarget) -> EventDelivery:
    """Write the confirmation email for `target` into the outbox; call inside the transaction
    that created or changed the target. Side effects: after commit, its delivery task is
    queued (the sweep covers a broker outage)."""
    now = timezone.now()
    rule = target.rule
    event = event_envelope(
        account=rule.account,
        source=CONFIRMATION_SOURCE,
        detail_type=CONFIRMATION_DETAIL_TYPE,
        detail={"rule": rule.name, "target-id": target.target_id, "email": target.email},
        time=now,
    )
    delivery = EventDelivery.objects.create(
        target=target,
        purpose=DeliveryPurpose.CONFIRMATION,
        event=event,
        event_id=event["id"],
        detail_type=CONFIRMATION_DETAIL_TYPE,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        queued_at=now,
    )
    DELIVERIES.dispatch_on_commit([str(delivery.delivery_id)])
    return delivery


def resend_available_at(target: EventTarget) -> Any:
    """When a confirmation email may next be asked for (None: now)."""
    if target.confirmation_requested_at is None:
        return None
    available = target.confirmation_requested_at + RESEND_INTERVAL
    return available if available > timezone.now() else None


@audit_refusals(
    RESEND_TARGET_CONFIRMATION,
    event_source=EVENTS_SOURCE,
    describe=lambda *, target, **_: (
        target.rule.account,
        {"rule": target.rule.name, "ids": [target.target_id]},
    ),
)
@transaction.atomic
def target_confirmation_resend(*, target: EventTarget, actor: Principal) -> EventDelivery:
    """Send an email target's confirmation email again ("Resend confirmation").

    Preconditions: `target` was loaded with `access_event_target` for events:PutTargets.
    At most once per `RESEND_INTERVAL` per target (a conditional update on
    `confirmation_requested_at`, so two concurrent requests cannot both pass).
    Side effects: a confirmation delivery (queued after commit); an audit record
    (ResendTargetConfirmation).
    Raises `ValidationException` (not an email target, or not pending confirmation),
    `LimitExceededException` (asked for less than `RESEND_INTERVAL` ago).
    """
    if target.kind != TargetKind.EMAIL or target.confirmation_status != ConfirmationStatus.PENDING:
        raise ValidationException(MSG_NOT_PENDING)
    now = timezone.now()
    allowed = Q(confirmation_requested_at__isnull=True) | Q(
        confirmation_requested_at__lte=now - RESEND_INTERVAL
    )
    taken = (
        EventTarget.objects.filter(pk=target.pk, confirmation_status=ConfirmationStatus.PENDING)
        .filter(allowed)
        .update(confirmation_requested_at=now, updated_at=now)
    )
    if not taken:
        minutes = int(RESEND_INTERVAL.total_seconds() // 60)
        raise LimitExceededException(MSG_RESEND_LIMIT, params={"minutes": minutes})
    target.confirmation_requested_at = now
    delivery = confirmation_request(target=target)
    audit.record(
        actor=actor,
        event_name=RESEND_TARGET_CONFIRMATION,
        event_source=EVENTS_SOURCE,
        account=target.rule.account,
        request_parameters=_targets_parameters(target),
        response_elements={"deliveryId": str(delivery.delivery_id)},
        resources=_resources(target),
    )
    return delivery


@transaction.atomic
def target_confirm(*, target: EventTarget, actor: Principal) -> bool:
    """Confirm an email target (the Confirm button of its emailed link). Returns whether this
    call confirmed it: a second confirmation changes nothing and records nothing.

    Preconditions: `target` came from `target_for_confirmation` (a valid, unexpired token).
    `actor` is whoever followed the link, usually anonymous (the audit record keeps their IP
    address and user agent).
    Side effects: the target's status and `confirmed_at` (a conditional update from pending);
    an audit record (ConfirmTarget) in the target's account. Matching events published from
    now on are delivered to the address.
    """
    now = timezone.now()
    changed = EventTarget.objects.filter(
        pk=target.pk, confirmation_status=ConfirmationStatus.PENDING
    ).update(confirmation_status=ConfirmationStatus.CONFIRMED, confirmed_at=now, updated_at=now)
    if not changed:
        return False
    target.confirmation_status, target.confirmed_at = ConfirmationStatus.CONFIRMED, now
    audit.record(
        actor=actor,
        event_name=CONFIRM_TARGET,
        event_source=EVENTS_SOURCE,
        account=target.rule.account,
        request_parameters=_targets_parameters(target),
        response_elements={"confirmationStatus": ConfirmationStatus.CONFIRMED.value},
        resources=_resources(target),
    )
    return True
