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

from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

_PENDING = "sandbox.pg.pending"
_IDLE = psycopg.pq.TransactionStatus.IDLE  # the next statement opens the transaction

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


def active(conn: Connection) -> bool:
    """Whether the unit on ``conn`` runs on the event loop with a queue (raw then uses
    ``cursor``)."""
    return _PENDING in conn.info


def flush(conn: Connection, *, commit: bool = False) -> None:
    """Send the queued writes (and the COMMIT) in one pipeline, one round trip; their errors
    are SQLAlchemy's (IntegrityError), as if SQLAlchemy had run them."""
    pending: list[Blind] | None = conn.info.get(_PENDING)
    if not pending and not commit:
        return
    items = list(pending or ())
    if pending:
        pending.clear()
    driver = conn.connection.driver_connection
    _translated(conn, items, lambda: await_only(_send_all(driver, items, commit)))


def cursor(conn: Connection) -> PipelinedCursor:
    """A DB-API-like cursor for ``raw`` on the event loop: each statement goes out together with
    the queued writes, and with the BEGIN when it opens the transaction: one round trip."""
    return PipelinedCursor(conn)


class PipelinedCursor:
    __slots__ = ("_conn", "_cur")

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._cur: Any = None

    def execute(self, sql: str, params: Any) -> None:
        self._cur = self._run(sql, params, many=False)

    def executemany(self, sql: str, rows: Any) -> None:
        self._cur = self._run(sql, rows, many=True)

    def _run(self, sql: str, params: Any, *, many: bool) -> Any:
        pending: list[Blind] = self._conn.info[_PENDING]
        items = [*pending, (sql, params, many)]
        pending.clear()
        driver = self._conn.connection.driver_connection
        return await_only(_statement(driver, items))

    @property
    def rowcount(self) -> int:
        return int(self._cur.rowcount)

    def fetchone(self) -> Any:
        return await_only(self._cur.fetchone())

    def fetchall(self) -> Any:
        return await_only(self._cur.fetchall())

    def close(self) -> None:
        """Nothing to release: the results were read in full at the sync."""


async def _statement(driver: Any, items: list[Blind]) -> Any:
    """Run ``items`` in order; returns the cursor of the last, its results read."""
    *blind, (sql, params, many) = items
    cur = driver.cursor()
    if not blind and driver.info.transaction_status != _IDLE:
        await (cur.executemany(sql, params) if many else cur.execute(sql, params))
        return cur
    async with driver.pipeline() as pipeline:
        await _send_blind(driver, blind)
        await (cur.executemany(sql, params) if many else cur.execute(sql, params))
        await pipeline.sync()
    return cur


async def _send_all(driver: Any, items: list[Blind], commit: bool) -> None:
    async with driver.pipeline():
        await _send_blind(driver, items)
        if commit:
            await driver.commit()


async def _send_blind(driver: Any, items: list[Blind]) -> None:
    if not items:
        return
    cur = driver.cursor()
    for sql, params, many in items:
        await (cur.executemany(sql, params) if many else cur.execute(sql, params))


def _translated(conn: Connection, items: list[Blind], call: Callable[[], None]) -> None:
    try:
        call()
    except Exception as exc:
        dbapi = conn.dialect.loaded_dbapi
        if isinstance(exc, dbapi.Error):
            sql, params, _ = items[0] if items else ("COMMIT", None, False)
            raise sa.exc.DBAPIError.instance(
                sql, params, exc, dbapi.Error, dialect=conn.dialect
            ) from exc
        raise


def flush_before_statement(conn: Connection, *_: Any) -> None:
    """``before_cursor_execute`` hook: a SQLAlchemy statement runs after the queued writes."""
    if conn.info.get(_PENDING):
        flush(conn)
