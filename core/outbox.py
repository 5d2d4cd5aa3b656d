"""Transactional outboxes: what a change sends to the outside world, written as rows in the
change's own transaction and sent afterwards, each row once.

The rows (email notifications, event deliveries) live in their apps' models; this module is the
one mechanism they share:

- **Dispatch after commit.** `Outbox.dispatch_on_commit` hands the rows' keys to Celery once the
  transaction commits (a rollback sends nothing). `queue_tasks` fails fast when the broker is
  down instead of letting kombu retry inside the request: the rows stay pending and the sweep
  picks them up, so a broker outage loses nothing. A job that writes thousands of rows at once
  hands them all to one task (`dispatch_batch_on_commit`): one publish per batch, not per row.
- **Claim before sending.** `claim` moves a due row from pending to sending with one conditional
  UPDATE (attempts + 1, claimed_at = now). Two workers, or a task that runs twice, never send
  the same row at once; every later write is conditioned on that claim (`settle`), so a claim
  the sweep released and another worker took is never overwritten.
- **Back-off and giving up.** A failed try makes the row due again after the policy's back-off,
  until `max_attempts`; then it is failed for good.
- **The sweep.** `release_stuck` hands rows whose worker died mid-send back (or fails them when
  their attempts are used up); then either the sweep sends the due rows itself (`sweep_send`,
  for cheap senders such as SMTP) or it only queues a task per due row (`sweep_queue`, for
  senders that may be slow, so one slow receiver holds one worker for one attempt at most).
- **Handing over (optional).** A sender whose protocol has a point of no return (SMTP's final
  "." of DATA: the server delivers what it got once it sees it) stamps the row with `hand_over`
  at that point, conditioned on its claim like every later write: the stamp's statement is
  written to the database, the last byte to the receiver, and then both answers are read
  (`core.inflight`). A claim released after that stamp is taken as sent: the worker died
  (SIGKILL, a lost machine) or could not record the outcome (the database went away) after the
  receiver had the message, so sending it again would deliver it twice. A claim released
  without the stamp was never delivered and is retried; a worker whose claim was released and
  taken by another meanwhile is refused the hand-over, so a slow attempt cannot overlap a
  second one.

Without a hand-over a row is sent at least once, and more than once only when a worker dies
between sending and recording; receivers can deduplicate on the row's key. With one, a row is
delivered once unless a worker dies between two adjacent socket writes (the stamp's and the last
byte's), or the connection breaks after the last byte but before the receiver's answer (then the
row is tried again).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import models, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone

from core.inflight import update_in_flight

logger = logging.getLogger(__name__)

PENDING = "pending"
SENDING = "sending"
FAILED = "failed"
MSG_GAVE_UP = "gave up after repeated interrupted attempts"
MSG_HANDED_OVER = "taken as sent: the worker stopped after handing the message over"


def queue_tasks(task: Any, keys: Iterable[str | int]) -> bool:
    """Queue `task(key)` for each key now, failing fast when the broker is down (kombu would
    otherwise retry the connection for a long time). Returns whether the broker took them; never
    raises: whatever it did not take is left to the caller's sweep."""
    keys = list(keys)
    if not keys:
        return True
    try:
        with task.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            for key in keys:
                task.apply_async(args=[key], connection=connection, retry=False)
    except Exception:  # broker down: the rows stay as they are and the sweep retries
        logger.warning("could not queue %d %s task(s); the sweep will", len(keys), task.name)
        return False
    return True


def queue_batch(task: Any, keys: Sequence[str]) -> bool:
    """Queue one `task(keys)` for all the keys now: one publish, however many rows (a job's
    batch; a publish per row costs the broker's round trip each time, and with the filesystem
    broker a listing of its queue). Same contract as `queue_tasks`."""
    if not keys:
        return True
    try:
        with task.app.connection_for_write() as connection:
            connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
            task.apply_async(args=[list(keys)], connection=connection, retry=False)
    except Exception:  # broker down: the rows stay as they are and the sweep retries
        logger.warning("could not queue %s for %d rows; the sweep will", task.name, len(keys))
        return False
    return True


def queue_tasks_on_commit(task: Any, keys: Iterable[str | int]) -> None:
    """`queue_tasks` once the current transaction commits (nothing if it rolls back)."""
    keys = list(keys)
    transaction.on_commit(lambda: queue_tasks(task, keys))


@dataclass(frozen=True)
class OutboxPolicy:
    """How one outbox retries, gives up and sweeps."""

    max_attempts: int
    # The wait after the n-th failed attempt (n >= 1).
    backoff: Callable[[int], timedelta]
    # A claim older than this is taken to be a dead worker's. It must comfortably exceed the
    # longest attempt, so a slow send is never handed to a second worker.
    stuck_after: timedelta
    # Rows one sweep run sends or queues at most.
    sweep_batch: int = 200
    # Queueing sweeps: a due row whose task was queued this long ago and has not run is queued
    # again (the broker lost it). None: the outbox does not track queueing (`queued_at`).
    requeue_after: timedelta | None = None
    # The timestamp `hand_over` writes just before the sender's point of no return, and the one
    # a row released after it gets as its done time. None: the sender has no such point.
    handover_field: str | None = None
    done_at_field: str | None = None


class Outbox:
    """One outbox: its model, the task that sends one row, and its policy.

    The model has `status` (pending, sending, the `done` status, failed), `attempts`,
    `next_attempt_at`, `claimed_at` and `last_error`; with `requeue_after`, also `queued_at`.
    Rows are named to tasks by `key` (the primary key, or a public id such as a UUID).
    """

    def __init__(
        self,
        model: type[models.Model],
        *,
        task: Any,
        policy: OutboxPolicy,
        done: str,
        key: str = "pk",
        batch_task: Any = None,
    ) -> None:
        self.model = model
        self.task = task
        # Sends several rows given their keys (`dispatch_batch_on_commit`); optional.
        self.batch_task = batch_task
        self.policy = policy
        self.done = done
        self.key = key
        self._stamps_updated_at = any(f.name == "updated_at" for f in model._meta.get_fields())

    def _stamped(self, now: datetime, **fields: Any) -> dict[str, Any]:
        if self._stamps_updated_at:
            fields["updated_at"] = now
        return fields

    def rows(self) -> QuerySet[Any]:
        return self.model._default_manager.all()

    # --- the publisher's side -------------------------------------------------------------------

    def dispatch_on_commit(self, keys: Sequence[str | int]) -> None:
        """After the current transaction commits, queue a send task per row (best effort)."""
        queue_tasks_on_commit(self.task, [str(k) for k in keys])

    def dispatch_batch_on_commit(self, keys: Sequence[str | int]) -> None:
        """After the current transaction commits, queue one task for all the rows (best
        effort, like `dispatch_on_commit`): for jobs that write thousands at once."""
        assert self.batch_task is not None, "this outbox has no batch task"
        batch = [str(k) for k in keys]
        if batch:
            transaction.on_commit(lambda: queue_batch(self.batch_task, batch))

    # --- the worker's side ----------------------------------------------------------------------

    def _not_handed_over(self) -> dict[str, Any]:
        field = self.policy.handover_field
        return {field: None} if field else {}

    def claim(self, key: str | int, now: datetime) -> bool:
        """Take a due, pending row for this worker; False when it is not due, not pending (sent,
        failed, or another worker's) or out of attempts."""
        return bool(
            self.rows()
            .filter(
                **{self.key: key},
                status=PENDING,
                next_attempt_at__lte=now,
                attempts__lt=self.policy.max_attempts,
            )
            .update(
                **self._stamped(
                    now,
                    status=SENDING,
                    claimed_at=now,
                    attempts=F("attempts") + 1,
                    **self._not_handed_over(),
                )
            )
        )

    def hand_over(self, key: str | int, *, claimed_at: datetime) -> Callable[[], bool] | None:
        """Stamp this worker's claim at the point of no return (the policy's `handover_field`).

        None when the claim is no longer this worker's: the sender must stop short of that
        point. Otherwise the stamp is on its way (`core.inflight`: on PostgreSQL the statement is
        written, not yet answered): the sender writes its last byte at once and then calls the
        returned function, which says whether the stamp was recorded. Runs in autocommit, so
        the stamp commits by itself."""
        field = self.policy.handover_field
        assert field is not None, "this outbox has no hand-over"
        now = timezone.now()
        mine = self.rows().filter(**{self.key: key}, status=SENDING, claimed_at=claimed_at)
        if not mine.exists():
            return None
        stamped = update_in_flight(mine, **self._stamped(now, **{field: now}))
        return lambda: bool(stamped())

    def settle(
        self,
        row: Any,
        *,
        claimed_at: datetime,
        ok: bool,
        error: str = "",
        done_fields: dict[str, Any] | None = None,
    ) -> bool:
        """Record the outcome of this worker's try of `row` (loaded after its claim, so its
        `attempts` counts this try). Conditioned on the claim: returns False, writing nothing,
        when the row was released and taken by someone else, or deleted, meanwhile."""
        finished = timezone.now()
        mine = self.rows().filter(pk=row.pk, status=SENDING, claimed_at=claimed_at)
        if ok:
            fields = {"status": self.done, "last_error": "", **(done_fields or {})}
        else:
            gave_up = row.attempts >= self.policy.max_attempts
            fields = {
                "status": FAILED if gave_up else PENDING,
                "next_attempt_at": finished + self.policy.backoff(row.attempts),
                "last_error": error[:500],
                # The receiver refused or the connection broke after the hand-over: not sent.
                **self._not_handed_over(),
            }
        return bool(mine.update(**self._stamped(finished, **fields)))

    # --- the sweep ------------------------------------------------------------------------------

    def release_stuck(self, now: datetime) -> None:
        """Rows claimed longer than `stuck_after` ago belong to a dead worker: due again now, or
        failed when they have used up their attempts. Rows handed over longer than
        `stuck_after` ago were delivered: they are done."""
        sending = self.rows().filter(status=SENDING)
        field = self.policy.handover_field
        if field:
            done: dict[str, Any] = {"status": self.done, "last_error": MSG_HANDED_OVER}
            if self.policy.done_at_field:
                done[self.policy.done_at_field] = F(field)
            sending.filter(**{f"{field}__lt": now - self.policy.stuck_after}).update(
                **self._stamped(now, **done)
            )
            sending = sending.filter(**{f"{field}__isnull": True})
        stuck = sending.filter(claimed_at__lt=now - self.policy.stuck_after)
        stuck.filter(attempts__gte=self.policy.max_attempts).update(
            **self._stamped(now, status=FAILED, last_error=MSG_GAVE_UP)
        )
        stuck.filter(attempts__lt=self.policy.max_attempts).update(
            **self._stamped(now, status=PENDING, next_attempt_at=now)
        )

    def due(self, now: datetime) -> QuerySet[Any]:
        """Pending rows whose next attempt is due, the longest waiting first."""
        return (
            self.rows()
            .filter(status=PENDING, next_attempt_at__lte=now)
            .order_by("next_attempt_at", "pk")
        )

    def sweep_send(self, send: Callable[[str], bool]) -> int:
        """Release stuck rows, then send every due row with `send(key)` (the task's body), a
        batch at a time, each row at most once per run. Returns how many this run sent."""
        now = timezone.now()
        self.release_stuck(now)
        sent = 0
        after: tuple[datetime, Any] | None = None
        while True:
            due = self.due(now)
            if after is not None:
                moment, pk = after
                due = due.filter(
                    Q(next_attempt_at__gt=moment) | Q(next_attempt_at=moment, pk__gt=pk)
                )
            batch = list(
                due.values_list("pk", "next_attempt_at", self.key)[: self.policy.sweep_batch]
            )
            if not batch:
                return sent
            for _pk, _moment, key in batch:
                sent += int(send(str(key)))
            after = (batch[-1][1], batch[-1][0])

    def sweep_queue(self, *, batch_size: int | None = None) -> int:
        """Release stuck rows, then queue a send task for the oldest due rows (at most
        `batch_size`, by default the policy's `sweep_batch`), sending nothing itself. A due row
        is queued unless its task was queued after it became due and less than `requeue_after`
        ago (still waiting for a worker); the claim makes a duplicate task a no-op anyway.
        Returns how many tasks this run queued."""
        assert self.policy.requeue_after is not None, "a queueing outbox tracks queued_at"
        now = timezone.now()
        self.release_stuck(now)
        not_waiting = (
            Q(queued_at__isnull=True)
            | Q(queued_at__lt=F("next_attempt_at"))
            | Q(queued_at__lt=now - self.policy.requeue_after)
        )
        limit = batch_size or self.policy.sweep_batch
        batch = list(self.due(now).filter(not_waiting).values_list("pk", self.key)[:limit])
        if not batch:
            return 0
        self.rows().filter(pk__in=[pk for pk, _key in batch]).update(queued_at=now)
        queue_tasks(self.task, [str(key) for _pk, key in batch])
        return len(batch)
