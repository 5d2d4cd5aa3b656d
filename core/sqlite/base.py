"""Django's SQLite backend, with a process's writers taking turns on a lock of their own
before they ask for SQLite's (the embedded default's ENGINE, `core.sqlite`).

SQLite has one write lock per database. A writer that finds it taken waits in SQLite's busy
handler, which sleeps 1, 2, 5, 10, 15, 20, 25, ... ms between tries: with gunicorn's threads all
writing, the lock sat free while its waiters slept, and the API's CreateCase used about 60% of
the machine's CPU at its best rate, with a p95 of 140 ms. A `threading.Lock` wakes its next
waiter the moment it is released, so a process's threads queue there instead, and only one
writer per process (gunicorn's workers, the Celery worker) contends in SQLite's busy handler.

The lock is held from `BEGIN IMMEDIATE` (an atomic block on a connection in autocommit) to its
COMMIT or ROLLBACK, or the connection's closing. It only orders writers: SQLite's own lock still
guards the database, so a writer that does not take this one (a statement in autocommit, another
program) is as safe as before. Waiting is bounded: up to the database's `timeout` option for this
lock, after which the writer fails as SQLite would ("database is locked"), then up to as long
again in SQLite's busy handler for another process's writer. In-memory databases (the tests')
are left alone: their connections share one cache and never wait.
"""

from __future__ import annotations

import os
import threading

from django.db.backends.sqlite3 import base
from django.db.utils import OperationalError

_guard = threading.Lock()
_locks: dict[str, threading.Lock] = {}


def _reset_after_fork() -> None:
    # A lock held by another thread when the process forked would never be released here.
    global _guard, _locks
    _guard = threading.Lock()
    _locks = {}


os.register_at_fork(after_in_child=_reset_after_fork)


def writers_lock(name: str) -> threading.Lock:
    """The lock this process's writers to the database file `name` take turns on."""
    with _guard:
        return _locks.setdefault(name, threading.Lock())


class DatabaseWrapper(base.DatabaseWrapper):
    _held: threading.Lock | None = None

    def _start_transaction_under_autocommit(self) -> None:
        try:
            if not self.is_in_memory_db():
                lock = writers_lock(str(self.settings_dict["NAME"]))
                timeout = float(self.settings_dict["OPTIONS"].get("timeout", 5))
                # Kept the moment it is taken: an exception raised into this thread from
                # outside (a task's time limit) must not leave the process's writers locked out.
                self._held = lock if lock.acquire(timeout=timeout) else None
                if self._held is None:
                    raise OperationalError("database is locked")
            super()._start_transaction_under_autocommit()  # type: ignore[misc]
        except BaseException:
            self._release()
            raise

    def _commit(self) -> None:
        try:
            super()._commit()  # type: ignore[misc]
        finally:
            self._release()

    def _rollback(self) -> None:
        try:
            super()._rollback()  # type: ignore[misc]
        finally:
            self._release()

    def _close(self) -> None:
        try:
            super()._close()  # type: ignore[misc]
        finally:
            self._release()

    def _release(self) -> None:
        held, self._held = self._held, None
        if held is not None:
            held.release()
