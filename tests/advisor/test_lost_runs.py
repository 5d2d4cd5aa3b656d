"""Refreshes whose worker died (SIGKILL, a lost machine, the database gone under it) end in a
final state within minutes: a processing run keeps a heartbeat, and the sweep (every minute)
runs a silent one again, once, then abandons it. python -m bench faults kills a real worker
mid-run; here the run's state is left as a killed worker leaves it."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
import time_machine
from django.db import OperationalError
from django.utils import timezone

from accounts.principals import SYSTEM
from advisor import services as advisor
from advisor.models import CheckState
from advisor.services import jobs, refresh
from advisor.tasks import advisor_check_run_task, advisor_refresh_sweep_task
from tests.moto_aws import connect_keys

EIP_CHECK = "Z4AUBRNSmz"
SILENT = refresh.RUN_LOST_AFTER + timedelta(seconds=1)


@pytest.fixture
def dispatched(monkeypatch) -> list[int]:
    """The runs the sweep queues again (instead of a broker)."""
    queued: list[int] = []
    monkeypatch.setattr(jobs, "dispatch", queued.append)
    return queued


def _killed_mid_run(account, capture) -> CheckState:
    """A refresh whose worker claimed it and died: processing, and silent from then on."""
    with capture(execute=False):
        state = advisor.advisor_check_refresh(account=account, check_id=EIP_CHECK, actor=SYSTEM)
    started = timezone.now()
    CheckState.objects.filter(pk=state.pk).update(
        refresh_status="processing", refresh_started_at=started, updated_at=started
    )
    return state


def test_a_run_whose_worker_died_runs_again(
    business_account, aws, dispatched, django_capture_on_commit_callbacks
):
    connect_keys(business_account)
    state = _killed_mid_run(business_account, django_capture_on_commit_callbacks)
    # Silent for less than RUN_LOST_AFTER: maybe a long check; left alone.
    assert advisor_refresh_sweep_task() == 0
    assert dispatched == []
    with time_machine.travel(timezone.now() + SILENT):
        assert advisor_refresh_sweep_task() == 1
        assert advisor_refresh_sweep_task() == 0
    assert dispatched == [state.pk]
    state.refresh_from_db()
    assert (state.refresh_status, state.refresh_error) == ("enqueued", advisor.MSG_RUN_AGAIN)
    assert state.refresh_started_at is None
    assert advisor_check_run_task(state.pk) is True
    assert advisor_check_run_task(state.pk) is False
    state.refresh_from_db()
    assert (state.refresh_status, state.refresh_error) == ("success", "")
    assert state.latest_result is not None


def test_a_run_lost_twice_is_abandoned(
    business_account, dispatched, django_capture_on_commit_callbacks
):
    state = _killed_mid_run(business_account, django_capture_on_commit_callbacks)
    with time_machine.travel(timezone.now() + SILENT):
        assert advisor_refresh_sweep_task() == 1
    # The second try dies too.
    again = timezone.now() + SILENT
    CheckState.objects.filter(pk=state.pk).update(
        refresh_status="processing", refresh_started_at=again, updated_at=again
    )
    with time_machine.travel(again + SILENT):
        assert advisor_refresh_sweep_task() == 1
        assert advisor_refresh_sweep_task() == 0
    assert dispatched == [state.pk]
    state.refresh_from_db()
    assert (state.refresh_status, state.refresh_error) == ("abandoned", advisor.MSG_WORKER_LOST)
    assert state.refresh_finished_at is not None


def test_the_database_gone_mid_run_leaves_it_to_the_sweep(
    business_account, aws, dispatched, monkeypatch, django_capture_on_commit_callbacks
):
    connect_keys(business_account)
    with django_capture_on_commit_callbacks(execute=False):
        state = advisor.advisor_check_refresh(
            account=business_account, check_id=EIP_CHECK, actor=SYSTEM
        )

    def database_gone(account, spec):
        raise OperationalError("server closed the connection unexpectedly")

    monkeypatch.setattr(refresh, "_evaluate", database_gone)
    with pytest.raises(OperationalError):
        advisor_check_run_task(state.pk)
    state.refresh_from_db()
    # Not AWS's fault: not abandoned, but processing with no heartbeat.
    assert state.refresh_status == "processing"
    with time_machine.travel(timezone.now() + SILENT):
        assert advisor_refresh_sweep_task() == 1
    assert dispatched == [state.pk]


@pytest.mark.django_db(transaction=True)
def test_a_live_run_keeps_its_heartbeat(business_account, aws, monkeypatch):
    connect_keys(business_account)
    state = advisor.advisor_check_refresh(
        account=business_account, check_id=EIP_CHECK, actor=SYSTEM
    )
    monkeypatch.setattr(refresh, "RUN_HEARTBEAT", timedelta(seconds=0.05))
    evaluate = refresh._evaluate
    beats = []

    def slow(account, spec):
        started = CheckState.objects.get(pk=state.pk).updated_at
        time.sleep(0.5)
        beats.append(CheckState.objects.get(pk=state.pk).updated_at > started)
        return evaluate(account, spec)

    monkeypatch.setattr(refresh, "_evaluate", slow)
    assert advisor_check_run_task(state.pk) is True
    assert beats == [True]
    state.refresh_from_db()
    assert state.refresh_status == "success"


def test_a_run_whose_task_died_with_its_worker_is_queued_again(
    business_account, dispatched, django_capture_on_commit_callbacks
):
    """A worker killed while holding a run's task (prefetched, not started) leaves the run
    enqueued with no task anywhere: queued again after LOST_AFTER, once per LOST_AFTER."""
    with django_capture_on_commit_callbacks(execute=False):
        state = advisor.advisor_check_refresh(
            account=business_account, check_id=EIP_CHECK, actor=SYSTEM
        )
    assert advisor_refresh_sweep_task() == 0
    assert dispatched == []
    start = timezone.now()
    with time_machine.travel(start + refresh.LOST_AFTER + timedelta(seconds=1), tick=False):
        advisor_refresh_sweep_task()
        advisor_refresh_sweep_task()
    assert dispatched == [state.pk]
    with time_machine.travel(start + 2 * refresh.LOST_AFTER + timedelta(seconds=2), tick=False):
        advisor_refresh_sweep_task()
    assert dispatched == [state.pk, state.pk]
    state.refresh_from_db()
    assert state.refresh_status == "enqueued"
