"""Writes for events: rules and replays here, their targets in `targets`; publishing events in
`publish`; delivering them (the worker side, retries and the sweep) in `delivery`, through the
senders in `webhook` (SSRF-safe, deadline-bounded, signed) and `channels` (email, SNS, SQS),
which share `sending`.

Every rule and target change is one transaction with its audit record (event source
events.amazonaws.com, EventBridge's operation names). Patterns are validated by
`events.pattern.load_pattern`, so a stored pattern is always valid. Email targets must be
confirmed by their recipient before anything is sent to them (`confirmation`). Webhook URLs
reach the audit trail only as scheme, host and port plus a fingerprint (`events.redact`):
chat webhooks keep their secret in the path.
"""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.principals import Principal
from audit import services as audit
from audit.names import EVENTS_SOURCE, AuditEventName
from audit.refusals import audit_refusals
from core.errors import (
    LimitExceededException,
    Problems,
    ResourceAlreadyExistsException,
    ValidationException,
)
from events.kinds import CASE_DETAIL_TYPE, CASE_SOURCE, TA_DETAIL_TYPE, TA_SOURCE, CaseEventName
from events.models import (
    ConfirmationStatus,
    DeliveryPurpose,
    DeliveryStatus,
    EventDelivery,
    EventRule,
)
from events.pattern import load_pattern
from events.services.confirmation import (
    ConfirmationLinkExpired,
    ConfirmationLinkInvalid,
    target_confirm,
    target_confirmation_resend,
    target_for_confirmation,
)
from events.services.delivery import deliveries_sweep, delivery_attempt
from events.services.outbox import BACKOFF, DELIVERIES, MAX_ATTEMPTS
from events.services.publish import (
    EventTargets,
    event_publish,
    event_targets_for,
    events_publish,
    events_publish_many,
)
from events.services.records import rule_resources
from events.services.targets import (
    MAX_TARGETS_PER_RULE,
    MSG_EMAIL,
    MSG_SNS_ARN,
    MSG_SQS_ARN,
    MSG_TARGET_KIND,
    MSG_TARGET_LIMIT,
    MSG_WEBHOOK_CREDENTIALS,
    MSG_WEBHOOK_HTTPS,
    MSG_WEBHOOK_PRIVATE,
    MSG_WEBHOOK_RESOLVES_PRIVATE,
    MSG_WEBHOOK_URL,
    PreparedTarget,
    target_commit,
    target_create,
    target_delete,
    target_prepare,
)
from events.services.webhook import webhook_signature

__all__ = [
    "CASE_DETAIL_TYPE",
    "CASE_SOURCE",
    "TA_DETAIL_TYPE",
    "TA_SOURCE",
    "CaseEventName",
    "BACKOFF",
    "MAX_ATTEMPTS",
    "ConfirmationLinkExpired",
    "ConfirmationLinkInvalid",
    "deliveries_sweep",
    "delivery_attempt",
    "delivery_replay",
    "EventTargets",
    "event_publish",
    "event_targets_for",
    "events_publish",
    "events_publish_many",
    "MAX_TARGETS_PER_RULE",
    "MSG_EMAIL",
    "MSG_SNS_ARN",
    "MSG_SQS_ARN",
    "MSG_TARGET_KIND",
    "MSG_TARGET_LIMIT",
    "MSG_WEBHOOK_CREDENTIALS",
    "MSG_WEBHOOK_HTTPS",
    "MSG_WEBHOOK_PRIVATE",
    "MSG_WEBHOOK_RESOLVES_PRIVATE",
    "MSG_WEBHOOK_URL",
    "PreparedTarget",
    "rule_create",
    "rule_delete",
    "rule_set_enabled",
    "rule_update",
    "target_confirm",
    "target_commit",
    "target_confirmation_resend",
    "target_create",
    "target_delete",
    "target_for_confirmation",
    "target_prepare",
    "webhook_signature",
]

# EventBridge's quota of rules per event bus (targets per rule: `targets`).
MAX_RULES_PER_ACCOUNT = 300
MAX_DESCRIPTION = 512
RULE_NAME_RE = re.compile(r"^[.\-_A-Za-z0-9]{1,64}$")

# Filled in by the error (params) and marked for translation: pages show them in the reader's
# language, the API as written here.
MSG_RULE_NAME = gettext_noop(
    "A rule name is 1 to 64 letters, digits, periods, hyphens and underscores."
)
MSG_RULE_EXISTS = gettext_noop("Rule {name} already exists.")
MSG_RULE_LIMIT = gettext_noop("You can have at most {limit} rules.")
MSG_DESCRIPTION = gettext_noop("The description can be at most 512 characters.")
MSG_REPLAY_PENDING = gettext_noop("Only delivered or failed deliveries can be replayed.")
MSG_REPLAY_CONFIRMATION = gettext_noop(
    "A confirmation email cannot be replayed; use Resend confirmation on the rule's page."
)
MSG_REPLAY_UNCONFIRMED = gettext_noop(
    "Events cannot be sent to this email address until it is confirmed."
)
MSG_REPLAY_LIMIT = gettext_noop(
    "You can replay at most {limit} deliveries an hour. Try again later."
)
# Replays per account in any hour (each one sends to the tenant's endpoint again).
MAX_REPLAYS_PER_HOUR = 30
REPLAY_WINDOW = timedelta(hours=1)


# --- rules ---------------------------------------------------------------------------------------


def _clean_description(description: str) -> str:
    description = (description or "").strip()
    if len(description) > MAX_DESCRIPTION:
        raise ValidationException(MSG_DESCRIPTION, field="description")
    return description


def _rule_fields(
    problems: Problems, description: str, event_pattern: str | dict[str, Any]
) -> tuple[str, dict[str, Any]]:
    """The description and pattern as stored; their errors go to `problems`, which the caller
    raises before using either."""
    clean_description, pattern = "", {}
    with problems.check():
        clean_description = _clean_description(description)
    with problems.check():
        pattern = load_pattern(event_pattern)
    return clean_description, pattern


def _record_put_rule(rule: EventRule, actor: Principal) -> None:
    audit.record(
        actor=actor,
        event_name=AuditEventName.PUT_RULE,
        event_source=EVENTS_SOURCE,
        account=rule.account,
        request_parameters={
            "name": rule.name,
            "eventPattern": rule.event_pattern,
            "state": rule.state,
            "description": rule.description,
        },
        response_elements={"ruleArn": rule.arn},
        resources=rule_resources(rule.name),
    )


@audit_refusals(
    AuditEventName.PUT_RULE,
    event_source=EVENTS_SOURCE,
    describe=lambda *, account, name, **_: (account, {"name": name}),
)
@transaction.atomic
def rule_create(
    *,
    account: Account,
    actor: Principal,
    name: str,
    event_pattern: str | dict[str, Any],
    description: str = "",
    enabled: bool = True,
) -> EventRule:
    """Create a rule in `account` (the console's "Create rule"; EventBridge's PutRule).

    Preconditions: `actor` was authorized for events:PutRule on `account`.
    `event_pattern` is JSON text or the parsed object; it is validated and stored parsed.
    Side effects: an audit record (PutRule) in this transaction.
    Raises `ValidationException` (name, description), `InvalidEventPatternException`,
    `ResourceAlreadyExistsException` (the name is taken), `LimitExceededException`: every field
    is checked before the first of them is raised, carrying the others (`core.errors.Problems`),
    so the form shows each beside its field at once.
    """
    problems = Problems()
    name = (name or "").strip()
    well_formed = RULE_NAME_RE.match(name) is not None
    if not well_formed:
        problems.add(ValidationException(MSG_RULE_NAME, field="name"))
    clean_description, pattern = _rule_fields(problems, description, event_pattern)
    # Lock the account row so two creations cannot both pass the quota check.
    Account.objects.select_for_update().filter(pk=account.pk).first()
    if EventRule.objects.filter(account=account).count() >= MAX_RULES_PER_ACCOUNT:
        problems.add(
            LimitExceededException(MSG_RULE_LIMIT, params={"limit": MAX_RULES_PER_ACCOUNT})
        )
    if well_formed and EventRule.objects.filter(account=account, name=name).exists():
        problems.add(
            ResourceAlreadyExistsException(MSG_RULE_EXISTS, params={"name": name}, field="name")
        )
    problems.raise_any()
    try:
        with transaction.atomic():
            rule = EventRule.objects.create(
                account=account,
                name=name,
                description=clean_description,
                event_pattern=pattern,
                enabled=enabled,
                created_by=actor.user,
            )
    except IntegrityError:  # a concurrent creation won the name
        raise ResourceAlreadyExistsException(
            MSG_RULE_EXISTS, params={"name": name}, field="name"
        ) from None
    _record_put_rule(rule, actor)
    return rule


@audit_refusals(
    AuditEventName.PUT_RULE,
    event_source=EVENTS_SOURCE,
    describe=lambda *, rule, **_: (rule.account, {"name": rule.name}),
)
@transaction.atomic
def rule_update(
    *, rule: EventRule, actor: Principal, event_pattern: str | dict[str, Any], description: str
) -> EventRule:
    """Change a rule's pattern and description (PutRule on an existing rule; names are fixed).

    Preconditions: `rule` was loaded with `access_event_rule` for events:PutRule.
    Side effects: an audit record (PutRule). Events published from now on use the new pattern.
    Raises `ValidationException`, `InvalidEventPatternException` (the first, carrying the other).
    """
    problems = Problems()
    clean_description, pattern = _rule_fields(problems, description, event_pattern)
    problems.raise_any()
    rule.description, rule.event_pattern = clean_description, pattern
    rule.save(update_fields=["description", "event_pattern", "updated_at"])
    _record_put_rule(rule, actor)
    return rule


@transaction.atomic
def rule_set_enabled(*, rule: EventRule, actor: Principal, enabled: bool) -> EventRule:
    """Enable or disable a rule (EnableRule / DisableRule). A disabled rule matches nothing;
    deliveries already queued still go out. Side effects: an audit record, when it changed."""
    if rule.enabled == enabled:
        return rule
    rule.enabled = enabled
    rule.save(update_fields=["enabled", "updated_at"])
    audit.record(
        actor=actor,
        event_name=AuditEventName.ENABLE_RULE if enabled else AuditEventName.DISABLE_RULE,
        event_source=EVENTS_SOURCE,
        account=rule.account,
        request_parameters={"name": rule.name},
        resources=rule_resources(rule.name),
    )
    return rule


@transaction.atomic
def rule_delete(*, rule: EventRule, actor: Principal) -> None:
    """Delete a rule with its targets and their delivery logs (DeleteRule with Force: the
    console removes the targets too). Pending deliveries are dropped.
    Side effects: an audit record (DeleteRule) naming the removed targets."""
    target_ids = list(rule.targets.values_list("target_id", flat=True))
    audit.record(
        actor=actor,
        event_name=AuditEventName.DELETE_RULE,
        event_source=EVENTS_SOURCE,
        account=rule.account,
        request_parameters={"name": rule.name, "force": True, "removedTargets": target_ids},
        resources=rule_resources(rule.name),
    )
    rule.delete()


# --- replay --------------------------------------------------------------------------------------


@audit_refusals(
    AuditEventName.START_REPLAY,
    event_source=EVENTS_SOURCE,
    describe=lambda *, delivery, **_: (
        delivery.target.rule.account,
        {
            "rule": delivery.target.rule.name,
            "target": delivery.target.target_id,
            "deliveryId": str(delivery.delivery_id),
        },
    ),
)
@transaction.atomic
def delivery_replay(*, delivery: EventDelivery, actor: Principal) -> EventDelivery:
    """Send a delivered or failed event to its target again, as a new delivery with its own id
    and attempt log (the event itself, id included, is unchanged so receivers can deduplicate).

    Preconditions: `delivery` was loaded with `access_event_delivery` for events:StartReplay.
    At most `MAX_REPLAYS_PER_HOUR` replays per account in any hour (the account row is locked
    while they are counted, so concurrent replays cannot both take the last one).
    Side effects: an audit record (StartReplay, our closest EventBridge name); after commit, a
    delivery task is queued (the sweep covers a broker outage).
    Raises `ValidationException` for a delivery still pending or being sent (it will go out),
    a confirmation email, or an email target not confirmed; `LimitExceededException` past the
    hourly limit.
    """
    if delivery.status not in (DeliveryStatus.DELIVERED, DeliveryStatus.FAILED):
        raise ValidationException(MSG_REPLAY_PENDING)
    if delivery.purpose == DeliveryPurpose.CONFIRMATION:
        raise ValidationException(MSG_REPLAY_CONFIRMATION)
    if delivery.target.confirmation_status == ConfirmationStatus.PENDING:
        raise ValidationException(MSG_REPLAY_UNCONFIRMED)
    account = delivery.target.rule.account
    now = timezone.now()
    Account.objects.select_for_update().filter(pk=account.pk).first()
    recent = EventDelivery.objects.filter(
        target__rule__account=account,
        replay_of__isnull=False,
        created_at__gt=now - REPLAY_WINDOW,
    ).count()
    if recent >= MAX_REPLAYS_PER_HOUR:
        raise LimitExceededException(MSG_REPLAY_LIMIT, params={"limit": MAX_REPLAYS_PER_HOUR})
    replay = EventDelivery.objects.create(
        target=delivery.target,
        event=delivery.event,
        event_id=delivery.event_id,
        detail_type=delivery.detail_type,
        status=DeliveryStatus.PENDING,
        next_attempt_at=now,
        queued_at=now,
        replay_of=delivery,
    )
    rule = delivery.target.rule
    audit.record(
        actor=actor,
        event_name=AuditEventName.START_REPLAY,
        event_source=EVENTS_SOURCE,
        account=rule.account,
        request_parameters={
            "rule": rule.name,
            "target": delivery.target.target_id,
            "deliveryId": str(delivery.delivery_id),
            "eventId": delivery.event_id,
        },
        response_elements={"deliveryId": str(replay.delivery_id)},
        resources=rule_resources(rule.name),
    )
    DELIVERIES.dispatch_on_commit([str(replay.delivery_id)])
    return replay
