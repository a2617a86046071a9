"""PostgreSQL: a transaction per unit, on the event loop (async psycopg), or on a thread.

Concurrent sessions already share WAL flushes, so there is no group commit to build; units use
conditional updates instead of locks, and a unit that loses a serialization race or a deadlock
(40001, 40P01) is run again from the start. Reads run at REPEATABLE READ, one snapshot each.

``write`` and ``read`` (every request) run the unit on the event loop: SQLAlchemy's asyncio
engine over psycopg's ``AsyncConnection``, the unit's sync code in one greenlet, each statement
an ``await`` on the loop: no thread hop, no GIL hand-off. A write unit runs on a connection held
checked out between units (``_Held``): no pool checkout and checkin, no ``Connection`` made and
closed per unit; a read checks one out of the pool and back in (``_in_greenlet``). No ping per
checkout (``pool_pre_ping`` off): a connection found dead is invalidated, and a unit that failed
on it before its COMMIT is run once more on a fresh one. psycopg prepares a statement on its
second run on a connection (``prepare_threshold``), and a unit's blind writes go as one
statement, its BEGIN with its first statement and its COMMIT with its last writes (``pg_queue``,
sent at the libpq level by ``pg_wire``; the loop's connections are in autocommit at the driver,
so the unit sends its own BEGIN).
``write_sync`` and ``read_sync`` (CLI, tools, code on other threads) keep a small sync engine.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import weakref
from collections.abc import Callable, Coroutine, Iterator
from typing import Any, TypeVar

import psycopg
import sqlalchemy as sa
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.util import greenlet_spawn

from sandbox.settings import Settings
from sandbox.storage import pg_queue

T = TypeVar("T")

_RETRYABLE = ("40001", "40P01")  # serialization_failure, deadlock_detected
_ATTEMPTS = 5
_IDLE = psycopg.pq.TransactionStatus.IDLE
PREPARE_THRESHOLD = 2  # psycopg prepares a statement on its 2nd run on a connection


class PostgresDatabase:
    """Runs units of work on PostgreSQL; ``start()`` before use, ``close()`` at shutdown."""

    is_sqlite = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        # For write_sync/read_sync: the CLI, tools and code on other threads.
        self.engine = sa.create_engine(
            settings.sqlalchemy_url,
            pool_size=settings.pg_sync_pool_size,
            max_overflow=settings.pg_sync_max_overflow,
            pool_pre_ping=True,
        )
        # For write/read on the event loop; by default 20 kept per worker, 20 more at a peak
        # (SANDBOX_PG_POOL_SIZE, SANDBOX_PG_MAX_OVERFLOW).
        self.async_engine = create_async_engine(
            settings.sqlalchemy_url,
            pool_size=settings.pg_pool_size,
            max_overflow=settings.pg_max_overflow,
            pool_pre_ping=False,
            # the write units send their own BEGIN with their first statement, and their COMMIT
            # with their last writes (pg_queue): one round trip each less; reads switch to
            # REPEATABLE READ, whose BEGIN psycopg sends
            isolation_level="AUTOCOMMIT",
            connect_args={"prepare_threshold": PREPARE_THRESHOLD},
        )
        loop_engine = self._loop_engine = self.async_engine.sync_engine
        sa.event.listen(loop_engine, "before_cursor_execute", pg_queue.flush_before_statement)
        _skip_when_idle(loop_engine.dialect)
        self._drivers: weakref.WeakSet[Any] = weakref.WeakSet()
        # never the whole pool: a read checks out beside the held ones (with no overflow, a
        # pool all held would make every read wait out pool_timeout)
        keep = min(settings.pg_pool_size, settings.pg_pool_size + settings.pg_max_overflow - 1)
        self._held = _Held(loop_engine, keep)
        sa.event.listen(loop_engine, "connect", self._opened)
        # Units running on worker threads; ``close`` waits for them (see there).
        self._in_flight = 0
        self._idle = threading.Condition()

    def _opened(self, dbapi_conn: Any, _record: Any) -> None:
        self._drivers.add(dbapi_conn.driver_connection)

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        """Nothing to start: the pools connect on demand."""

    def close(self) -> None:
        # A caller cancelled while its unit runs on a worker thread (a periodic job stopped at
        # shutdown) leaves the unit running; disposing under it would strand its connection
        # outside the pool, open until garbage collection.
        with self._idle:
            self._idle.wait_for(lambda: self._in_flight == 0, timeout=30)
        self.engine.dispose()
        # The event loop's connections are closed at the libpq level, which needs no loop:
        # ``close()`` is sync, and the loop that opened them may be gone (the CLI's anyio.run).
        for driver in list(self._drivers):
            if not driver.closed:
                driver.pgconn.finish()
        self._held.forget()
        self.async_engine.sync_engine.dispose(close=False)

    # -- units on the event loop -----------------------------------------------------------
    async def write(self, fn: Callable[[Connection], T]) -> T:
        for attempt in range(_ATTEMPTS):
            unit = _Unit(fn)
            try:
                return await self._held.run(unit.write)
            except sa.exc.DBAPIError as exc:
                if attempt == _ATTEMPTS - 1 or not unit.may_retry(exc):
                    raise
        raise AssertionError("unreachable")

    async def read(self, fn: Callable[[Connection], T]) -> T:
        """One snapshot for the whole read (REPEATABLE READ), as SQLite's WAL reader has: a
        read of several statements (the ledger check) never sees half a payment."""
        for attempt in range(_ATTEMPTS):
            unit = _Unit(fn)
            try:
                return await self._in_greenlet(unit.read)
            except sa.exc.DBAPIError as exc:
                if attempt == _ATTEMPTS - 1 or not unit.may_retry(exc):
                    raise
        raise AssertionError("unreachable")

    async def _in_greenlet(self, body: Callable[[Connection], T]) -> T:
        """Check out a connection, run ``body`` on it and check it in, all in one greenlet.

        ``AsyncConnection`` spends three greenlets on that (``connect``, ``run_sync``,
        ``close``) and a task for the close; the work is the same sync SQLAlchemy calls. After
        an error, or a cancellation, the connection is closed as ``AsyncConnection.__aexit__``
        closes it: in a task of its own that a cancellation cannot abandon halfway (the unit's
        transaction was already rolled back by ``Connection.begin``'s context)."""
        held = _Checkout()
        return await _closing_on_error(held, _unit_body, self._loop_engine, body, held)

    # -- units on the caller's thread ------------------------------------------------------
    def write_sync(self, fn: Callable[[Connection], T]) -> T:
        with self._unit_in_flight():
            for attempt in range(_ATTEMPTS):
                try:
                    with self.engine.begin() as conn:
                        return fn(conn)
                except sa.exc.OperationalError as exc:
                    code = getattr(exc.orig, "sqlstate", None)
                    if code not in _RETRYABLE or attempt == _ATTEMPTS - 1:
                        raise
        raise AssertionError("unreachable")

    def read_sync(self, fn: Callable[[Connection], T]) -> T:
        """One snapshot for the whole read (REPEATABLE READ), as SQLite's WAL reader has: a
        read of several statements (the ledger check) never sees half a payment."""
        with self._unit_in_flight(), self.engine.connect() as conn:
            conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
            with conn.begin():
                return fn(conn)

    @contextlib.contextmanager
    def _unit_in_flight(self) -> Iterator[None]:
        with self._idle:
            self._in_flight += 1
        try:
            yield
        finally:
            with self._idle:
                self._in_flight -= 1
                self._idle.notify_all()


def _skip_when_idle(dialect: sa.Dialect) -> None:
    """The loop engine's COMMIT and ROLLBACK are not sent to the driver when its connection has
    no transaction open: a write unit's COMMIT already went with its last writes (``pg_queue``),
    so SQLAlchemy's commit that follows, and the pool's rollback-on-return after it, would each
    reach psycopg only for it to find the connection idle and send nothing (its
    ``_commit_gen``/``_rollback_gen``), at the cost of a greenlet switch, a coroutine, a lock
    and a wait each. A transaction still open (a failed unit, a read) is committed or rolled
    back as before; a broken connection's status is not idle either, so its error is raised as
    before. Only the loop engine: it never uses psycopg's pipelines or two-phase commits, the
    two cases where psycopg would act on an idle connection."""
    commit, rollback = dialect.do_commit, dialect.do_rollback

    def idle(dbapi_conn: Any) -> bool:
        driver = getattr(dbapi_conn, "driver_connection", None)
        return driver is not None and driver.pgconn.transaction_status == _IDLE

    def do_commit(dbapi_conn: Any) -> None:
        if not idle(dbapi_conn):
            commit(dbapi_conn)

    def do_rollback(dbapi_conn: Any) -> None:
        if not idle(dbapi_conn):
            rollback(dbapi_conn)

    # this engine's own dialect instance (create_async_engine makes one per engine)
    setattr(dialect, "do_commit", do_commit)  # noqa: B010
    setattr(dialect, "do_rollback", do_rollback)  # noqa: B010


class _Held:
    """The write units' connections, held checked out of the loop engine's pool between units.

    A unit takes one (the last one put back, else a new checkout) and puts it back once
    committed: SQLAlchemy's checkout and checkin (``Engine.connect``, the pool's fairy, its
    reset, ``Connection.close``) cost a unit of one statement ~130 k of its ~700 k
    instructions. The pool still bounds them: a held connection counts as checked out, so a
    worker never opens more than ``SANDBOX_PG_POOL_SIZE`` + ``SANDBOX_PG_MAX_OVERFLOW``. At
    most ``SANDBOX_PG_POOL_SIZE`` are held, and one less than the pool's whole bound (a
    read's connection comes from the pool beside them); past a peak the others go back to the
    pool, which keeps up to as many idle (for reads, and for writes when none is held) and
    closes the rest.
    Only a connection whose unit committed is put back (idle, autocommit, its queue gone); a
    unit that fails or is cancelled closes its connection into the pool as before (the pool's
    reset rolls it back, or a dead one is replaced). A dead connection means the server may
    have dropped them all (a restart): every held one is closed and replaced at its next use,
    as SQLAlchemy invalidates its whole pool on a disconnect."""

    __slots__ = ("_conns", "_engine", "_keep")

    def __init__(self, engine: sa.Engine, keep: int) -> None:
        self._engine = engine
        self._keep = keep
        self._conns: list[Connection] = []

    def __len__(self) -> int:
        return len(self._conns)

    async def run(self, body: Callable[[Connection], T]) -> T:
        taken = _Checkout()
        try:
            return await _closing_on_error(taken, self._in_greenlet, body, taken)
        except sa.exc.DBAPIError as exc:
            if _lost_connection(exc):
                await _to_completion(greenlet_spawn(self._drop))
            raise

    def _in_greenlet(self, body: Callable[[Connection], T], taken: _Checkout) -> T:
        conns = self._conns
        conn = taken.conn = conns.pop() if conns else self._engine.connect()
        result = body(conn)
        taken.conn = None
        if len(conns) < self._keep:
            conns.append(conn)
        else:  # past a peak: to the pool, which keeps it or closes it as an overflow one
            conn.close()
        return result

    def _drop(self) -> None:
        """Close every held connection (a lost one was found); the pool reconnects them."""
        conns, self._conns = self._conns, []
        for conn in conns:
            conn.invalidate()
            conn.close()

    def forget(self) -> None:
        """At shutdown, once their drivers are closed at the libpq level: let go of the held
        connections without a checkin (it would need the event loop)."""
        conns, self._conns = self._conns, []
        for conn in conns:
            conn.detach()


class _Checkout:
    """The connection a unit's greenlet checked out, for the cleanup after a failure."""

    __slots__ = ("conn",)

    def __init__(self) -> None:
        self.conn: Connection | None = None


async def _closing_on_error(taken: _Checkout, fn: Callable[..., T], *args: Any) -> T:
    """Run ``fn(*args)`` in a greenlet; after an error or a cancellation, close the connection
    it took (``taken``) in a task of its own that a cancellation cannot abandon halfway."""
    try:
        return await greenlet_spawn(fn, *args)
    except BaseException:
        conn = taken.conn
        if conn is not None and not conn.closed:
            await _to_completion(greenlet_spawn(conn.close))
        raise


def _unit_body(engine: sa.Engine, body: Callable[[Connection], T], held: _Checkout) -> T:
    """In the unit's greenlet: check out, run the unit, check in. On an error the connection
    is left to ``_in_greenlet``'s cleanup, which closes it even if the caller is cancelled."""
    conn = held.conn = engine.connect()
    result = body(conn)
    held.conn = None
    conn.close()  # after a COMMIT: the pool's reset finds the connection idle, no round trip
    return result


async def _to_completion(coro: Coroutine[Any, Any, None]) -> None:
    """Run ``coro`` in a task of its own and wait for it to complete even if the caller is
    cancelled meanwhile; a cancellation received meanwhile is raised once it has completed
    (as SQLAlchemy's ``AsyncConnection.__aexit__`` closes its connection)."""
    task = asyncio.ensure_future(coro)
    cancelled: asyncio.CancelledError | None = None
    while True:
        try:
            await asyncio.shield(task)
        except asyncio.CancelledError as exc:
            if task.done():
                raise
            cancelled = exc
        else:
            break
    if cancelled is not None:
        raise cancelled


class _Unit:
    """One run of a unit on the event loop (inside ``AsyncConnection.run_sync``'s greenlet)."""

    __slots__ = ("committing", "fn")

    def __init__(self, fn: Callable[[Connection], Any]) -> None:
        self.fn = fn
        self.committing = False

    def write(self, conn: Connection) -> Any:
        try:
            return self._write(conn)
        except pg_queue.NotTaken:
            # a guarded statement found its guess wrong (a debit not taken): the server
            # skipped the rest of that round trip, the COMMIT with it; run again unguarded
            self.committing = False
            return self._write(conn, aborted=True)

    def _write(self, conn: Connection, *, aborted: bool = False) -> Any:
        try:
            if aborted:  # rolled back first, on this connection (SQLAlchemy's transaction
                # too, if a Core statement began one: the driver is idle then, nothing sent)
                began = conn.get_transaction()
                pg_queue.rollback(conn)
                if began is not None:
                    began.rollback()
            pg_queue.open_queue(conn, speculate=not aborted)  # the run again guesses nothing
            # no ``conn.begin()`` (~40 k instructions a unit): the unit's BEGIN goes with its
            # first statement (pg_queue); SQLAlchemy begins a transaction of its own only at a
            # Core statement, committed below (the driver is idle by then: nothing is sent)
            result = self.fn(conn)
            self.committing = True
            pg_queue.flush(conn, commit=True)  # the blind writes, then the COMMIT
            if conn.in_transaction():
                conn.commit()
            return result
        except pg_queue.NotTaken:
            raise  # rolled back by ``write``, which runs the unit again
        except BaseException as exc:
            began = conn.get_transaction()
            if began is not None:  # rolled back, as ``Connection.begin()``'s context would
                began.rollback()
            lost = isinstance(exc, sa.exc.DBAPIError) and _lost_connection(exc)
            if lost and not conn.invalidated:
                conn.invalidate(exc)  # never back into the pool
            raise
        finally:
            pg_queue.close_queue(conn)

    def read(self, conn: Connection) -> Any:
        conn.execution_options(isolation_level="REPEATABLE READ", postgresql_readonly=True)
        try:
            with conn.begin():
                return self.fn(conn)
        except sa.exc.DBAPIError as exc:
            if _lost_connection(exc) and not conn.invalidated:
                conn.invalidate(exc)
            raise

    def may_retry(self, exc: sa.exc.DBAPIError) -> bool:
        """A lost serialization race or deadlock, or a connection found dead before the
        COMMIT was sent (its transaction is gone with it): run the unit again. A connection
        lost during the COMMIT is not retried: the COMMIT may have happened."""
        if getattr(exc.orig, "sqlstate", None) in _RETRYABLE:
            return True
        return _lost_connection(exc) and not self.committing


def _lost_connection(exc: sa.exc.DBAPIError) -> bool:
    """The server or the network dropped the connection (no ping per checkout finds it
    first): SQLAlchemy saw it, or the driver says so (class 08, or an admin shutdown)."""
    if exc.connection_invalidated:
        return True
    orig = exc.orig
    code = getattr(orig, "sqlstate", None) or ""
    if code.startswith("08") or code in ("57P01", "57P02", "57P03"):
        return True
    # "server closed the connection unexpectedly" and the like carry no SQLSTATE
    return isinstance(orig, psycopg.OperationalError) and not code
