"""Trusted Advisor writes: connecting an AWS environment, refreshing checks, excluding resources.

Refresh status machine, per (account, check), kept in `CheckState.refresh_status`:

    none ──request──▶ enqueued ──worker claims──▶ processing ──▶ success
      ▲                  │                            │       └──▶ abandoned (boto3 error,
      └── timed out ◀────┴────────────────────────────┘              missing permission)

A request inside the minimum interval (`ADVISOR_REFRESH_MIN_INTERVAL`, 5 minutes by default
where AWS uses an hour) changes nothing and the caller reports the remaining
`millisUntilNextRefreshable`. A run stuck past its timeout goes back to `none`, as AWS reports a
timed-out refresh. AWS refuses refreshes of the checks it refreshes itself (public snapshots,
key rotation); here nothing refreshes on its own between the weekly runs, so every check accepts
a refresh. Each successful run stores a
`CheckResult` with its resources (the history) and publishes a "Trusted Advisor Check Item
Refresh Notification" event for every item whose status changed.
"""

from __future__ import annotations

import base64
import hashlib
import logging
import re
from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone

from accounts.models import Account
from accounts.principals import Principal
from advisor import checks as check_registry
from advisor.checks.base import OK, CheckSpec, Environment, Evaluation, Row, catalog, worst
from advisor.models import (
    AwsConnection,
    CheckResource,
    CheckResult,
    CheckState,
    CheckStatus,
    ConnectionMode,
    RefreshStatus,
    ResourceExclusion,
)
from audit import services as audit
from core import crypto
from core.errors import InvalidAwsConnection, InvalidParameterValueException

logger = logging.getLogger(__name__)

TRUSTED_ADVISOR_SOURCE = "trustedadvisor.amazonaws.com"
MSG_UNKNOWN_CHECK = "Unknown ID: {check_id}"
MSG_PREMIUM_REQUIRED = (
    "Unknown ID: Account requires a Premium Support Plan for access to Trusted Advisor check: "
    "{check_id}"
)
MSG_NOT_CONNECTED = "No AWS environment is connected to this account."
MSG_BAD_REGION = "Unknown region: {region}."
MSG_NO_REGIONS = "Choose at least one region."
MSG_BAD_ROLE_ARN = "Enter a role ARN such as arn:aws:iam::123456789012:role/SupportCenterAdvisor."
MSG_BAD_KEY_ID = "Enter an access key ID (16 to 128 letters and digits)."
MSG_NO_SECRET = "Enter the secret access key."
MSG_TIMED_OUT = "The refresh did not finish in time."
MSG_NO_SAMPLE = "The sample environment is not available on this installation."
ROLE_ARN_RE = re.compile(r"^arn:aws[a-zA-Z-]*:iam::\d{12}:role/[\w+=,.@/-]{1,512}$")
KEY_ID_RE = re.compile(r"^[A-Z0-9]{16,128}$")
# Item statuses as EventBridge events spell them.
EVENT_STATUS = {"ok": "OK", "warning": "WARN", "error": "ERROR"}
BATCH_SIZE = 500
LOST_AFTER = timedelta(minutes=10)
REDISPATCH_BATCH = 100


# --- Check availability ----------------------------------------------------------------------


def check_available(account: Account, check_id: str) -> CheckSpec:
    """The check `check_id` if the account's plan includes it.

    Raises InvalidParameterValueException with the real API's wording for unknown ids and for
    checks outside a Basic or Developer plan's core set.
    """
    spec = check_registry.REGISTRY.get(check_id)
    if spec is None:
        raise InvalidParameterValueException(MSG_UNKNOWN_CHECK.format(check_id=check_id))
    if not spec.core and not account.plan.full_trusted_advisor:
        raise InvalidParameterValueException(MSG_PREMIUM_REQUIRED.format(check_id=check_id))
    return spec


def checks_available(account: Account) -> list[CheckSpec]:
    """The checks the account's plan includes, in catalog order."""
    full = account.plan.full_trusted_advisor
    return [spec for spec in check_registry.REGISTRY.values() if full or spec.core]


def resource_id_for(check_id: str, identity: str, occurrence: int = 0) -> str:
    """The API's opaque `resourceId`: 43 base64url characters, stable across runs."""
    seed = f"{check_id}\n{identity}\n{occurrence}".encode()
    return base64.urlsafe_b64encode(hashlib.sha256(seed).digest()).decode().rstrip("=")


# --- Connection ------------------------------------------------------------------------------


def known_regions() -> list[str]:
    import boto3

    return sorted(boto3.session.Session().get_available_regions("ec2"))


@transaction.atomic
def aws_connection_set(
    *,
    account: Account,
    actor: Principal,
    mode: str,
    regions: Iterable[str],
    access_key_id: str = "",
    secret_access_key: str = "",
    role_arn: str = "",
) -> AwsConnection:
    """Connect (or reconnect) the account's AWS environment.

    An empty secret keeps the stored one when the key id is unchanged. A role is always assumed
    with the account's own external id (`external_id_for`), never one the customer types: with
    a chosen id, one tenant could name another's role (the confused-deputy problem). The sample
    environment is offered only when `ADVISOR_SAMPLE_ENABLED`. Side effect: an audit record (the
    secret never appears in it). Raises InvalidAwsConnection with the form field.
    """
    regions = list(dict.fromkeys(r.strip() for r in regions if r.strip()))
    if not regions:
        raise InvalidAwsConnection(MSG_NO_REGIONS, field="regions")
    valid = set(known_regions())
    for region in regions:
        if region not in valid:
            raise InvalidAwsConnection(MSG_BAD_REGION.format(region=region), field="regions")
    if mode not in ConnectionMode.values:
        raise InvalidAwsConnection(f"Unknown connection mode: {mode}.", field="mode")
    if mode == ConnectionMode.SAMPLE and not settings.ADVISOR_SAMPLE_ENABLED:
        raise InvalidAwsConnection(MSG_NO_SAMPLE, field="mode")
    connection = AwsConnection.objects.filter(account=account).first()
    fields: dict[str, Any] = {
        "mode": mode,
        "regions": regions,
        "access_key_id": "",
        "secret_access_key_encrypted": "",
        "role_arn": "",
        "external_id": "",
    }
    if mode == ConnectionMode.KEYS:
        access_key_id = access_key_id.strip()
        if not KEY_ID_RE.match(access_key_id):
            raise InvalidAwsConnection(MSG_BAD_KEY_ID, field="access_key_id")
        fields["access_key_id"] = access_key_id
        if secret_access_key:
            fields["secret_access_key_encrypted"] = crypto.encrypt(secret_access_key)
        elif connection is not None and connection.access_key_id == access_key_id:
            fields["secret_access_key_encrypted"] = connection.secret_access_key_encrypted
        else:
            raise InvalidAwsConnection(MSG_NO_SECRET, field="secret_access_key")
    elif mode == ConnectionMode.ROLE:
        role_arn = role_arn.strip()
        if not ROLE_ARN_RE.match(role_arn):
            raise InvalidAwsConnection(MSG_BAD_ROLE_ARN, field="role_arn")
        fields["role_arn"] = role_arn
        fields["external_id"] = external_id_for(account)
    if connection is None:
        connection = AwsConnection.objects.create(account=account, **fields)
    else:
        for name, value in fields.items():
            setattr(connection, name, value)
        connection.save(update_fields=[*fields, "updated_at"])
    audit.record(
        actor=actor,
        event_name="UpdateAwsConnection",
        account=account,
        event_source=TRUSTED_ADVISOR_SOURCE,
        request_parameters={
            "mode": mode,
            "regions": regions,
            "accessKeyId": fields["access_key_id"] or None,
            "roleArn": fields["role_arn"] or None,
        },
    )
    return connection


def external_id_for(account: Account) -> str:
    """The external id Support Center sends when it assumes this account's role: the stored one,
    or one derived from the secret key (stable, unguessable, different for every account)."""
    from django.utils.crypto import salted_hmac

    stored = (
        AwsConnection.objects.filter(account=account)
        .exclude(external_id="")
        .values_list("external_id", flat=True)
        .first()
    )
    if stored:
        return stored
    digest = salted_hmac("advisor.external-id", account.account_id, algorithm="sha256")
    return "sc-" + digest.hexdigest()[:40]


@transaction.atomic
def aws_connection_delete(*, account: Account, actor: Principal) -> bool:
    """Disconnect the environment; results already computed stay. Returns whether one existed."""
    deleted, _ = AwsConnection.objects.filter(account=account).delete()
    if deleted:
        audit.record(
            actor=actor,
            event_name="DeleteAwsConnection",
            account=account,
            event_source=TRUSTED_ADVISOR_SOURCE,
        )
    return bool(deleted)


def aws_connection_verify(*, account: Account) -> str:
    """Reach the environment once (STS GetCallerIdentity); returns the AWS account id.

    Raises AwsConnectionNotConfigured, or InvalidAwsConnection with AWS's message.
    """
    from botocore.exceptions import BotoCoreError, ClientError

    from advisor.connection import aws_session, caller_account_id

    session, endpoint_url = aws_session(account)
    try:
        return caller_account_id(session, endpoint_url)
    except (ClientError, BotoCoreError) as error:
        raise InvalidAwsConnection(str(error)) from None


# --- Refresh ---------------------------------------------------------------------------------


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
    return _refresh(account=account, check_id=check_id, actor=actor)[0]


@transaction.atomic
def _refresh(*, account: Account, check_id: str, actor: Principal) -> tuple[CheckState, bool]:
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
            event_name="RefreshCheck",
            account=account,
            event_source=TRUSTED_ADVISOR_SOURCE,
            request_parameters={"checkId": check_id},
            resources=[{"ResourceType": "AWS::TrustedAdvisor::Check", "ResourceName": check_id}],
        )
    state_pk = state.pk
    transaction.on_commit(lambda: _dispatch(state_pk))
    return state, True


def _dispatch(state_pk: int) -> None:
    """Queue the run; when the broker is down the row stays enqueued and the sweep retries."""
    from advisor.tasks import advisor_check_run_task

    try:
        with advisor_check_run_task.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            advisor_check_run_task.apply_async(args=[state_pk], connection=connection, retry=False)
    except Exception:
        logger.warning("could not queue check run %s; the sweep will retry", state_pk)


def _stuck(now: Any) -> Q:
    """Runs past their timeout: processing for longer than ADVISOR_REFRESH_TIMEOUT since the
    worker took them, or waiting in the queue longer than ADVISOR_REFRESH_QUEUE_TIMEOUT."""
    processing = timedelta(seconds=settings.ADVISOR_REFRESH_TIMEOUT)
    queued = timedelta(seconds=settings.ADVISOR_REFRESH_QUEUE_TIMEOUT)
    return Q(refresh_status=RefreshStatus.PROCESSING, refresh_started_at__lt=now - processing) | Q(
        refresh_status=RefreshStatus.ENQUEUED, refresh_requested_at__lt=now - queued
    )


def _time_out(queryset: QuerySet[CheckState], now: Any) -> int:
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
    if _time_out(CheckState.objects.filter(pk=state.pk), now):
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
    try:
        if spec is None:
            raise InvalidParameterValueException(MSG_UNKNOWN_CHECK.format(check_id=state.check_id))
        evaluation = _evaluate(state.account, spec)
        result_store(state=state, spec=spec, evaluation=evaluation, claimed_at=started)
    except _RunSuperseded:
        logger.info("run of %s for %s superseded", state.check_id, state.account_id)
    except Exception as error:  # AWS trouble of any kind ends the run, never the worker
        logger.info("check %s for %s abandoned: %s", state.check_id, state.account_id, error)
        # Only this run's claim is ended: a newer run (after a timeout) is left alone.
        CheckState.objects.filter(
            pk=state_pk, refresh_status=RefreshStatus.PROCESSING, refresh_started_at=started
        ).update(
            refresh_status=RefreshStatus.ABANDONED,
            refresh_finished_at=timezone.now(),
            refresh_error=_error_message(error),
            updated_at=timezone.now(),
        )
    return True


class _RunSuperseded(Exception):
    """The run's claim timed out and the state moved on; its result must not be stored."""


def _error_message(error: Exception) -> str:
    from botocore.exceptions import ClientError

    if isinstance(error, ClientError):
        info = error.response.get("Error", {})
        return f"{info.get('Code', 'Error')}: {info.get('Message', '')}"[:2000]
    return (getattr(error, "message", None) or str(error) or type(error).__name__)[:2000]


def _evaluate(account: Account, spec: CheckSpec) -> Evaluation:
    from advisor.connection import caller_account_id, session_for

    connection = AwsConnection.objects.filter(account=account).first()
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


def _summarise(result: CheckResult, rows: list[CheckResource], ignored: int) -> None:
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
    `_RunSuperseded` is raised, so a late worker can't overwrite a newer run or publish the same
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
    _summarise(result, resources, evaluation.ignored)
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
        raise _RunSuperseded()
    _publish_item_changes(account, spec, previous, resources)
    return result


def _publish_item_changes(
    account: Account, spec: CheckSpec, previous_result_id: int | None, rows: list[CheckResource]
) -> None:
    """One event per item whose status changed since the previous run; an item that was
    flagged and is no longer listed has become OK."""
    from events.services.publish import TA_DETAIL_TYPE, TA_SOURCE, events_publish

    before: dict[str, CheckResource] = {}
    if previous_result_id is not None:
        before = {
            r.resource_id: r for r in CheckResource.objects.filter(result_id=previous_result_id)
        }
    changes: list[tuple[CheckResource, str]] = []
    for row in rows:
        if row.is_suppressed:
            continue
        old = before.pop(row.resource_id, None)
        if (old is None and row.status != OK) or (old is not None and old.status != row.status):
            changes.append((row, row.status))
    for old in before.values():
        if old.status != OK and not old.is_suppressed:
            changes.append((old, OK))
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
                "resource_id": row.arn if row.arn.startswith("arn:") else "",
                "uuid": _item_uuid(row.resource_id),
            }
            for row, status in changes
        ],
    )


def _item_uuid(resource_id: str) -> str:
    import uuid

    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"trustedadvisor:{resource_id}"))


# --- Exclusions ------------------------------------------------------------------------------


@transaction.atomic
def advisor_resources_set_excluded(
    *,
    account: Account,
    check_id: str,
    resource_ids: Iterable[str],
    excluded: bool,
    actor: Principal,
) -> int:
    """Exclude (or include again) resources of a check. The latest result is re-summarised so
    its counts and status reflect the change at once; later runs keep the exclusion. Unknown ids
    are ignored. Returns how many listed resources changed. Audit: Exclude/IncludeCheckItems.
    """
    check_available(account, check_id)
    state = (
        CheckState.objects.select_related("latest_result")
        .filter(account=account, check_id=check_id)
        .first()
    )
    result = state.latest_result if state is not None else None
    # Only resources the latest run listed can be excluded: an id is opaque, so one that was
    # never listed would be stored blind.
    wanted: list[str] = []
    if result is not None:
        wanted = list(
            result.resources.filter(resource_id__in=list(dict.fromkeys(resource_ids))).values_list(
                "resource_id", flat=True
            )
        )
    if excluded:
        ResourceExclusion.objects.bulk_create(
            [
                ResourceExclusion(
                    account=account, check_id=check_id, resource_id=rid, created_by_arn=actor.arn
                )
                for rid in wanted
            ],
            ignore_conflicts=True,
        )
    else:
        ResourceExclusion.objects.filter(
            account=account, check_id=check_id, resource_id__in=wanted
        ).delete()
    changed = 0
    if result is not None and wanted:
        changed = (
            result.resources.filter(resource_id__in=wanted)
            .exclude(is_suppressed=excluded)
            .update(is_suppressed=excluded)
        )
        rows = list(result.resources.all())
        _summarise(result, rows, result.resources_ignored)
        result.save(
            update_fields=[
                "status",
                "resources_flagged",
                "resources_suppressed",
                "estimated_monthly_savings",
                "estimated_percent_monthly_savings",
                "updated_at",
            ]
        )
    if wanted:
        audit.record(
            actor=actor,
            event_name="ExcludeCheckItems" if excluded else "IncludeCheckItems",
            account=account,
            event_source=TRUSTED_ADVISOR_SOURCE,
            request_parameters={"checkId": check_id, "resourceIds": wanted[:50]},
            resources=[{"ResourceType": "AWS::TrustedAdvisor::Check", "ResourceName": check_id}],
        )
    return changed


# --- Jobs ------------------------------------------------------------------------------------


def advisor_refresh_scheduled(*, actor: Principal) -> int:
    """Weekly refresh of every check for Business and Enterprise accounts with a connection.
    Returns how many runs were queued. Already-busy or recently refreshed checks are skipped."""
    accounts = Account.objects.filter(
        is_active=True, plan__full_trusted_advisor=True, aws_connection__isnull=False
    ).select_related("plan")
    queued = 0
    for account in accounts.iterator(chunk_size=BATCH_SIZE):
        for spec in checks_available(account):
            queued += int(_refresh(account=account, check_id=spec.id, actor=actor)[1])
    return queued


def advisor_refresh_sweep() -> int:
    """Give up runs stuck past the timeout and re-queue enqueued runs whose task was lost."""
    now = timezone.now()
    expired = _time_out(CheckState.objects.all(), now)
    # Runs still waiting after LOST_AFTER may have lost their task (broker down at request
    # time). Oldest first and a bounded batch: a duplicate task is a no-op (the claim fails),
    # but a long backlog should not be flooded with them.
    lost = (
        CheckState.objects.filter(
            refresh_status=RefreshStatus.ENQUEUED, refresh_requested_at__lt=now - LOST_AFTER
        )
        .order_by("refresh_requested_at")
        .values_list("pk", flat=True)
    )
    for pk in lost[:REDISPATCH_BATCH]:
        _dispatch(pk)
    return expired


def advisor_results_purge() -> int:
    """Delete results older than the retention, keeping every check's latest result."""
    cutoff = timezone.now() - timedelta(days=settings.ADVISOR_RESULT_RETENTION_DAYS)
    latest = CheckState.objects.exclude(latest_result=None).values("latest_result_id")
    deleted = 0
    while True:
        batch = list(
            CheckResult.objects.filter(computed_at__lt=cutoff)
            .exclude(pk__in=latest)
            .values_list("pk", flat=True)[:BATCH_SIZE]
        )
        if not batch:
            return deleted
        deleted += (
            CheckResult.objects.filter(pk__in=batch).delete()[1].get("advisor.CheckResult", 0)
        )


__all__ = [
    "CheckStatus",
    "Row",
    "advisor_check_refresh",
    "advisor_check_run",
    "advisor_refresh_scheduled",
    "advisor_refresh_sweep",
    "advisor_resources_set_excluded",
    "advisor_results_purge",
    "aws_connection_delete",
    "aws_connection_set",
    "aws_connection_verify",
    "check_available",
    "checks_available",
    "result_store",
]
