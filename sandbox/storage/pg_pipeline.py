"""PostgreSQL: a unit's blind writes sent together, in one round trip (psycopg pipeline mode).

A payment ends with writes whose answer nobody reads: the day's total, the ledger legs, the
payee's queued credit, the transaction row, its event and delivery, the idempotency keys.
Sent one by one, each costs a round trip to the server and a wake-up of the event loop. On the
event-loop path (``PostgresDatabase.write``, the async psycopg driver) ``raw.send`` queues them
instead, and the queue goes to the server in one pipeline (psycopg's ``AsyncConnection.
pipeline()``: every statement sent, one sync, one round trip) as soon as anything else needs
the server: before the next statement whose result is read (raw or SQLAlchemy), and before the
COMMIT. So statements still run in the order the unit issued them, inside its transaction.

What changes is *when* a blind write's error surfaces: at the flush, not at the ``send``. A
unit must therefore not catch a blind write's error and carry on; none does (``write_once``
catches ``IntegrityError`` around the whole unit, which is where a flush raises it). The
thread path (``write_sync``, SQLite) runs ``send`` at once, as ``raw.execute``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

_PENDING = "sandbox.pg.pending"

Blind = tuple[str, Mapping[str, Any] | Sequence[Mapping[str, Any]], bool]  # sql, params, many


def open_queue(conn: Connection) -> None:
    """The unit on ``conn`` may queue blind writes from now on (``PostgresDatabase`` only)."""
    conn.info[_PENDING] = []


def close_queue(conn: Connection) -> None:
    """Forget the queue (the unit ended: flushed before its COMMIT, or rolled back)."""
    conn.info.pop(_PENDING, None)


def queue(conn: Connection, sql: str, params: Any, *, many: bool = False) -> bool:
    """Queue a blind write if the unit has a queue; False: run it now instead."""
    pending: list[Blind] | None = conn.info.get(_PENDING)
    if pending is None:
        return False
    pending.append((sql, params, many))
    return True


def flush(conn: Connection) -> None:
    """Send the queued writes in one pipeline; their errors are SQLAlchemy's (IntegrityError)."""
    pending: list[Blind] | None = conn.info.get(_PENDING)
    if not pending:
        return
    items = list(pending)
    pending.clear()
    driver = conn.connection.driver_connection
    try:
        await_only(_send_all(driver, items))
    except Exception as exc:
        dbapi = conn.dialect.loaded_dbapi
        if isinstance(exc, dbapi.Error):
            sql, params, _ = items[0]
            raise sa.exc.DBAPIError.instance(
                sql, params, exc, dbapi.Error, dialect=conn.dialect
            ) from exc
        raise


async def _send_all(driver: Any, items: list[Blind]) -> None:
    async with driver.pipeline(), driver.cursor() as cur:
        for sql, params, many in items:
            if many:
                await cur.executemany(sql, params)
            else:
                await cur.execute(sql, params)


def flush_before_statement(conn: Connection, *_: Any) -> None:
    """``before_cursor_execute`` hook: a SQLAlchemy statement runs after the queued writes."""
    if conn.info.get(_PENDING):
        flush(conn)
