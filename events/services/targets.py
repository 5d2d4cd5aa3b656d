"""A rule's targets: adding one (PutTargets) and removing one (RemoveTargets).

Adding is a prepared operation, as creating a case is: `target_prepare` validates the
destination outside any transaction and `target_commit` writes it in one. A webhook's URL is
vetted as `core.netguard` vets a tenant's URL when it is saved, then its host is resolved the
way every delivery resolves it (`netguard.lookup_url_host`, connecting to nothing): a DNS lookup
can take seconds, which must not hold a transaction (and SQLite's write lock) open.
`target_create` does both steps, for callers with nothing to do in between.

A webhook whose host resolves to an address that is not public is refused now, since every
delivery to it would be (`events.services.webhook`). One whose host does not resolve at the
moment is accepted, and the prepared target says so (`unresolved_host`): a delivery meets that
as a failed attempt and tries again later, and a receiver's name is often published after its
webhook is configured. Deliveries vet the address again, each time (DNS may change).
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.principals import Principal
from audit import services as audit
from audit.names import EVENTS_SOURCE, AuditEventName
from audit.refusals import audit_refusals
from core import crypto, netguard
from core.errors import LimitExceededException, ValidationException
from events.models import ConfirmationStatus, EventRule, EventTarget, TargetKind
from events.services.confirmation import confirmation_request
from events.services.records import audit_destination, rule_resources

# EventBridge's quota of targets per rule.
MAX_TARGETS_PER_RULE = 5
SNS_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sns:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,256}(\.fifo)?$")
SQS_ARN_RE = re.compile(r"^arn:aws[a-z-]*:sqs:[a-z0-9-]+:\d{12}:[A-Za-z0-9_-]{1,80}(\.fifo)?$")

# Filled in by the error (params) and marked for translation: pages show them in the reader's
# language, the API as written here.
MSG_TARGET_KIND = gettext_noop("Unknown target type {kind}.")
MSG_TARGET_LIMIT = gettext_noop("A rule can have at most {limit} targets.")
MSG_WEBHOOK_URL = gettext_noop("Enter a valid http or https URL.")
# Not "except for localhost": production refuses localhost as a private address anyway, and
# the operator's switches that allow http are no business of the tenant's.
MSG_WEBHOOK_HTTPS = gettext_noop("Webhook URLs must use https.")
MSG_WEBHOOK_PRIVATE = gettext_noop(
    "Webhook URLs must point to a public internet host, not localhost or a private, loopback, "
    "link-local or reserved address."
)
MSG_WEBHOOK_RESOLVES_PRIVATE = gettext_noop(
    "{host} resolves to {address}, which is not a public internet address. Webhook URLs must "
    "point to a public internet host."
)
MSG_WEBHOOK_CREDENTIALS = gettext_noop(
    "Leave user names and passwords out of the URL; verify the signature."
)
MSG_EMAIL = gettext_noop("Enter a valid email address.")
MSG_SNS_ARN = gettext_noop(
    "Enter an SNS topic ARN, like arn:aws:sns:us-east-1:123456789012:my-topic."
)
MSG_SQS_ARN = gettext_noop(
    "Enter an SQS queue ARN, like arn:aws:sqs:us-east-1:123456789012:my-queue."
)

# Why a webhook URL is refused, in the words of the target form.
WEBHOOK_URL_MESSAGES = {
    netguard.UrlProblem.INVALID: MSG_WEBHOOK_URL,
    netguard.UrlProblem.CREDENTIALS: MSG_WEBHOOK_CREDENTIALS,
    # Delivery logs show responses to the customer: a webhook into our own network would let
    # them read internal services (SSRF). Names are checked again, resolved, at every attempt.
    netguard.UrlProblem.PRIVATE: MSG_WEBHOOK_PRIVATE,
    netguard.UrlProblem.PLAIN_HTTP: MSG_WEBHOOK_HTTPS,
}


@dataclass(frozen=True)
class PreparedTarget:
    """A target `target_prepare` validated, for `target_commit` to write."""

    rule: EventRule
    kind: str
    # The destination, cleaned: {"url": ...}, {"email": ...} or {"arn": ...}.
    destination: dict[str, str]
    # A webhook's host that did not resolve when it was vetted (deliveries fail until it does).
    unresolved_host: str = ""


def _vetted_webhook_url(url: str) -> tuple[str, str]:
    """The URL, stripped, and its host if it does not resolve now (else ""). Raises
    `ValidationException` (field url) for a URL every delivery would refuse."""
    url = (url or "").strip()
    problem = netguard.url_problem(url)
    if problem is not None:
        raise ValidationException(WEBHOOK_URL_MESSAGES[problem], field="url")
    lookup = netguard.lookup_url_host(url)
    if lookup.refused is not None:
        raise ValidationException(
            MSG_WEBHOOK_RESOLVES_PRIVATE,
            params={"host": lookup.host, "address": str(lookup.refused)},
            field="url",
        )
    return url, "" if lookup.resolved else lookup.host


@audit_refusals(
    AuditEventName.PUT_TARGETS,
    event_source=EVENTS_SOURCE,
    describe=lambda *, rule, kind, **_: (rule.account, {"rule": rule.name, "kind": kind}),
)
def target_prepare(
    *,
    rule: EventRule,
    actor: Principal,
    kind: str,
    url: str = "",
    email: str = "",
    arn: str = "",
) -> PreparedTarget:
    """Validate a target for `rule`, outside any transaction (a webhook's host is resolved:
    call it before opening one). Writes nothing.

    Preconditions: `rule` was loaded with `access_event_rule` for events:PutTargets.
    Webhook URLs must not name localhost or a non-public IP address, nor a host that resolves
    to one, unless EVENTS_ALLOW_PRIVATE_WEBHOOKS is set (the resolved addresses are checked
    again at every delivery). A host that does not resolve now is accepted and reported in
    `unresolved_host`. URLs must be https unless DEBUG is on, EVENTS_ALLOW_HTTP_WEBHOOKS is set,
    or the host is localhost/127.0.0.1/::1 and private webhooks are allowed. SNS/SQS targets are
    reached through the account's connected AWS environment when events are delivered (not
    checked here).
    Raises `ValidationException` (kind, url, email, arn).
    """
    if kind == TargetKind.WEBHOOK:
        clean_url, unresolved_host = _vetted_webhook_url(url)
        return PreparedTarget(rule, kind, {"url": clean_url}, unresolved_host)
    if kind == TargetKind.EMAIL:
        email = (email or "").strip()
        try:
            validate_email(email)
        except ValidationError:
            raise ValidationException(MSG_EMAIL, field="email") from None
        return PreparedTarget(rule, kind, {"email": email})
    if kind in (TargetKind.SNS, TargetKind.SQS):
        arn = (arn or "").strip()
        pattern, message = (
            (SNS_ARN_RE, MSG_SNS_ARN) if kind == TargetKind.SNS else (SQS_ARN_RE, MSG_SQS_ARN)
        )
        if not pattern.match(arn):
            raise ValidationException(message, field="arn")
        return PreparedTarget(rule, kind, {"arn": arn})
    raise ValidationException(MSG_TARGET_KIND, params={"kind": kind}, field="kind")


@audit_refusals(
    AuditEventName.PUT_TARGETS,
    event_source=EVENTS_SOURCE,
    describe=lambda *, prepared, **_: (
        prepared.rule.account,
        {"rule": prepared.rule.name, "kind": prepared.kind},
    ),
)
@transaction.atomic
def target_commit(*, prepared: PreparedTarget, actor: Principal) -> tuple[EventTarget, str]:
    """Add the target `target_prepare` returned to its rule (PutTargets). Returns the target
    and, for webhooks, its signing secret in plain text: the only time it is shown (it is
    stored encrypted).

    Preconditions: `prepared` comes from `target_prepare` in this request. Email targets start
    pending confirmation and receive nothing but the confirmation email until their recipient
    confirms.
    Side effects: an audit record (PutTargets); for email, a confirmation email in the outbox,
    queued after commit.
    Raises `LimitExceededException`.
    """
    rule, kind = prepared.rule, prepared.kind
    fields: dict[str, Any] = dict(prepared.destination)
    secret = ""
    if kind == TargetKind.WEBHOOK:
        secret = "whsec_" + secrets.token_urlsafe(32)
        fields["secret_encrypted"] = crypto.encrypt(secret)
    elif kind == TargetKind.EMAIL:
        fields["confirmation_status"] = ConfirmationStatus.PENDING
        fields["confirmation_requested_at"] = timezone.now()
    # Lock the rule so two additions cannot both pass the quota check.
    EventRule.objects.select_for_update().filter(pk=rule.pk).first()
    if EventTarget.objects.filter(rule=rule).count() >= MAX_TARGETS_PER_RULE:
        raise LimitExceededException(MSG_TARGET_LIMIT, params={"limit": MAX_TARGETS_PER_RULE})
    target = EventTarget.objects.create(
        rule=rule, kind=kind, target_id=f"{kind}-{secrets.token_hex(4)}", **fields
    )
    if kind == TargetKind.EMAIL:
        confirmation_request(target=target)
    audit.record(
        actor=actor,
        event_name=AuditEventName.PUT_TARGETS,
        event_source=EVENTS_SOURCE,
        account=rule.account,
        request_parameters={"rule": rule.name, "targets": [audit_destination(target)]},
        response_elements={"failedEntryCount": 0, "failedEntries": []},
        resources=rule_resources(rule.name),
    )
    return target, secret


def target_create(
    *,
    rule: EventRule,
    actor: Principal,
    kind: str,
    url: str = "",
    email: str = "",
    arn: str = "",
) -> tuple[EventTarget, str]:
    """`target_prepare` then `target_commit`: add a target to `rule` (PutTargets), returning it
    and a webhook's signing secret. Call it outside any transaction for webhooks (their host is
    resolved). Preconditions, side effects and errors: those of the two steps."""
    prepared = target_prepare(rule=rule, actor=actor, kind=kind, url=url, email=email, arn=arn)
    return target_commit(prepared=prepared, actor=actor)


@transaction.atomic
def target_delete(*, target: EventTarget, actor: Principal) -> None:
    """Remove a target with its delivery log (RemoveTargets); queued deliveries are dropped.
    Side effects: an audit record (RemoveTargets)."""
    rule = target.rule
    audit.record(
        actor=actor,
        event_name=AuditEventName.REMOVE_TARGETS,
        event_source=EVENTS_SOURCE,
        account=rule.account,
        request_parameters={
            "rule": rule.name,
            "ids": [target.target_id],
            "targets": [audit_destination(target)],
        },
        response_elements={"failedEntryCount": 0, "failedEntries": []},
        resources=rule_resources(rule.name),
    )
    target.delete()
