"""Heartbeats for long jobs.

A job that may legitimately run for many minutes (a Trusted Advisor check over a large account)
cannot be told from one whose worker was killed (SIGKILL, an out-of-memory kill, a lost machine)
by its age alone. While such a job runs, `Heartbeat` touches its row from a thread of its own
every so often; a sweep that finds the row untouched for a few beats knows its worker is gone,
within minutes rather than after the job's longest allowed run.
"""

from __future__ import annotations

import logging
import threading
from types import TracebackType
from typing import Any

from django.db import DatabaseError, connections
from django.db.models import QuerySet
from django.utils import timezone

logger = logging.getLogger(__name__)


class Heartbeat:
    """Within the `with` block, set `field` to now on `rows` every `every` seconds.

    `rows` should be conditioned on the job's claim, so a beat never revives a row that moved
    on. A beat the database refuses is skipped (logged): the next one tries again. The thread
    uses a database connection of its own and closes it when the block ends.
    """

    def __init__(self, rows: QuerySet[Any], *, every: float, field: str = "updated_at") -> None:
        self.rows = rows
        self.every = every
        self.field = field
        self.beats = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="heartbeat", daemon=True)

    def __enter__(self) -> Heartbeat:
        self._thread.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        self._stop.set()
        self._thread.join()

    def _run(self) -> None:
        try:
            while not self._stop.wait(self.every):
                try:
                    self.rows.update(**{self.field: timezone.now()})
                    self.beats += 1
                except DatabaseError as exc:
                    logger.warning("heartbeat of %s missed: %s", self.rows.model.__name__, exc)
        finally:
            connections.close_all()
