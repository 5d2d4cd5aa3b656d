"""Transactional outboxes: what a change sends to the outside world, written as rows in the
change's own transaction and sent afterwards, each row once.

The rows (email notifications, event deliveries) live in their apps' models; this module is the
one mechanism they share:

- **Dispatch after commit.** `Outbox.dispatch_on_commit` hands the rows' keys to Celery once the
  transaction commits (a rollback sends nothing). `queue_tasks` publishes over the app's pool of
  warm broker connections (a connection, and kombu's declaration of the queue, per publish cost
  the request more than the rest of its work on Redis, and listed the whole queue folder on the
  filesystem broker) and fails fast when the broker is down instead of letting kombu retry
  inside the request: the rows stay pending and the sweep picks them up, so a broker outage
  loses nothing.
- **Draining (optional).** An outbox whose sends are cheap and alike (email: one SMTP server)
  is drained instead of sent row by row: one task claims the due rows a batch at a time (one
  conditional UPDATE, skipping rows another drain holds) and sends them over one connection.
  Publishers queue that task only when none is waiting (`request_drain`, one row of
  `core.models.OutboxDrain`: checked with a read, set with a conditional UPDATE), and a drain
  clears the request before it looks for rows (`drain_started`), so a row committed after the
  clear is either found by that drain or requests the next one. A thousand messages queued
  meanwhile cost the broker a few tasks, not a thousand.
  A job that writes thousands of rows at once hands them over together
  (`dispatch_batch_on_commit`): one publish per batch (for a draining outbox, one drain request).
- **Claim before sending.** `claim` moves a due row from pending to sending with one conditional
  UPDATE (attempts + 1, claimed_at = now). Two workers, or a task that runs twice, never send
  the same row at once; every later write is conditioned on that claim (`settle`), so a claim
  the sweep released and another worker took is never overwritten.
- **Back-off and giving up.** A failed try makes the row due again after the policy's back-off,
  until `max_attempts`; then it is failed for good.
- **The sweep.** `release_stuck` hands rows whose worker died mid-send back (or fails them when
  their attempts are used up); then either the sweep drains the due rows itself (for cheap
  senders such as SMTP) or it only queues a task per due row (`sweep_queue`, for senders that
  may be slow, so one slow receiver holds one worker for one attempt at most).
- **Handing over (optional).** A sender whose protocol has a point of no return (SMTP's final
  "." of DATA: the server delivers what it got once it sees it) stamps the row with `hand_over`
  at that point, conditioned on its claim like every later write: the stamp's statement is
  written to the database, the last byte to the receiver, and then both answers are read
  (`core.inflight`). A drain stamps the few messages it is sending at once (each on its own
  connection) with one statement and then writes their last bytes, one after the other. A
  claim released after that stamp is taken as sent: the worker died (SIGKILL, a lost machine)
  or could not record the outcome (the database went away) after the receiver had the
  message, so sending it again would deliver it twice. A claim released without the stamp was
  never delivered and is retried; a worker whose claim was released and taken by another
  meanwhile is refused the hand-over, so a slow attempt cannot overlap a second one.

Without a hand-over a row is sent at least once, and more than once only when a worker dies
between sending and recording; receivers can deduplicate on the row's key. With one, a row is
delivered once unless a worker dies between adjacent socket writes (the stamp's and the last
bytes' of the messages it covers, written in one loop), or the connection breaks after the last
byte but before the receiver's answer (then the row is tried again).
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from django.db import DatabaseError, connections, models, transaction
from django.db.models import F, Q, QuerySet, Value
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_noop

from core.errors import Phrase
from core.inflight import update_in_flight
from core.models import OutboxDrain
from core.rawload import column, fetch_all, quote

logger = logging.getLogger(__name__)


@functools.cache
def _requested_since_sql() -> str:
    return (
        f"SELECT 1 FROM {quote(OutboxDrain._meta.db_table)} "
        f"WHERE {column(OutboxDrain, 'name')} = %s AND {column(OutboxDrain, 'requested_at')} >= %s"
    )


PENDING = "pending"
SENDING = "sending"
FAILED = "failed"
MSG_GAVE_UP = gettext_noop("gave up after repeated interrupted attempts")
MSG_HANDED_OVER = gettext_noop("taken as sent: the worker stopped after handing the message over")


def queue_tasks(task: Any, keys: Iterable[str | int]) -> bool:
    """Queue `task(key)` for each key now, failing fast when the broker is down (kombu would
    otherwise retry the connection for a long time). Returns whether the broker took them; never
    raises: whatever it did not take is left to the caller's sweep."""
    return _publish(task, [[key] for key in keys])


def _publish(task: Any, calls: list[list[Any]]) -> bool:
    if not calls:
        return True
    # A connection from the app's pool (`broker_pool_limit`) stays open between requests, and
    # kombu remembers on it which queues it declared.
    connection = task.app.pool.acquire(block=True)
    try:
        connection.ensure_connection(max_retries=1, interval_start=0, timeout=2)
        producer = task.app.amqp.Producer(connection.default_channel)
        for args in calls:
            task.apply_async(args=args, producer=producer, retry=False)
    except Exception:  # broker down: the rows stay as they are and the sweep retries
        logger.warning("could not queue %d %s task(s); the sweep will", len(calls), task.name)
        # Drop the broken transport: the pool reconnects on the next acquire.
        connection.collect()
        return False
    finally:
        connection.release()
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
    # Draining outboxes: how many rows a drain claims and sends together; None: one task per
    # row. `requeue_after` is then how long a requested drain may wait for a worker before the
    # next change requests another (the broker lost it).
    drain_batch: int | None = None
    # A JSON field written beside `last_error` with its message as a `Phrase` (msgid and
    # values), so a log customers read is shown in their language, not the worker's; a
    # library's or receiver's words (a plain str) leave it null. None: errors are text only.
    error_phrase_field: str | None = None


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

    def _error(self, error: str | Phrase) -> dict[str, Any]:
        """The fields that record `error` ("" clears them)."""
        fields: dict[str, Any] = {"last_error": str(error)[:500]}
        if self.policy.error_phrase_field:
            phrase = error.as_json() if isinstance(error, Phrase) else None
            fields[self.policy.error_phrase_field] = phrase
        return fields

    def rows(self) -> QuerySet[Any]:
        return self.model._default_manager.all()

    # --- the publisher's side -------------------------------------------------------------------

    def dispatch_on_commit(self, keys: Sequence[str | int]) -> None:
        """After the current transaction commits, queue a send task per row, or for a draining
        outbox a drain unless one is waiting (best effort)."""
        if self.policy.drain_batch:
            transaction.on_commit(self.request_drain)
        else:
            queue_tasks_on_commit(self.task, [str(k) for k in keys])

    def _drains(self) -> QuerySet[OutboxDrain]:
        return OutboxDrain.objects.filter(name=self.model._meta.label)

    def _requested_since(self, moment: datetime) -> bool:
        connection = connections[OutboxDrain.objects.db]
        return bool(
            fetch_all(
                _requested_since_sql(),
                [self.model._meta.label, connection.ops.adapt_datetimefield_value(moment)],
                using=connection.alias,
            )
        )

    def request_drain(self) -> bool:
        """Queue the drain task unless one was requested and has not started (nor waited longer
        than `requeue_after`). Call it once the rows are committed. Returns whether a drain is
        on its way; never raises (the sweep drains what a lost request leaves)."""
        assert self.policy.requeue_after is not None, "a draining outbox says when to requeue"
        now = timezone.now()
        fresh = now - self.policy.requeue_after
        try:
            # Most changes while a backlog drains stop here, with one read (composed once:
            # every new case and reply asks).
            if self._requested_since(fresh):
                return True
            drains = self._drains()
            stale = Q(requested_at__isnull=True) | Q(requested_at__lt=fresh)
            if not drains.filter(stale).update(requested_at=now):
                _, created = OutboxDrain.objects.get_or_create(
                    name=self.model._meta.label, defaults={"requested_at": now}
                )
                if not created:  # another change requested one in between
                    return True
        except DatabaseError:
            logger.warning("could not request a drain of %s; the sweep will", self.model.__name__)
            return False
        if _publish(self.task, [[]]):
            return True
        # Not queued: let the next change try again rather than wait for `requeue_after`.
        try:
            drains.filter(requested_at=now).update(requested_at=None)
        except DatabaseError:
            pass
        return False

    def drain_started(self) -> None:
        """A drain is about to look for due rows: rows committed from now on request another."""
        self._drains().exclude(requested_at=None).update(requested_at=None)

    def claim_batch(self, now: datetime, limit: int) -> list[Any]:
        """Claim up to `limit` due, pending rows at once (`claim` for many), the longest waiting
        first, skipping rows another worker is claiming (PostgreSQL's SKIP LOCKED; SQLite's
        writers take turns). Returns their keys; `now` is their `claimed_at`."""
        with transaction.atomic(using=self.rows().db):
            keys = list(
                self.due(now)
                .filter(attempts__lt=self.policy.max_attempts)
                .select_for_update(skip_locked=True)
                .values_list(self.key, flat=True)[:limit]
            )
            if keys:
                self.rows().filter(**{f"{self.key}__in": keys}).update(
                    **self._stamped(
                        now,
                        status=SENDING,
                        claimed_at=now,
                        attempts=F("attempts") + 1,
                        **self._not_handed_over(),
                    )
                )
        return keys

    def dispatch_batch_on_commit(self, keys: Sequence[str | int]) -> None:
        """After the current transaction commits, queue one task for all the rows (best
        effort, like `dispatch_on_commit`): for jobs that write thousands at once."""
        batch = [str(k) for k in keys]
        if self.policy.drain_batch:
            if batch:
                transaction.on_commit(self.request_drain)
            return
        assert self.batch_task is not None, "this outbox has no batch task"
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

    def hand_over(
        self, keys: Sequence[Any], *, claimed_at: datetime
    ) -> tuple[set[str], Callable[[], int]]:
        """Stamp the rows `keys` of this worker's claim at their point of no return (the
        policy's `handover_field`), with one write.

        Returns the keys still this worker's, as strings (for the others the sender must stop
        short of that point), and a function that finishes the stamp. The stamp is on its way
        when this returns (`core.inflight`: on PostgreSQL the statement is written, not yet
        answered): the sender writes the last bytes of those rows' messages at once and then
        calls the function, which returns how many rows were stamped. Runs in autocommit, so
        the stamp commits by itself."""
        field = self.policy.handover_field
        assert field is not None, "this outbox has no hand-over"
        now = timezone.now()
        claim = {"status": SENDING, "claimed_at": claimed_at}
        mine = {
            str(key)
            for key in self.rows()
            .filter(**{f"{self.key}__in": list(keys)}, **claim)
            .values_list(self.key, flat=True)
        }
        if not mine:
            return mine, lambda: 0
        rows = self.rows().filter(**{f"{self.key}__in": list(mine)}, **claim)
        return mine, update_in_flight(rows, **self._stamped(now, **{field: now}))

    def settle(
        self,
        row: Any,
        *,
        claimed_at: datetime,
        ok: bool,
        error: str | Phrase = "",
        done_fields: dict[str, Any] | None = None,
    ) -> bool:
        """Record the outcome of this worker's try of `row` (loaded after its claim, so its
        `attempts` counts this try). Conditioned on the claim: returns False, writing nothing,
        when the row was released and taken by someone else, or deleted, meanwhile."""
        finished = timezone.now()
        mine = self.rows().filter(pk=row.pk, status=SENDING, claimed_at=claimed_at)
        if ok:
            fields = {"status": self.done, **self._error(""), **(done_fields or {})}
        else:
            gave_up = row.attempts >= self.policy.max_attempts
            fields = {
                "status": FAILED if gave_up else PENDING,
                "next_attempt_at": finished + self.policy.backoff(row.attempts),
                **self._error(error),
                # The receiver refused or the connection broke after the hand-over: not sent.
                **self._not_handed_over(),
            }
        return bool(mine.update(**self._stamped(finished, **fields)))

    def settle_sent(self, keys: Sequence[Any], *, claimed_at: datetime) -> int:
        """Record that this worker sent the rows `keys` of its claim at `claimed_at` (`settle`
        with ok for many, in one UPDATE); their done time is their hand-over's, or now.
        Returns how many were still this worker's.

        A drain settles its batch once it is sent: each row's hand-over stamp already says
        that its message went out, should the worker stop before this."""
        if not keys:
            return 0
        now = timezone.now()
        fields: dict[str, Any] = {"status": self.done, **self._error("")}
        if self.policy.done_at_field:
            done_at: Any = Value(now)
            if self.policy.handover_field:
                done_at = Coalesce(F(self.policy.handover_field), done_at)
            fields[self.policy.done_at_field] = done_at
        mine = self.rows().filter(
            **{f"{self.key}__in": list(keys)}, status=SENDING, claimed_at=claimed_at
        )
        return mine.update(**self._stamped(now, **fields))

    # --- the sweep ------------------------------------------------------------------------------

    def release_stuck(self, now: datetime) -> None:
        """Rows claimed longer than `stuck_after` ago belong to a dead worker: due again now, or
        failed when they have used up their attempts. Rows handed over longer than
        `stuck_after` ago were delivered: they are done."""
        sending = self.rows().filter(status=SENDING)
        field = self.policy.handover_field
        if field:
            done: dict[str, Any] = {"status": self.done, **self._error(Phrase(MSG_HANDED_OVER))}
            if self.policy.done_at_field:
                done[self.policy.done_at_field] = F(field)
            sending.filter(**{f"{field}__lt": now - self.policy.stuck_after}).update(
                **self._stamped(now, **done)
            )
            sending = sending.filter(**{f"{field}__isnull": True})
        stuck = sending.filter(claimed_at__lt=now - self.policy.stuck_after)
        stuck.filter(attempts__gte=self.policy.max_attempts).update(
            **self._stamped(now, status=FAILED, **self._error(Phrase(MSG_GAVE_UP)))
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
