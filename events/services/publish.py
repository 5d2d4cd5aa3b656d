"""Publishing events: build the EventBridge envelope, match it against the account's enabled
rules, and write one delivery per target of every matching rule, in the caller's transaction.

Delivery happens after commit (a task per delivery, and the sweep for anything the broker did
not take), so a rolled-back change sends nothing and a broker outage loses nothing. Publishing is
best effort towards the caller, as AWS's are: a rule that cannot be evaluated is logged and
skipped, never allowed to fail the case update that published the event.
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import uuid
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.utils import timezone

from accounts.models import Account
from events.models import (
    EVENTS_REGION,
    ConfirmationStatus,
    DeliveryStatus,
    EventDelivery,
    EventTarget,
)
from events.pattern import matches

if TYPE_CHECKING:
    from cases.models import Case, Communication

logger = logging.getLogger(__name__)

# Trusted Advisor's event (published by the advisor app).
TA_SOURCE = "aws.trustedadvisor"
TA_DETAIL_TYPE = "Trusted Advisor Check Item Refresh Notification"
# AWS Support's case events.
CASE_SOURCE = "aws.support"
CASE_DETAIL_TYPE = "Support Case Update"


class CaseEventName(enum.StrEnum):
    CREATE_CASE = "CreateCase"
    ADD_COMMUNICATION_TO_CASE = "AddCommunicationToCase"
    RESOLVE_CASE = "ResolveCase"
    REOPEN_CASE = "ReopenCase"


# Communication origins as the case events spell them.
CASE_ORIGINS = {"customer": "CUSTOMER", "support": "AWS"}


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
) -> dict[str, Any]:
    """Publish an event of `account` and return it (the envelope, with its new id).

    Call it inside the transaction of the change the event reports. One query loads the enabled
    rules' targets (leaving out email targets pending confirmation); each rule is matched once;
    every such target of a matching rule gets an `EventDelivery` (pending, due now).
    Side effects: after commit, one delivery task per delivery is queued (best effort; the
    sweep delivers whatever the broker did not take). No audit record: publishing is not an
    action of the customer's.
    Raises nothing for a rule that cannot be matched (it is logged and skipped).
    """
    return events_publish(
        account=account,
        source=source,
        detail_type=detail_type,
        details=[detail],
        resources=resources,
        time=time,
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
) -> list[dict[str, Any]]:
    """Publish several events of one kind at once (a check run's item changes): one query for
    the targets whatever the number of events, one insert and one dispatch for all deliveries.
    Same contract as `event_publish`."""
    resources = list(resources)
    events = [
        event_envelope(
            account=account,
            source=source,
            detail_type=detail_type,
            detail=detail,
            resources=resources,
            time=time,
        )
        for detail in details
    ]
    if not events:
        return events
    # Email targets waiting for their recipient's confirmation get nothing, not even deliveries
    # kept for later (as SNS's pending subscriptions): the recipient has not agreed to any mail.
    targets = list(
        EventTarget.objects.filter(rule__account=account, rule__enabled=True)
        .exclude(confirmation_status=ConfirmationStatus.PENDING)
        .select_related("rule")
        .order_by("rule_id", "id")
    )
    if not targets:
        return events
    now = timezone.now()
    deliveries = []
    for event in events:
        verdicts: dict[int, bool] = {}
        for target in targets:
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
        dispatch_on_commit([str(d.delivery_id) for d in deliveries])
    return events


def _rule_matches(pattern: dict[str, Any], event: dict[str, Any], target: EventTarget) -> bool:
    try:
        return matches(pattern, event)
    except Exception:  # a stored pattern is validated; never let one break a case update
        logger.exception(
            "could not match rule %s of account %s", target.rule.name, event["account"]
        )
        return False


def dispatch_on_commit(delivery_ids: Sequence[str]) -> None:
    """After the current transaction commits, queue a delivery task for each id."""
    ids = list(delivery_ids)
    transaction.on_commit(lambda: dispatch_deliveries(ids))


def dispatch_deliveries(delivery_ids: list[str]) -> None:
    """Queue the delivery tasks now (after a commit, or from the sweep), failing fast when the
    broker is down (kombu would otherwise retry the connection for a long time inside the
    request). Raises nothing: rows the broker did not take are queued again by the sweep."""
    from events.tasks import event_delivery_attempt_task

    try:
        with event_delivery_attempt_task.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            for delivery_id in delivery_ids:
                event_delivery_attempt_task.apply_async(
                    args=[delivery_id], connection=connection, retry=False
                )
    except Exception:  # broker down: the rows stay pending and the sweep delivers them
        logger.warning("could not queue %d event deliveries; the sweep will", len(delivery_ids))


# --- Support case events -------------------------------------------------------------------------


def _communication_event_id(communication: Communication) -> str:
    """AWS's form, `ekko:us-east-1:<uuid>`, with our communication id written as a UUID."""
    raw = communication.communication_id
    try:
        shown = str(uuid.UUID(hex=raw))
    except ValueError:
        shown = raw
    return f"ekko:{EVENTS_REGION}:{shown}"


def case_event_publish(
    *, case: Case, event_name: str, communication: Communication | None = None
) -> dict[str, Any]:
    """Publish a "Support Case Update" event (source aws.support) for `case`.

    `event_name` is a `CaseEventName`. `communication` is the correspondence the event reports
    (AddCommunicationToCase): it fills `communication-id` and `origin` (CUSTOMER or AWS); both
    are empty for the other events, as in AWS's samples. Call it inside the case service's
    transaction; see `event_publish` for the side effects.
    """
    detail = {
        "case-id": case.case_id,
        "display-id": str(case.display_id),
        "communication-id": _communication_event_id(communication) if communication else "",
        "event-name": str(CaseEventName(event_name)),
        "origin": CASE_ORIGINS.get(communication.origin, "") if communication else "",
    }
    return event_publish(
        account=case.account, source=CASE_SOURCE, detail_type=CASE_DETAIL_TYPE, detail=detail
    )
