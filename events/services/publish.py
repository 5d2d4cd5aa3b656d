"""Publishing events: build the EventBridge envelope, match it against the account's enabled
rules, and write one delivery per target of every matching rule, in the caller's transaction.

Delivery happens after commit (a task per delivery, and the sweep for anything the broker did
not take), so a rolled-back change sends nothing and a broker outage loses nothing. Publishing is
best effort towards the caller, as AWS's are: a rule that cannot be evaluated is logged and
skipped, never allowed to fail the case update that published the event.
"""

from __future__ import annotations

import datetime as dt
import functools
import logging
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from core import rawload
from events.models import (
    EVENTS_REGION,
    ConfirmationStatus,
    DeliveryStatus,
    EventDelivery,
    EventRule,
    EventTarget,
)
from events.pattern import matches
from events.services.outbox import DELIVERIES

logger = logging.getLogger(__name__)


def event_envelope(
    *,
    account: Account,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: Iterable[str] = (),
    time: dt.datetime | None = None,
) -> dict[str, Any]:
    """An event in EventBridge's format (the key order of AWS's samples)."""
    when = (time or timezone.now()).astimezone(dt.UTC)
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": detail_type,
        "source": source,
        "account": account.account_id,
        "time": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "region": EVENTS_REGION,
        "resources": list(resources),
        "detail": detail,
    }


@dataclass(frozen=True)
class EventTargets:
    """The targets of the enabled rules of some accounts, with their rules, by account id."""

    by_account: dict[int, list[EventTarget]]


def event_targets_for(account_ids: Iterable[int]) -> EventTargets:
    """What publishing an event of these accounts matches against: one statement, composed once
    (`core.rawload`: every case change publishes, and compiling the ORM's query cost more than
    running it). A change may read it before its transaction (so SQLite's write lock is not held
    for it) and hand it to `event_publish`; a rule changed in between is as if changed just
    after the event."""
    accounts = sorted(set(account_ids))
    if not accounts:
        return EventTargets({})
    placeholders = ", ".join(["%s"] * len(accounts))
    width = rawload.width(EventTarget)
    targets_of: dict[int, list[EventTarget]] = {}
    for row in rawload.fetch_all(
        _targets_sql().format(accounts=placeholders),
        [*accounts, ConfirmationStatus.PENDING.value],
    ):
        target = rawload.instance(EventTarget, row[:width])
        target.rule = rawload.instance(EventRule, row[width:])
        targets_of.setdefault(target.rule.account_id, []).append(target)
    return EventTargets(targets_of)


@functools.cache
def _targets_sql() -> str:
    """The enabled rules' targets of some accounts (`{accounts}`: their placeholders), each
    with its rule. Email targets waiting for their recipient's confirmation get nothing, not
    even deliveries kept for later (as SNS's pending subscriptions): the recipient has not
    agreed to any mail."""
    q = rawload.quote
    return (
        f"SELECT {rawload.columns(EventTarget, 't')}, {rawload.columns(EventRule, 'r')} "
        f"FROM {q(EventTarget._meta.db_table)} t "
        f"JOIN {q(EventRule._meta.db_table)} r ON r.{q('id')} = t.{q('rule_id')} "
        f"WHERE r.{q('account_id')} IN ({{accounts}}) AND r.{q('enabled')} "
        f"AND t.{q('confirmation_status')} <> %s "
        f"ORDER BY t.{q('rule_id')}, t.{q('id')}"
    )


# No savepoint: callers are inside their own transaction, which an error rolls back anyway.
@transaction.atomic(savepoint=False)
def event_publish(
    *,
    account: Account,
    source: str,
    detail_type: str,
    detail: dict[str, Any],
    resources: Iterable[str] = (),
    time: dt.datetime | None = None,
    targets: EventTargets | None = None,
) -> dict[str, Any]:
    """Publish an event of `account` and return it (the envelope, with its new id).

    Call it inside the transaction of the change the event reports. One query loads the enabled
    rules' targets (leaving out email targets pending confirmation); each rule is matched once;
    every such target of a matching rule gets an `EventDelivery` (pending, due now).
    Side effects: after commit, one delivery task per delivery is queued (best effort; the
    sweep delivers whatever the broker did not take). No audit record: publishing is not an
    action of the customer's.
    Raises nothing for a rule that cannot be matched (it is logged and skipped).
    `targets`, read by the caller before its transaction (`event_targets_for`), saves the query.
    """
    return events_publish(
        account=account,
        source=source,
        detail_type=detail_type,
        details=[detail],
        resources=resources,
        time=time,
        targets=targets,
    )[0]


@transaction.atomic(savepoint=False)
def events_publish(
    *,
    account: Account,
    source: str,
    detail_type: str,
    details: Sequence[dict[str, Any]],
    resources: Iterable[str] = (),
    time: dt.datetime | None = None,
    targets: EventTargets | None = None,
) -> list[dict[str, Any]]:
    """Publish several events of one kind at once (a check run's item changes): one query for
    the targets whatever the number of events, one insert and one dispatch for all deliveries.
    Same contract as `event_publish`."""
    return events_publish_many(
        source=source,
        detail_type=detail_type,
        events=[(account, detail) for detail in details],
        resources=resources,
        time=time,
        targets=targets,
    )


@transaction.atomic(savepoint=False)
def events_publish_many(
    *,
    source: str,
    detail_type: str,
    events: Sequence[tuple[Account, dict[str, Any]]],
    resources: Iterable[str] = (),
    time: dt.datetime | None = None,
    targets: EventTargets | None = None,
) -> list[dict[str, Any]]:
    """Publish events of one kind for several accounts at once (a job over many cases), each
    (account, detail) matched against its own account's rules only: one query for the targets
    of every account named, one insert and one dispatch for all deliveries. Same contract as
    `event_publish`; returns the envelopes in the order of `events`."""
    resources = list(resources)
    envelopes = [
        event_envelope(
            account=account,
            source=source,
            detail_type=detail_type,
            detail=detail,
            resources=resources,
            time=time,
        )
        for account, detail in events
    ]
    if not envelopes:
        return envelopes
    if targets is None:
        targets = event_targets_for({account.pk for account, _detail in events})
    targets_of = targets.by_account
    if not targets_of:
        return envelopes
    now = timezone.now()
    deliveries = []
    for (account, _detail), event in zip(events, envelopes, strict=True):
        verdicts: dict[int, bool] = {}
        for target in targets_of.get(account.pk, []):
            if target.rule_id not in verdicts:
                verdicts[target.rule_id] = _rule_matches(target.rule.event_pattern, event, target)
            if verdicts[target.rule_id]:
                deliveries.append(
                    EventDelivery(
                        target=target,
                        event=event,
                        event_id=event["id"],
                        detail_type=detail_type[:128],
                        status=DeliveryStatus.PENDING,
                        next_attempt_at=now,
                        # Its task is queued right after the commit; the sweep queues it again
                        # only if that task seems lost (see deliveries_sweep).
                        queued_at=now,
                    )
                )
    if deliveries:
        EventDelivery.objects.bulk_create(deliveries, batch_size=500)
        DELIVERIES.dispatch_on_commit([str(d.delivery_id) for d in deliveries])
    return envelopes


def _rule_matches(pattern: dict[str, Any], event: dict[str, Any], target: EventTarget) -> bool:
    try:
        return matches(pattern, event)
    except Exception:  # a stored pattern is validated; never let one break a case update
        logger.exception(
            "could not match rule %s of account %s", target.rule.name, event["account"]
        )
        return False
