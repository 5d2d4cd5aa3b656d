"""An UPDATE sent to the database without waiting for its answer.

The email outbox stamps a row at the instant the SMTP server is given the end of a message
(core.outbox.Outbox.hand_over): a worker killed between the stamp and that last byte loses the
message, one killed between the last byte and the stamp sends it twice. With PostgreSQL, waiting
for the stamp's answer before writing the last byte leaves a network round trip (and the
scheduler's whims on a busy machine) in between; so the statement is written to the server's
socket, the last byte to the SMTP server's, and only then is the answer read. What lies between
is two adjacent socket writes. SQLite commits in the process itself: there the UPDATE simply runs
(waiting for the writer lock comes before the commit, not after it).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.db import OperationalError, connections
from django.db.models import QuerySet
from django.db.models.sql.subqueries import UpdateQuery


def update_in_flight(rows: QuerySet[Any], **fields: Any) -> Callable[[], int]:
    """Start `rows.update(**fields)` and return a function that finishes it and returns the
    number of rows updated. On PostgreSQL the statement is on its way to the server when this
    returns (committed there on its own, outside a transaction); elsewhere it has already run.
    Call the function before anything else uses the connection."""
    connection = connections[rows.db]
    connection.ensure_connection()
    # libpq's own connection is psycopg 3's (`pgconn`); with psycopg2, or another database, the
    # UPDATE runs and is answered now.
    pgconn = getattr(connection.connection, "pgconn", None)
    if connection.vendor != "postgresql" or pgconn is None:
        count = rows.update(**fields)
        return lambda: count
    query = rows.query.chain(UpdateQuery)
    assert isinstance(query, UpdateQuery)
    query.add_update_values(fields)
    sql, params = query.get_compiler(rows.db).as_sql()
    with connection.wrap_database_errors:
        # Bound on the client, as Django's PostgreSQL cursors bind everything.
        statement = connection.ops.compose_sql(sql, params)  # type: ignore[attr-defined]
        # Blocking mode: returns once the statement is written to the socket.
        pgconn.send_query(statement.encode())

    def finish() -> int:
        count = 0
        with connection.wrap_database_errors:
            while (result := pgconn.get_result()) is not None:
                if result.error_message:
                    raise OperationalError(result.error_message.decode(errors="replace"))
                count = int(result.command_tuples or 0)
        return count

    return finish
