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
BEGIN of its own; a write unit sends ``BEGIN`` itself in one round trip with its first
statement (and the queued writes before it), and ``COMMIT`` in one round trip with its last
writes: one round trip each where psycopg's own BEGIN and ``commit()`` took one more. Every
statement of the loop's units goes out through ``pg_wire`` (libpq's pipeline mode driven by
hand, one wait per round trip, a ``Transformer`` kept per connection), not through psycopg's
cursors and pipelines, which cost more in Python than the work they wrap. The writes stay one
CTE statement (one message to parse and plan, prepared, where a pipeline of the same writes
would be a statement each). The first error in a round trip skips the rest (the COMMIT with
it) and is raised at its end; the transaction is then aborted and the unit rolls it back, as
after any failed statement.

What changes is *when* a blind write's error surfaces: at the flush, not at the ``send``. A
unit must therefore not catch a blind write's error and carry on; none does (``write_once``
catches ``IntegrityError`` around the whole unit, which is where a flush raises it). The
thread path (``write_sync``, SQLite) runs ``send`` at once, as ``raw.execute``.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Callable, Mapping, Sequence
from typing import Any

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.util import await_only

from sandbox.storage.pg_wire import Command, Reply, Wire

_PENDING = "sandbox.pg.pending"
_SPECULATE = "sandbox.pg.speculate"  # the unit may queue guarded statements (``guard``)
_WIRE = "sandbox.pg.wire"  # the driver connection's Wire, in its pool record's info
_AHEAD = "sandbox.pg.ahead"  # reads to send with the unit's next round trip
_BEGIN = b"BEGIN"
_COMMIT = b"COMMIT"
_IDLE = 0  # psycopg.pq.TransactionStatus.IDLE: no transaction open on the connection
_INERROR = 3  # psycopg.pq.TransactionStatus.INERROR: the transaction is aborted
_PARAM = re.compile(r"%\((\w+)\)s")

# sql, params, many, guard (a guarded statement: ``guard``)
Blind = tuple[str, Mapping[str, Any] | Sequence[Mapping[str, Any]], bool, bool]
_GUARDS: set[bytes] = set()  # the ``$n`` texts of the guarded statements queued so far


class NotTaken(Exception):
    """A guarded statement (``guard``) found its condition false: it raised in the server,
    which skipped the rest of its round trip (the COMMIT with it); the unit's transaction is
    aborted, rolled back (``rollback``) and the unit run again without guards
    (``PostgresDatabase``'s write units)."""


def open_queue(conn: Connection, *, speculate: bool = False) -> None:
    """The unit on ``conn`` may queue blind writes from now on (``PostgresDatabase`` only), and
    with ``speculate`` guarded statements too."""
    conn.info[_PENDING] = []
    if speculate:
        conn.info[_SPECULATE] = True


def close_queue(conn: Connection) -> None:
    """Forget the queue (the unit ended: flushed before its COMMIT, or rolled back)."""
    conn.info.pop(_PENDING, None)
    conn.info.pop(_AHEAD, None)
    conn.info.pop(_SPECULATE, None)


def rollback(conn: Connection) -> None:
    """Roll the unit's transaction back at the libpq level (after ``NotTaken``): one round
    trip, the connection's prepared statements kept (psycopg's ``rollback()`` would
    deallocate them all)."""
    close_queue(conn)
    wire = _wire(conn)
    _translated(conn, [], lambda: await_only(wire.send([b"ROLLBACK"])))


def speculating(conn: Connection) -> bool:
    """Whether the unit on ``conn`` may queue a guarded statement (``guard``)."""
    return _SPECULATE in conn.info


def guard(conn: Connection, sql: str, params: Mapping[str, Any]) -> bool:
    """Queue a statement whose outcome the unit takes for granted: it changes what it changes
    and divides by zero in the server when its condition does not hold (``division_by_zero``,
    which nothing else the queue sends can raise). It goes out with the unit's next round trip
    like a blind write, but as a statement of its own, before the writes queued after it, which
    the unit wrote as if it had succeeded: if it fails, the server skips them and the COMMIT,
    and ``NotTaken`` is raised. False: the unit may not speculate; run the statement now."""
    pending: list[Blind] | None = conn.info.get(_PENDING)
    if pending is None or _SPECULATE not in conn.info:
        return False
    _GUARDS.add(_positional(sql)[0])
    pending.append((sql, params, False, True))
    return True


class Ahead:
    """A read sent ahead (``read_ahead``): ``rows`` is what it returned, None until its round
    trip has come back (or if that round trip failed)."""

    __slots__ = ("command", "rows")

    def __init__(self, command: Command) -> None:
        self.command = command
        self.rows: list[tuple[Any, ...]] | None = None


def read_ahead(conn: Connection, sql: str, params: Mapping[str, Any]) -> Ahead | None:
    """Queue a read to go out with the unit's next round trip, first after its BEGIN, so it
    costs no round trip of its own (``sandbox.storage.idempotency``: the keys, read with the
    effect's first statement). ``arrived`` gives its rows. None: not the event loop's unit, or
    blind writes are queued already (the read would overtake them): run it now instead."""
    pending: list[Blind] | None = conn.info.get(_PENDING)
    if pending is None or pending:
        return None
    query, names = _positional(sql)
    ahead = Ahead((query, [params[n] for n in names]))
    conn.info.setdefault(_AHEAD, []).append(ahead)
    return ahead


def aborted(conn: Connection) -> bool:
    """Whether a failed statement aborted the unit's transaction (nothing more can run)."""
    return bool(_wire(conn).driver.pgconn.transaction_status == _INERROR)


def arrived(conn: Connection, ahead: Ahead) -> list[tuple[Any, ...]]:
    """The rows of a read sent ahead; sent now (with what is queued) if it has not gone yet."""
    if ahead.rows is None:
        flush(conn)
    assert ahead.rows is not None  # flush sent it, or raised
    return ahead.rows


def queue(conn: Connection, sql: str, params: Any, *, many: bool = False) -> bool:
    """Queue a blind write if the unit has a queue; False: run it now instead."""
    pending: list[Blind] | None = conn.info.get(_PENDING)
    if pending is None:
        return False
    pending.append((sql, params, many, False))
    return True


def active(conn: Connection) -> bool:
    """Whether the unit on ``conn`` runs on the event loop with a queue (raw then uses
    ``cursor``)."""
    return _PENDING in conn.info


def flush(conn: Connection, *, commit: bool = False) -> None:
    """Send the queued writes in one statement (then the COMMIT); their errors
    are SQLAlchemy's (IntegrityError), as if SQLAlchemy had run them."""
    pending: list[Blind] | None = conn.info.get(_PENDING)
    if not pending and not commit and not conn.info.get(_AHEAD):
        return
    items = list(pending or ())
    if pending:
        pending.clear()
    wire = _wire(conn)
    aheads = _aheads(conn)
    _translated(conn, items, lambda: await_only(_send_all(wire, aheads, items, commit)))


def cursor(conn: Connection) -> QueueCursor:
    """A DB-API-like cursor for ``raw`` on the event loop: each statement goes out after the
    queued writes, at the libpq level (``pg_wire``; no thread, no adapter)."""
    return QueueCursor(conn)


class QueueCursor:
    __slots__ = ("_conn", "_reply")

    def __init__(self, conn: Connection) -> None:
        self._conn = conn
        self._reply: Reply | None = None

    def execute(self, sql: str, params: Any) -> None:
        self._reply = self._run(sql, params, many=False)

    def executemany(self, sql: str, rows: Any) -> None:
        self._reply = self._run(sql, rows, many=True)

    def _run(self, sql: str, params: Any, *, many: bool) -> Reply:
        pending: list[Blind] = self._conn.info[_PENDING]
        blind = list(pending)
        pending.clear()
        wire = _wire(self._conn)
        return await_only(_statement(wire, _aheads(self._conn), blind, sql, params, many))

    @property
    def rowcount(self) -> int:
        assert self._reply is not None
        return self._reply.rowcount

    def fetchone(self) -> Any:
        assert self._reply is not None
        rows = self._reply.rows()
        return rows[0] if rows else None

    def fetchall(self) -> Any:
        assert self._reply is not None
        return self._reply.rows()

    def close(self) -> None:
        """Nothing to release: the results were read in full at the sync."""


def _wire(conn: Connection) -> Wire:
    """The ``Wire`` of the unit's driver connection, kept with it in the pool (its
    ``Transformer`` with it: the dumpers and loaders it found stay found)."""
    fairy = conn.connection
    driver = fairy.driver_connection
    wire: Wire | None = fairy.info.get(_WIRE)
    assert driver is not None  # a checked-out connection has one
    if wire is None or wire.driver is not driver:
        wire = fairy.info[_WIRE] = Wire(driver)
    return wire


def _unbegun(driver: Any) -> bool:
    """The unit's transaction is not open yet: the loop's connections are in autocommit, and
    the unit sends its own BEGIN with its first statement (see ``pg_wire``)."""
    return bool(driver.autocommit) and driver.pgconn.transaction_status == _IDLE


async def _statement(
    wire: Wire, aheads: list[Ahead], blind: list[Blind], sql: str, params: Any, many: bool
) -> Reply:
    """The BEGIN if the unit has not begun, the reads sent ahead, the queued writes (one
    statement) and this statement, in one round trip; returns what this statement returned."""
    commands = _opening(wire, aheads) + _blind_commands(blind)
    query, names = _positional(sql)
    if not many:
        commands.append((query, [params[n] for n in names]))
        return await _send(wire, commands, aheads)
    rows = [[row[n] for n in names] for row in params]
    if not rows:  # nothing to run; what was queued before it still goes now
        if commands:
            await _send(wire, commands, aheads)
        return Reply.empty()
    commands.append((query, rows[0]))
    return await _send(wire, commands, aheads, many=rows[1:])


def _opening(wire: Wire, aheads: list[Ahead]) -> list[Command]:
    """The round trip's first commands: the BEGIN if the unit has not begun, and the reads
    sent ahead (whose results ``_send`` hands back)."""
    begin: list[Command] = [_BEGIN] if _unbegun(wire.driver) else []
    return begin + [ahead.command for ahead in aheads]


def _aheads(conn: Connection) -> list[Ahead]:
    """The reads sent ahead that go with this round trip (taken off the unit's queue)."""
    aheads: list[Ahead] | None = conn.info.pop(_AHEAD, None)
    return aheads or []


async def _send(
    wire: Wire, commands: list[Command], aheads: list[Ahead], *, many: Sequence[Any] = ()
) -> Reply:
    """One round trip; the reads sent ahead get their rows (loaded at once: the rows of every
    reply are loaded by the one ``Transformer`` of the connection)."""
    try:
        reply = await wire.send(commands, many=many, leading=len(aheads))
    except psycopg.errors.DivisionByZero as exc:
        if any(not isinstance(c, bytes) and c[0] in _GUARDS for c in commands):
            raise NotTaken from exc
        raise
    for ahead, got in zip(aheads, reply.leading, strict=True):
        ahead.rows = got.rows()
    return reply


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


async def _send_all(wire: Wire, aheads: list[Ahead], items: list[Blind], commit: bool) -> None:
    """The writes as one statement (one prepared data-modifying CTE), with the BEGIN if the
    unit has not begun, the reads sent ahead, and the COMMIT if asked: one round trip."""
    unbegun = _unbegun(wire.driver)
    if unbegun and not items and not aheads:
        return  # nothing was sent, nothing to commit
    commands = _opening(wire, aheads) + _blind_commands(items)
    if commit:
        commands.append(_COMMIT)
    if commands:
        await _send(wire, commands, aheads)


def _blind_commands(items: Sequence[Blind]) -> list[Command]:
    """The queued statements in order: each guarded one alone, the writes between them as one
    data-modifying CTE each (``_writes``)."""
    commands: list[Command] = []
    run: list[Blind] = []
    for item in items:
        if not item[3]:
            run.append(item)
            continue
        commands.extend(_writes(run))
        run = []
        query, names = _positional(item[0])
        params: Mapping[str, Any] = item[1]  # type: ignore[assignment]
        commands.append((query, [params[n] for n in names]))
    commands.extend(_writes(run))
    return commands


def _writes(items: Sequence[Blind]) -> list[Command]:
    """Queued writes as statements: one data-modifying CTE, or one by one (a single row, or
    the same upsert twice)."""
    rows: list[tuple[str, Mapping[str, Any]]] = []
    for sql, params, many, _ in items:
        rows.extend((sql, row) for row in (params if many else (params,)))  # type: ignore[misc]
    if len(rows) == 1 or (rows and _upserts_one_row_twice(rows)):
        commands: list[Command] = []
        for sql, row in rows:
            query, names = _positional(sql)
            commands.append((query, [row[n] for n in names]))
        return commands
    if not rows:
        return []
    text, order = _as_one(tuple(sql for sql, _ in rows))
    return [(text, [rows[i][1][name] for i, name in order])]


@functools.lru_cache(maxsize=256)
def _as_one(statements: tuple[str, ...]) -> tuple[bytes, tuple[tuple[int, str], ...]]:
    """``WITH q1 AS (...), q0 AS (INSERT ...) SELECT 1`` with PostgreSQL's ``$n`` parameters
    numbered across the statements, and which statement's parameter each number is. The same
    sequence gives the same text, so psycopg prepares it.

    The CTEs are listed last-queued first: PostgreSQL runs a statement's data-modifying CTEs
    that the query does not read in the reverse of their listing (its executor keeps them in
    a list it prepends to; the manual calls the order unpredictable), so listed so they run in
    the order the unit queued them, and rows get their serial ids in that order (a payment's
    DEBIT legs before its CREDIT or REVERSAL legs). ``test_pg_queue`` pins this."""
    parts = []
    order: list[tuple[int, str]] = []
    for i, sql in enumerate(statements):
        text, names = _positional(sql, len(order))
        order.extend((i, name) for name in names)
        parts.append(f"q{i} AS ({text.decode()})")
    return ("WITH " + ", ".join(reversed(parts)) + " SELECT 1").encode(), tuple(order)


def _upserts_one_row_twice(rows: list[tuple[str, Any]]) -> bool:
    """Two upserts by one statement (a day's total raised, then given back): the CTEs of one
    statement must not change a row twice, so these go one by one."""
    upserts = [sql for sql, _ in rows if "ON CONFLICT" in sql]
    return len(upserts) != len(set(upserts))


def _translated(conn: Connection, items: list[Blind], call: Callable[[], object]) -> None:
    try:
        call()
    except Exception as exc:
        dbapi = conn.dialect.loaded_dbapi
        if isinstance(exc, dbapi.Error):
            sql, params = (items[0][0], items[0][1]) if items else ("COMMIT or ROLLBACK", None)
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
    wire = _wire(conn)
    if pending or _unbegun(wire.driver) or conn.info.get(_AHEAD):
        items = list(pending)
        pending.clear()
        aheads = _aheads(conn)
        commands = _opening(wire, aheads) + _blind_commands(items)
        _translated(conn, items, lambda: await_only(_send(wire, commands, aheads)))
