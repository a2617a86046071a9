"""Hot-path statements run on the DBAPI cursor, skipping SQLAlchemy's statement building.

Profiling the payment path showed SQLAlchemy Core spending ~150 us per statement building
expressions and cache keys, against ~15 us of work in SQLite itself. The few statements on the
payment path are therefore written once as SQL text (``:name`` parameters) and executed on the
connection's own DBAPI cursor, inside the unit of work's transaction and SAVEPOINT like any
other statement. Everything else keeps SQLAlchemy Core.

Tenant rule: every ``Raw`` statement over a world-owned table names ``world_id = :world_id``,
and the stores that run them (``PaymentsStore``, ``WebhookStore``) pass their own world id in
every call, so a service cannot leave it out. ``tests/storage/test_raw_world_id.py`` checks
every module-level ``Raw`` for it (statements that must cross worlds are listed there with their
reason); the isolation suite checks the routes.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sandbox.storage import pg_queue

_NAMED = re.compile(r"(?<![:\w]):(\w+)")


class Raw:
    """One SQL statement with ``:name`` parameters, for SQLite and PostgreSQL alike."""

    __slots__ = ("pg", "sqlite")

    def __init__(self, sql: str) -> None:
        self.sqlite = " ".join(sql.split())
        self.pg = _NAMED.sub(r"%(\1)s", self.sqlite)

    def text(self, conn: Connection) -> str:
        return self.sqlite if conn.dialect.name == "sqlite" else self.pg


def _cursor(conn: Connection) -> tuple[Any, bool]:
    """A cursor of the connection's driver connection, and whether it is SQLite's.

    SQLite's cursor is made once per driver connection and kept in the pool record's ``info``
    (a statement's results are read before the next one runs; one thread uses a connection at
    a time): making and closing one per statement cost more than the UPDATE it ran.
    """
    fairy = conn.connection
    info = fairy.info
    cur = info.get(_CURSOR)
    if cur is not None:
        return cur, True
    if conn.dialect.name != "sqlite":
        if pg_queue.active(conn):  # the event loop's unit: with its queued writes
            return pg_queue.cursor(conn), False
        dbapi_conn = fairy.dbapi_connection
        assert dbapi_conn is not None
        return dbapi_conn.cursor(), False
    dbapi_conn = fairy.dbapi_connection
    assert dbapi_conn is not None
    cur = info[_CURSOR] = dbapi_conn.cursor()
    return cur, True


_CURSOR = "sandbox.raw.cursor"


def _run(conn: Connection, stmt: Raw, params: Any, call: Callable[[Any, str], Any]) -> Any:
    """Run ``call(cursor, sql)``; driver errors become SQLAlchemy's (IntegrityError, ...) as
    if SQLAlchemy had run the statement, so callers handle one family of errors."""
    cur, sqlite = _cursor(conn)
    sql = stmt.sqlite if sqlite else stmt.pg
    try:
        return call(cur, sql)
    except Exception as exc:
        dbapi = conn.dialect.loaded_dbapi
        if isinstance(exc, dbapi.Error):
            raise sa.exc.DBAPIError.instance(
                sql, params, exc, dbapi.Error, dialect=conn.dialect
            ) from exc
        raise
    finally:
        if not sqlite:
            cur.close()


def execute(conn: Connection, stmt: Raw, params: Mapping[str, Any]) -> int:
    """Run a write; returns the affected row count."""

    def call(cur: Any, sql: str) -> int:
        cur.execute(sql, params)
        return int(cur.rowcount)

    result: int = _run(conn, stmt, params, call)
    return result


def executemany(conn: Connection, stmt: Raw, rows: Sequence[Mapping[str, Any]]) -> None:
    _run(conn, stmt, rows, lambda cur, sql: cur.executemany(sql, rows))


def send(conn: Connection, stmt: Raw, params: Mapping[str, Any]) -> None:
    """A blind write (its row count unread): on PostgreSQL's event-loop path queued and sent
    with the unit's next round trip (``pg_queue``), elsewhere run at once."""
    if conn.dialect.name == "sqlite" or not pg_queue.queue(conn, stmt.pg, params):
        execute(conn, stmt, params)


def send_many(conn: Connection, stmt: Raw, rows: Sequence[Mapping[str, Any]]) -> None:
    """``send`` for several rows of one statement."""
    if conn.dialect.name == "sqlite" or not pg_queue.queue(conn, stmt.pg, rows, many=True):
        executemany(conn, stmt, rows)


def guard(conn: Connection, stmt: Raw, params: Mapping[str, Any]) -> bool:
    """Queue a guarded statement (``pg_queue.guard``: on PostgreSQL's event loop, in a unit
    that may speculate); False: not queued, run it the usual way."""
    return conn.dialect.name != "sqlite" and pg_queue.guard(conn, stmt.pg, params)


def fetchone(conn: Connection, stmt: Raw, params: Mapping[str, Any]) -> tuple[Any, ...] | None:
    def call(cur: Any, sql: str) -> tuple[Any, ...] | None:
        cur.execute(sql, params)
        row: tuple[Any, ...] | None = cur.fetchone()
        return row

    result: tuple[Any, ...] | None = _run(conn, stmt, params, call)
    return result


def fetchall(conn: Connection, stmt: Raw, params: Mapping[str, Any]) -> list[tuple[Any, ...]]:
    def call(cur: Any, sql: str) -> list[tuple[Any, ...]]:
        cur.execute(sql, params)
        return list(cur.fetchall())

    result: list[tuple[Any, ...]] = _run(conn, stmt, params, call)
    return result
