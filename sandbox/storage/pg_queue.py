"""PostgreSQL: a unit's blind writes sent together, as one prepared statement.

A payment ends with writes whose answer nobody reads: the day's total, the ledger legs, the
payee's queued credit, the transaction row, its event and delivery, the idempotency keys.
Sent one by one, each costs a round trip to the server and a wake-up of the event loop. On the
event-loop path (``PostgresDatabase.write``, the async psycopg driver) ``raw.send`` queues them
instead, and the queue goes to the server as one statement of data-modifying CTEs (``WITH q0 AS
(INSERT ...), q1 AS (INSERT ...) SELECT 1``; the same sequence of writes gives the same text,
so psycopg prepares it like any other) as soon as anything else needs the server: before the
next statement whose result is read (raw or SQLAlchemy), and before the COMMIT. Statements
still run in the order the unit issued them, inside its transaction.

The BEGIN and the COMMIT travel with statements too. The event loop's connections are in
autocommit at the driver (``isolation_level="AUTOCOMMIT"`` on the engine), so psycopg sends no
BEGIN of its own; a write unit sends ``BEGIN`` itself in one psycopg pipeline with its first
statement (and the queued writes before it), and ``COMMIT`` in one pipeline with its last
writes: one round trip each where psycopg's own BEGIN and ``commit()`` took one more (a
pipeline's BEGIN from psycopg waits for its answer before the next statement). The writes
stay one CTE statement inside it (one message to parse and plan, prepared, where a pipeline of
the same writes would be a statement each). The first error in a pipeline
skips the rest (the COMMIT with it) and is raised at its end; the transaction is then aborted
and the unit rolls it back, as after any failed statement.

What changes is *when* a blind write's error surfaces: at the flush, not at the ``send``. A
unit must therefore not catch a blind write's error and carry on; none does (``write_once``
catches ``IntegrityError`` around the whole unit, which is where a flush raises it). The
thread path (``write_sync``, SQLite) runs ``send`` at once, as ``raw.execute``.
"""

from __future__ import annotations

import contextlib
import functools
import re
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

_PENDING = "sandbox.pg.pending"
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open on the connection
_PARAM = re.compile(r"%\((\w+)\)s")

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
    """Send the queued writes in one statement (then the COMMIT); their errors
    are SQLAlchemy's (IntegrityError), as if SQLAlchemy had run them."""
    pending: list[Blind] | None = conn.info.get(_PENDING)
    if not pending and not commit:
        return
    items = list(pending or ())
    if pending:
        pending.clear()
    driver = conn.connection.driver_connection
    _translated(conn, items, lambda: await_only(_send_all(driver, items, commit)))


def cursor(conn: Connection) -> QueueCursor:
    """A DB-API-like cursor for ``raw`` on the event loop: each statement goes out after the
    queued writes, on psycopg's ``AsyncConnection`` directly (no thread, no adapter)."""
    return QueueCursor(conn)


class QueueCursor:
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


def _unbegun(driver: Any) -> bool:
    """The unit's transaction is not open yet: the loop's connections are in autocommit, and
    the unit sends its own BEGIN with its first statement (see ``_together``)."""
    return bool(driver.autocommit) and driver.pgconn.transaction_status == _IDLE


async def _statement(driver: Any, items: list[Blind]) -> Any:
    """Run ``items`` in order (the queued writes in one statement), after the BEGIN if the
    unit has not begun; returns the cursor of the last, its results read."""
    *blind, (sql, params, many) = items
    cur = psycopg.AsyncRawCursor(driver)
    if _unbegun(driver):
        async with _together(driver):  # BEGIN, the queued writes and this: one round trip
            await cur.execute(b"BEGIN")
            await _send_blind(driver, blind)
            await _execute(cur, sql, params, many)
        return cur
    if blind:
        await _send_all(driver, blind, commit=False)
    await _execute(cur, sql, params, many)
    return cur


async def _execute(cur: Any, sql: str, params: Any, many: bool) -> None:
    """One statement on a raw cursor: its text numbered once (``_positional``), its
    parameters passed in that order."""
    query, names = _positional(sql)
    if many:
        await cur.executemany(query, [[row[n] for n in names] for row in params])
    else:
        await cur.execute(query, [params[n] for n in names])


@functools.lru_cache(maxsize=512)
def _positional(sql: str, first: int = 0) -> tuple[bytes, tuple[str, ...]]:
    """``%(name)s`` parameters as PostgreSQL's own ``$1, $2...`` (one number per name), and the
    names in that order. A raw cursor sends the text as it is: psycopg neither parses it nor
    reorders a dict of parameters at each run (its parse cache skips statements of more than
    50 parameters, which ``_as_one``'s batches have: it was ~10% of a payment's worker CPU).
    ``first``: how many numbers the statements before this one in a batch took."""
    names: dict[str, int] = {}

    def number(match: re.Match[str]) -> str:
        return f"${first + names.setdefault(match.group(1), len(names) + 1)}"

    return _PARAM.sub(number, sql).encode(), tuple(names)


async def _send_all(driver: Any, items: list[Blind], commit: bool) -> None:
    """The writes as one statement (one prepared data-modifying CTE), with the BEGIN if the
    unit has not begun and the COMMIT if asked: one round trip."""
    unbegun = _unbegun(driver)
    if unbegun and not items:
        return  # nothing was sent, nothing to commit
    if not unbegun and not commit:
        await _send_blind(driver, items)
        return
    async with _together(driver):
        cur = psycopg.AsyncRawCursor(driver)
        if unbegun:
            await cur.execute(b"BEGIN")
        await _send_blind(driver, items)
        if commit:
            await cur.execute(b"COMMIT")


@contextlib.asynccontextmanager
async def _together(driver: Any) -> AsyncIterator[None]:
    """psycopg's pipeline mode: the statements go out together and their results come back
    at its end, one round trip. The first error skips the rest (the server's rule for a
    pipeline) and is raised here; the transaction is then aborted, as after any failed
    statement, and rolled back by the unit."""
    async with driver.pipeline():
        yield


async def _send_blind(driver: Any, items: Sequence[Blind]) -> None:
    rows: list[tuple[str, Mapping[str, Any]]] = []
    for sql, params, many in items:
        rows.extend((sql, row) for row in (params if many else (params,)))  # type: ignore[misc]
    if len(rows) == 1 or (rows and _upserts_one_row_twice(rows)):
        cur = psycopg.AsyncRawCursor(driver)
        for sql, row in rows:
            await _execute(cur, sql, row, many=False)
    elif rows:
        text, order = _as_one(tuple(sql for sql, _ in rows))
        params = [rows[i][1][name] for i, name in order]
        await psycopg.AsyncRawCursor(driver).execute(text, params)


@functools.lru_cache(maxsize=256)
def _as_one(statements: tuple[str, ...]) -> tuple[bytes, tuple[tuple[int, str], ...]]:
    """``WITH q0 AS (INSERT ...), q1 AS (...) SELECT 1`` with PostgreSQL's ``$n`` parameters
    numbered across the statements, and which statement's parameter each number is. The same
    sequence gives the same text, so psycopg prepares it."""
    parts = []
    order: list[tuple[int, str]] = []
    for i, sql in enumerate(statements):
        text, names = _positional(sql, len(order))
        order.extend((i, name) for name in names)
        parts.append(f"q{i} AS ({text.decode()})")
    return ("WITH " + ", ".join(parts) + " SELECT 1").encode(), tuple(order)


def _upserts_one_row_twice(rows: list[tuple[str, Any]]) -> bool:
    """Two upserts by one statement (a day's total raised, then given back): the CTEs of one
    statement must not change a row twice, so these go one by one."""
    upserts = [sql for sql, _ in rows if "ON CONFLICT" in sql]
    return len(upserts) != len(set(upserts))


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
    """``before_cursor_execute`` hook: a SQLAlchemy statement runs after the queued writes,
    and inside the unit's transaction (its BEGIN sent first, with those writes)."""
    pending: list[Blind] | None = conn.info.get(_PENDING)
    if pending is None:
        return
    driver = conn.connection.driver_connection
    if pending or _unbegun(driver):
        items = list(pending)
        pending.clear()
        _translated(conn, items, lambda: await_only(_begun(driver, items)))


async def _begun(driver: Any, items: list[Blind]) -> None:
    """The BEGIN if the unit has not begun, with the queued writes: one round trip."""
    if not _unbegun(driver):
        await _send_blind(driver, items)
        return
    async with _together(driver):
        await psycopg.AsyncRawCursor(driver).execute(b"BEGIN")
        await _send_blind(driver, items)
