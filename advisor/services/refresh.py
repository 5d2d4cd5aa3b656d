"""The refresh status machine, the worker's run, and storing results with their item events.

Refresh status machine, per (account, check), kept in `CheckState.refresh_status`:

    none ──request──▶ enqueued ──worker claims──▶ processing ──▶ success
      ▲                 │   ▲                         │ │    └─▶ abandoned (boto3 error, missing
      │                 │   └─── worker lost, once ───┘ │         permission, worker lost twice)
      └── timed out ◀───┴───────────────────────────────┘

A request inside the minimum interval (`ADVISOR_REFRESH_MIN_INTERVAL`, 5 minutes by default
where AWS uses an hour) changes nothing and the caller reports the remaining
`millisUntilNextRefreshable`. A run stuck past its timeout goes back to `none`, as AWS reports a
timed-out refresh. A processing run keeps a heartbeat (`CheckState.updated_at`, every
`RUN_HEARTBEAT`); one silent for `RUN_LOST_AFTER` lost its worker (killed, or the database went
away under it), and the sweep runs it again, once: lost a second time, it is abandoned.

AWS refuses refreshes of the checks it refreshes itself (public snapshots, key rotation); here
nothing refreshes on its own between the weekly runs, so every check accepts a refresh. Each
successful run stores a `CheckResult` with its resources (the history) and publishes a "Trusted
Advisor Check Item Refresh Notification" event for every item whose status changed, with the
status it had before (`previous-status`).
"""

from __future__ import annotations

import logging
import uuid
from datetime import timedelta
from typing import Any

from botocore.exceptions import ClientError
from django.conf import settings
from django.db import InterfaceError, OperationalError, transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext_noop

from accounts.models import Account
from accounts.principals import Principal
from advisor import checks as check_registry
from advisor.checks.base import OK, CheckSpec, Environment, Evaluation, catalog, worst
from advisor.models import (
    CheckResource,
    CheckResult,
    CheckState,
    RefreshStatus,
    ResourceExclusion,
)
from advisor.services.availability import (
    MSG_UNKNOWN_CHECK,
    TRUSTED_ADVISOR_SOURCE,
    check_available,
    resource_id_for,
)
from advisor.tasks import advisor_check_run_task
from audit import services as audit
from audit.names import AuditEventName
from connections.selectors import aws_connection_get
from connections.sessions import caller_account_id, session_for
from core.errors import InvalidAwsConnection, InvalidParameterValueException
from core.heartbeat import Heartbeat
from core.outbox import queue_tasks, queue_tasks_on_commit
from events.kinds import TA_DETAIL_TYPE, TA_SOURCE
from events.services import events_publish

logger = logging.getLogger(__name__)

MSG_NOT_CONNECTED = gettext_noop("No AWS environment is connected to this account.")
MSG_TIMED_OUT = gettext_noop("The refresh did not finish in time.")
# Kept in refresh_error while a lost run runs again (it marks the second try), and the reason a
# run lost twice is abandoned. Like every reason of ours, stored in English and translated by
# the check page when shown (AWS's own error text has no translation and is shown as it is).
MSG_RUN_AGAIN = gettext_noop("The worker running this refresh stopped; it was started again.")
MSG_WORKER_LOST = gettext_noop(
    "The worker running this refresh stopped twice; refresh the check again."
)
# Item statuses as EventBridge events spell them.
EVENT_STATUS = {"ok": "OK", "warning": "WARN", "error": "ERROR"}
BATCH_SIZE = 500
# An enqueued run whose task was queued this long ago may have lost it (the broker was down, or
# a worker died holding it): the sweep queues it again, at most REDISPATCH_BATCH a run.
LOST_AFTER = timedelta(minutes=3)
REDISPATCH_BATCH = 20
# A processing run touches its state this often; one silent for RUN_LOST_AFTER has no worker.
RUN_HEARTBEAT = timedelta(seconds=30)
RUN_LOST_AFTER = timedelta(minutes=2)


def millis_until_refreshable(state: CheckState, now: Any = None) -> int:
    if state.next_refreshable_at is None:
        return 0
    now = now or timezone.now()
    return max(0, int((state.next_refreshable_at - now).total_seconds() * 1000))


def _state_for(account: Account, check_id: str) -> CheckState:
    state, _ = CheckState.objects.get_or_create(account=account, check_id=check_id)
    return state


def advisor_check_refresh(*, account: Account, check_id: str, actor: Principal) -> CheckState:
    """Ask for a run of one check.

    Raises InvalidParameterValueException for an unknown or unavailable check. Inside the
    minimum interval, or while a run is already enqueued or processing, nothing changes and the
    current state is returned. Otherwise the state becomes `enqueued` and, after commit, a run is
    queued. Console requests write a `RefreshCheck` audit record.
    """
    return refresh(account=account, check_id=check_id, actor=actor)[0]


@transaction.atomic
def refresh(*, account: Account, check_id: str, actor: Principal) -> tuple[CheckState, bool]:
    """advisor_check_refresh, also saying whether a run was queued."""
    check_available(account, check_id)
    now = timezone.now()
    state = _state_for(account, check_id)
    _expire_if_stuck(state, now)
    busy = state.refresh_status in (RefreshStatus.ENQUEUED, RefreshStatus.PROCESSING)
    if busy or millis_until_refreshable(state, now) > 0:
        return state, False
    interval = timedelta(seconds=settings.ADVISOR_REFRESH_MIN_INTERVAL)
    claimed = CheckState.objects.filter(
        pk=state.pk,
        refresh_status=state.refresh_status,
        refresh_requested_at=state.refresh_requested_at,
    ).update(
        refresh_status=RefreshStatus.ENQUEUED,
        refresh_requested_at=now,
        refresh_started_at=None,
        refresh_error="",
        next_refreshable_at=now + interval,
        updated_at=now,
    )
    state.refresh_from_db()
    if not claimed:  # a concurrent request won; report what it did
        return state, False
    # The API layer records its own call; AWS's own scheduled refreshes are not the customer's
    # activity, so only console requests are recorded here.
    if actor.via not in ("api", "system"):
        audit.record(
            actor=actor,
            event_name=AuditEventName.REFRESH_CHECK,
            account=account,
            event_source=TRUSTED_ADVISOR_SOURCE,
            request_parameters={"checkId": check_id},
            resources=[{"ResourceType": "AWS::TrustedAdvisor::Check", "ResourceName": check_id}],
        )
    queue_tasks_on_commit(advisor_check_run_task, [state.pk])
    return state, True


def dispatch(state_pk: int) -> None:
    """Queue the run now; when the broker is down the row stays enqueued and the sweep
    retries."""
    queue_tasks(advisor_check_run_task, [state_pk])


def _stuck(now: Any) -> Q:
    """Runs past their timeout: processing for longer than ADVISOR_REFRESH_TIMEOUT since the
    worker took them, or waiting in the queue longer than ADVISOR_REFRESH_QUEUE_TIMEOUT."""
    processing = timedelta(seconds=settings.ADVISOR_REFRESH_TIMEOUT)
    queued = timedelta(seconds=settings.ADVISOR_REFRESH_QUEUE_TIMEOUT)
    return Q(refresh_status=RefreshStatus.PROCESSING, refresh_started_at__lt=now - processing) | Q(
        refresh_status=RefreshStatus.ENQUEUED, refresh_requested_at__lt=now - queued
    )


def time_out(queryset: QuerySet[CheckState], now: Any) -> int:
    """AWS reports a non-success state that timed out as `none` (refreshable again at once);
    the reason stays for the console."""
    return queryset.filter(_stuck(now)).update(
        refresh_status=RefreshStatus.NONE,
        refresh_finished_at=now,
        refresh_error=MSG_TIMED_OUT,
        next_refreshable_at=None,
        updated_at=now,
    )


def _expire_if_stuck(state: CheckState, now: Any) -> None:
    if state.refresh_status not in (RefreshStatus.ENQUEUED, RefreshStatus.PROCESSING):
        return
    if time_out(CheckState.objects.filter(pk=state.pk), now):
        state.refresh_from_db()


def advisor_check_run(*, state_pk: int) -> bool:
    """The worker side of a refresh: claim an enqueued run, evaluate it, store the result.

    Idempotent: returns False (doing nothing) unless the state is `enqueued`. Never raises for
    AWS trouble: a boto3 error or missing permission ends the run `abandoned` with the message.
    Side effects on success: a CheckResult with its resources, item events for status changes.
    """
    started = timezone.now()
    claimed = CheckState.objects.filter(pk=state_pk, refresh_status=RefreshStatus.ENQUEUED).update(
        refresh_status=RefreshStatus.PROCESSING, refresh_started_at=started, updated_at=started
    )
    if not claimed:
        return False
    state = CheckState.objects.select_related("account__plan").get(pk=state_pk)
    spec = check_registry.REGISTRY.get(state.check_id)
    mine = CheckState.objects.filter(
        pk=state_pk, refresh_status=RefreshStatus.PROCESSING, refresh_started_at=started
    )
    try:
        if spec is None:
            raise InvalidParameterValueException(MSG_UNKNOWN_CHECK.format(check_id=state.check_id))
        with Heartbeat(mine, every=RUN_HEARTBEAT.total_seconds()):
            evaluation = _evaluate(state.account, spec)
            result_store(state=state, spec=spec, evaluation=evaluation, claimed_at=started)
    except RunSuperseded:
        logger.info("run of %s for %s superseded", state.check_id, state.account_id)
    except (OperationalError, InterfaceError):
        # Our own database went away, not AWS: the run stays processing, its heartbeat stops,
        # and the sweep runs it again.
        raise
    except Exception as error:  # AWS trouble of any kind ends the run, never the worker
        logger.info("check %s for %s abandoned: %s", state.check_id, state.account_id, error)
        # Only this run's claim is ended: a newer run (after a timeout) is left alone.
        mine.update(
            refresh_status=RefreshStatus.ABANDONED,
            refresh_finished_at=timezone.now(),
            refresh_error=_error_message(error),
            updated_at=timezone.now(),
        )
    return True


class RunSuperseded(Exception):
    """The run's claim timed out and the state moved on; its result must not be stored."""


def _error_message(error: Exception) -> str:
    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', 'Error')}: {info.get('Message', '')}"[:2000]
    return (getattr(error, "message", None) or str(error) or type(error).__name__)[:2000]


def _evaluate(account: Account, spec: CheckSpec) -> Evaluation:
    connection = aws_connection_get(account)
    if connection is None:
        raise InvalidAwsConnection(MSG_NOT_CONNECTED)
    session, endpoint_url = session_for(connection)
    env = Environment(
        session=session,
        regions=connection.regions or ["us-east-1"],
        account_id=caller_account_id(session, endpoint_url),
        now=timezone.now(),
        endpoint_url=endpoint_url,
    )
    return spec.evaluate(env)


def summarise(result: CheckResult, rows: list[CheckResource], ignored: int) -> None:
    active = [r for r in rows if not r.is_suppressed]
    result.resources_listed = len(rows)
    result.resources_suppressed = len(rows) - len(active)
    result.resources_flagged = sum(1 for r in active if r.status != OK)
    result.resources_ignored = ignored
    result.status = worst([r.status for r in active])
    savings = sum(r.savings for r in active if r.status != OK)
    result.estimated_monthly_savings = round(savings, 2)
    result.estimated_percent_monthly_savings = (
        round(100.0 * savings / result.monthly_cost, 2) if result.monthly_cost else 0.0
    )


@transaction.atomic
def result_store(
    *,
    state: CheckState,
    spec: CheckSpec,
    evaluation: Evaluation,
    claimed_at: Any = None,
) -> CheckResult:
    """Store a finished run as the check's latest result and publish item status changes.

    `claimed_at` is the worker's claim (when the run went `processing`): if the state no longer
    carries it (the run timed out and another was requested), nothing is stored and
    `RunSuperseded` is raised, so a late worker can't overwrite a newer run or publish the same
    changes twice. Without it (tests, tools) the result is stored unconditionally.
    """
    now = timezone.now()
    account = state.account
    excluded = set(
        ResourceExclusion.objects.filter(account=account, check_id=spec.id).values_list(
            "resource_id", flat=True
        )
    )
    seen: dict[str, int] = {}
    resources: list[CheckResource] = []
    for position, row in enumerate(evaluation.rows):
        # Rows sharing an identity (a check that did not set `key`) are told apart by order.
        occurrence = seen.get(row.identity, 0)
        seen[row.identity] = occurrence + 1
        resource_id = resource_id_for(spec.id, row.identity, occurrence)
        resources.append(
            CheckResource(
                resource_id=resource_id,
                arn=row.arn,
                region=row.region or "",
                status=row.status,
                metadata=list(row.metadata),
                is_suppressed=resource_id in excluded,
                savings=row.savings,
                position=position,
            )
        )
    result = CheckResult(
        account=account,
        check_id=spec.id,
        computed_at=now,
        resources_processed=max(evaluation.processed, len(resources)),
        monthly_cost=evaluation.monthly_cost,
    )
    summarise(result, resources, evaluation.ignored)
    result.save()
    for resource in resources:
        resource.result = result
    CheckResource.objects.bulk_create(resources, batch_size=BATCH_SIZE)
    current = CheckState.objects.filter(pk=state.pk)
    if claimed_at is not None:
        current = current.filter(
            refresh_status=RefreshStatus.PROCESSING, refresh_started_at=claimed_at
        )
    # The previous result is read under the same condition, so two runs can't both compare
    # against it.
    previous = current.values_list("latest_result_id", flat=True).first()
    if not current.update(
        refresh_status=RefreshStatus.SUCCESS,
        refresh_finished_at=now,
        refresh_error="",
        latest_result=result,
        updated_at=now,
    ):
        raise RunSuperseded()
    _publish_item_changes(account, spec, previous, resources)
    return result


def _publish_item_changes(
    account: Account, spec: CheckSpec, previous_result_id: int | None, rows: list[CheckResource]
) -> None:
    """One event per item whose status changed since the previous run; an item that was
    flagged and is no longer listed has become OK.

    Each event carries the item's status before the change as `previous-status` (our own field,
    in the vocabulary of `status`), so a rule can match a finding's lifecycle, e.g. turning
    green: `"status": ["OK"], "previous-status": ["WARN", "ERROR"]`. An item a previous run did
    not list was OK then (a check lists what it flags); on a check's first run there is nothing
    to compare with, and `previous-status` is null.
    """

    before: dict[str, CheckResource] = {}
    if previous_result_id is not None:
        before = {
            r.resource_id: r for r in CheckResource.objects.filter(result_id=previous_result_id)
        }
    first_run = previous_result_id is None
    changes: list[tuple[CheckResource, str, str | None]] = []
    for row in rows:
        if row.is_suppressed:
            continue
        old = before.pop(row.resource_id, None)
        if old is None and row.status != OK:
            changes.append((row, row.status, None if first_run else OK))
        elif old is not None and old.status != row.status:
            changes.append((row, row.status, old.status))
    for old in before.values():
        if old.status != OK and not old.is_suppressed:
            changes.append((old, OK, old.status))
    names = [str(h) for h in spec.metadata]
    events_publish(
        account=account,
        source=TA_SOURCE,
        detail_type=TA_DETAIL_TYPE,
        details=[
            {
                "check-name": catalog()[spec.id]["name"],
                "check-item-detail": dict(zip(names, row.metadata, strict=False)),
                "status": EVENT_STATUS[status],
                "previous-status": EVENT_STATUS[previous] if previous is not None else None,
                "resource_id": row.arn if row.arn.startswith("arn:") else "",
                "uuid": _item_uuid(row.resource_id),
            }
            for row, status, previous in changes
        ],
    )


def _item_uuid(resource_id: str) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"trustedadvisor:{resource_id}"))
