"""Trusted Advisor's periodic jobs: the weekly refresh, the sweep, the history purge."""

from __future__ import annotations

from datetime import datetime, timedelta

from django.conf import settings
from django.utils import timezone

from accounts.models import Account
from accounts.principals import Principal
from advisor.models import CheckResult, CheckState, RefreshStatus, WeeklyReport
from advisor.services.availability import checks_available
from advisor.services.refresh import (
    BATCH_SIZE,
    LOST_AFTER,
    MSG_RUN_AGAIN,
    MSG_WORKER_LOST,
    REDISPATCH_BATCH,
    RUN_LOST_AFTER,
    dispatch,
    refresh,
    time_out,
)


def advisor_refresh_scheduled(*, actor: Principal) -> int:
    """Weekly refresh of every check for Business and Enterprise accounts with a connection.
    Returns how many runs were queued. Already-busy or recently refreshed checks are skipped."""
    accounts = Account.objects.filter(
        is_active=True, plan__full_trusted_advisor=True, aws_connection__isnull=False
    ).select_related("plan")
    queued = 0
    for account in accounts.iterator(chunk_size=BATCH_SIZE):
        for spec in checks_available(account):
            queued += int(refresh(account=account, check_id=spec.id, actor=actor)[1])
    return queued


def advisor_refresh_sweep() -> int:
    """Give up runs stuck past the timeout, run again (once) runs whose worker was lost, and
    re-queue enqueued runs whose task was lost. Returns how many runs it ended or restarted."""
    now = timezone.now()
    expired = time_out(CheckState.objects.all(), now)
    expired += _runs_without_worker(now)
    # Runs whose task was queued LOST_AFTER ago and still wait may have lost it (the broker was
    # down at request time, or a worker died holding it). `updated_at` is when their task was
    # last queued: each run is queued again at most once per LOST_AFTER, the longest waiting
    # first, a bounded batch a minute. A duplicate task is a no-op (the claim fails), but a
    # long backlog (the weekly refresh) should not be flooded with them.
    lost = list(
        CheckState.objects.filter(
            refresh_status=RefreshStatus.ENQUEUED, updated_at__lt=now - LOST_AFTER
        )
        .order_by("updated_at")
        .values_list("pk", flat=True)[:REDISPATCH_BATCH]
    )
    CheckState.objects.filter(pk__in=lost, refresh_status=RefreshStatus.ENQUEUED).update(
        updated_at=now
    )
    for pk in lost:
        dispatch(pk)
    return expired


def _runs_without_worker(now: datetime) -> int:
    """Processing runs whose heartbeat stopped: their worker was killed (or lost the database).
    The first time, the run is queued again; the second, it is abandoned, so a check that takes
    its worker down does not do it forever."""
    silent = CheckState.objects.filter(
        refresh_status=RefreshStatus.PROCESSING, updated_at__lt=now - RUN_LOST_AFTER
    )
    abandoned = silent.filter(refresh_error=MSG_RUN_AGAIN).update(
        refresh_status=RefreshStatus.ABANDONED,
        refresh_finished_at=now,
        refresh_error=MSG_WORKER_LOST,
        updated_at=now,
    )
    again = list(silent.values_list("pk", flat=True)[:REDISPATCH_BATCH])
    restarted = silent.filter(pk__in=again).update(
        refresh_status=RefreshStatus.ENQUEUED,
        refresh_started_at=None,
        refresh_error=MSG_RUN_AGAIN,
        updated_at=now,
    )
    # A run that finished in between is not enqueued, and its task finds nothing to claim.
    for pk in again:
        dispatch(pk)
    return abandoned + restarted


def advisor_results_purge() -> int:
    """Delete results older than the retention, keeping every check's latest result, and the
    weekly reports of weeks before it (their emails went long ago). Returns how many results
    it deleted."""
    cutoff = timezone.now() - timedelta(days=settings.ADVISOR_RESULT_RETENTION_DAYS)
    WeeklyReport.objects.filter(week__lt=cutoff.date()).delete()
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
