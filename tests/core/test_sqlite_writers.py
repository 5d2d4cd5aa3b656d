"""core.sqlite: a process's writers to one SQLite file queue on a lock of their own, held from
BEGIN IMMEDIATE to COMMIT or ROLLBACK (or the connection's closing)."""

from __future__ import annotations

import threading
import time
from pathlib import Path

import pytest
from django.db.utils import ConnectionHandler, OperationalError

from core.sqlite.base import DatabaseWrapper, writers_lock


def _wrappers(path: Path | str, count: int, timeout: float = 20) -> list[DatabaseWrapper]:
    aliases = ["default", *(f"other{n}" for n in range(1, count))]
    handler = ConnectionHandler(
        {
            alias: {
                "ENGINE": "core.sqlite",
                "NAME": str(path),
                "OPTIONS": {"transaction_mode": "IMMEDIATE", "timeout": timeout},
            }
            for alias in aliases
        }
    )
    wrappers = [handler[alias] for alias in aliases]
    for wrapper in wrappers:
        wrapper.inc_thread_sharing()  # used by the test's threads
    return wrappers


def _begin(wrapper: DatabaseWrapper) -> None:
    # What an atomic block does on a connection in autocommit.
    wrapper.ensure_connection()
    wrapper._start_transaction_under_autocommit()


@pytest.fixture(autouse=True)
def _own_databases(django_db_blocker):  # type: ignore[no-untyped-def]
    # These connections are to files of the tests' own, not to the test database.
    with django_db_blocker.unblock():
        yield


@pytest.fixture
def database(tmp_path: Path) -> Path:
    path = tmp_path / "writers.sqlite3"
    (setup,) = _wrappers(path, 1)
    with setup.cursor() as cursor:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("CREATE TABLE t (n INTEGER)")
    setup.close()
    return path


def test_a_second_writer_waits_for_the_first_to_commit_and_sees_its_row(database) -> None:
    first, second = _wrappers(database, 2)
    order: list[str] = []
    _begin(first)
    assert first._held is writers_lock(str(database))

    def write() -> None:
        _begin(second)  # waits here, on the process's lock
        order.append("second began")
        with second.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM t")
            order.append(f"second saw {cursor.fetchone()[0]}")
        second._commit()
        second.close()

    waiter = threading.Thread(target=write)
    waiter.start()
    time.sleep(0.2)
    with first.cursor() as cursor:
        cursor.execute("INSERT INTO t VALUES (1)")
    order.append("first committed")
    first._commit()
    waiter.join(timeout=10)
    first.close()
    assert order == ["first committed", "second began", "second saw 1"]


def test_a_rollback_or_a_close_lets_the_next_writer_in(database) -> None:
    first, second = _wrappers(database, 2, timeout=0.5)
    _begin(first)
    first._rollback()
    _begin(second)
    second._commit()
    _begin(first)
    first.close()
    _begin(second)
    second._commit()
    second.close()
    assert writers_lock(str(database)).acquire(blocking=False)
    writers_lock(str(database)).release()


def test_waiting_ends_with_sqlites_own_error_after_the_timeout(database) -> None:
    first, second = _wrappers(database, 2, timeout=0.2)
    _begin(first)
    failure: list[BaseException] = []

    def write() -> None:
        try:
            _begin(second)
        except OperationalError as error:
            failure.append(error)

    waiter = threading.Thread(target=write)
    waiter.start()
    waiter.join(timeout=10)
    first._commit()
    first.close()
    second.close()
    assert len(failure) == 1 and "database is locked" in str(failure[0])


def test_in_memory_databases_take_no_lock() -> None:
    (memory,) = _wrappers(":memory:", 1)
    _begin(memory)
    assert memory._held is None
    memory._commit()
    memory.close()
