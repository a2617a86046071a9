"""The SQLite writer's batches: the units it runs, their transaction (``BatchRunner``: BEGIN,
each unit, COMMIT, and what a failed batch undoes), and how their callers are answered."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy.engine import Connection

from sandbox.settings import Settings
from sandbox.storage import writer_memory
from sandbox.storage.sqlite_engine import writer_cache_mb
from sandbox.storage.writer_memory import WriterMemory

log = logging.getLogger("sandbox.storage")

CACHE_CHECK_BATCHES = 1024
"""How often (in batches) the writer sizes its page cache again for the database's size."""


class BatchAbandoned(RuntimeError):
    """A batch's loop stopped before it committed (closed between two slices, or interrupted
    inside one): the batch was rolled back, and none of its units is durable."""


@dataclass(slots=True)
class Pending:
    fn: Callable[[Connection], Any]
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[Any] | concurrent.futures.Future[Any]
    result: Any = None
    error: BaseException | None = field(default=None)


@dataclass(slots=True)
class Sliced:
    """A batch the event loop is running a slice at a time (it holds ``_busy``)."""

    loop: asyncio.AbstractEventLoop
    conn: Connection
    """The write connection, in the batch's transaction (begun on its driver connection)."""
    batch: list[Pending]
    budget: float | None
    """Seconds per slice (None: the rest at once)."""
    next: int = 0


class SliceTicket:
    """The argument of a sliced batch's next-slice callback, which marks it ``used``.

    A loop that is closed between two slices (``asyncio.run`` ending, a shutdown that did not
    close the database on the loop first) drops its pending callbacks unrun: the ticket is then
    freed unused and calls ``abandon``, which rolls the batch back and frees the write
    connection. Without it the connection kept the batch's transaction open, and with it
    SQLite's write lock, for the life of the process (and ``close()`` waited for it forever).
    """

    __slots__ = ("_abandon", "used")

    def __init__(self, abandon: Callable[[], None]) -> None:
        self._abandon = abandon
        self.used = False

    def __del__(self) -> None:
        if self.used:
            return
        try:
            self._abandon()
        except Exception:  # a finaliser must not raise; the log says what was left
            log.exception("rolling back a batch its closed event loop dropped failed")


@dataclass(slots=True)
class LoopQueue:
    """Units queued on one event loop, and whether a flush is scheduled there."""

    items: list[Pending] = field(default_factory=list)
    scheduled: bool = False


def deliver(
    batch: list[Pending],
    then: dict[asyncio.AbstractEventLoop, Callable[[], None]] | None = None,
) -> None:
    """Answer the callers of a committed (or failed) batch: one wake-up per event loop, which
    also schedules that loop's ``then`` (the next batch) behind the callers it resumed."""
    by_loop: dict[asyncio.AbstractEventLoop, list[Pending]] = {loop: [] for loop in then or {}}
    for item in batch:
        if item.loop is None:
            cfut = item.future
            assert isinstance(cfut, concurrent.futures.Future)
            if item.error is not None:
                cfut.set_exception(item.error)
            else:
                cfut.set_result(item.result)
        else:
            by_loop.setdefault(item.loop, []).append(item)
    here = running_loop()
    for loop, items in by_loop.items():
        if loop is here:  # a COMMIT on the loop itself: no wake-up needed
            _answer(loop, items, (then or {}).get(loop))
            continue
        # a closed loop raises RuntimeError: nobody is waiting any more
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_answer, loop, items, (then or {}).get(loop))


def _answer(
    loop: asyncio.AbstractEventLoop, items: list[Pending], then: Callable[[], None] | None
) -> None:
    """On ``loop``: resume the callers, then queue ``then`` after their resumptions."""
    resolve_on_loop(items)
    if then is not None:
        loop.call_soon(then)


def running_loop() -> asyncio.AbstractEventLoop | None:
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def resolve_on_loop(items: list[Pending]) -> None:
    for item in items:
        fut = item.future
        assert isinstance(fut, asyncio.Future)
        if fut.done():  # the caller was cancelled; the effect is committed regardless
            continue
        if item.error is not None:
            fut.set_exception(item.error)
        else:
            fut.set_result(item.result)


class BatchRunner:
    """A batch's transaction on the write connection: BEGIN, its units (each in its SAVEPOINT
    unless alone), COMMIT, and what a failed batch undoes. ``SqliteDatabase`` runs its batches
    through these, on whichever thread holds the writer's gate."""

    settings: Settings
    memory: WriterMemory
    _conn: Connection | None
    _raw: Any  # the write connection's driver connection (sqlite3.Connection)
    _batches_begun = 0

    def _connection(self) -> Connection:
        raise NotImplementedError

    def _size_cache(self) -> None:
        """The write connection's page cache for the database's size now (``writer_cache_mb``:
        capped while the database is under 1 GB). The single writer's cache stays valid from
        batch to batch (nobody else writes), so it is a ceiling that fills as pages are read."""
        raw_conn = self._raw
        pages = raw_conn.execute("PRAGMA page_count").fetchone()[0]
        page_size = raw_conn.execute("PRAGMA page_size").fetchone()[0]
        mb = writer_cache_mb(self.settings.sqlite_cache_mb, pages, page_size)
        raw_conn.execute(f"PRAGMA cache_size={-1024 * mb}")

    def _run_batch(self, batch: list[Pending]) -> None:
        """The batch's units and its COMMIT, on the calling thread (which holds the gate)."""
        conn = self._run_units(batch)
        if conn is not None:
            self._commit(conn, batch)

    def _run_units(self, batch: list[Pending]) -> Connection | None:
        """BEGIN and each unit in its SAVEPOINT; None (every unit answered with the reason)
        when there is no transaction to commit."""
        conn = self._begin(batch)
        if conn is None:
            return None
        try:
            self._run_some(conn, batch, 0, None)
        except Exception as exc:  # SQLite itself failed between units: the batch is lost
            self._batch_failed(conn, batch, exc)
            return None
        except BaseException as exc:  # a unit raised SystemExit or the like: so is the batch
            culprit = [item for item in batch if item.error is exc]
            self._batch_failed(conn, batch, BatchAbandoned(f"a unit of its batch raised {exc!r}"))
            for item in culprit:
                item.error = exc  # re-raised in its caller's thread, not the writer's
            return None
        return conn

    def _begin(self, batch: list[Pending]) -> Connection | None:
        """BEGIN IMMEDIATE on the driver connection: SQLAlchemy's begin() (a RootTransaction,
        its events, its bookkeeping) and commit() cost the loop and the commit thread more per
        batch of one than the statements themselves (decisions doc, "SQLAlchemy's transaction
        off the writer's batch"). The units still get the SQLAlchemy connection: one that runs
        Core autobegins SQLAlchemy's transaction inside this one (the engine's begin listener
        then issues nothing), and ``_commit`` ends it through SQLAlchemy."""
        try:
            conn = self._conn if self._conn is not None else self._connection()
            self._raw.execute("BEGIN IMMEDIATE")
            self._batches_begun += 1
            if not self._batches_begun % CACHE_CHECK_BATCHES:
                self._size_cache()  # a database that grew past 1 GB gets the whole cache
            return conn
        except Exception as exc:  # no connection or no BEGIN: answer, never hang
            log.exception("the SQLite writer cannot begin a batch")
            for item in batch:
                item.result, item.error = None, exc
            return None

    def _run_some(
        self, conn: Connection, batch: list[Pending], start: int, budget: float | None
    ) -> int:
        """Units from ``start``, each in its SAVEPOINT, until ``budget`` seconds have passed
        (at least one unit); the index of the next unit. Raises when SQLite itself fails.

        A batch of one (most batches at a quiet load) has no SAVEPOINT: its transaction holds
        its unit alone, so a unit that raises rolls the transaction back, which is what
        ``ROLLBACK TO`` would have undone, and ``_commit`` then has nothing to commit."""
        # SAVEPOINTs on the driver connection: SQLAlchemy's begin_nested() costs more CPU
        # than a whole payment's statements
        raw_conn = self._raw
        memory = self.memory
        alone = len(batch) == 1
        # the last unit needs no deadline
        last = budget is None or start + 1 == len(batch)
        deadline = None if last or budget is None else time.perf_counter() + budget
        writer_memory.bind(memory)  # the stores see the memory while this batch runs
        try:
            for index in range(start, len(batch)):
                item = batch[index]
                if not alone:
                    raw_conn.execute("SAVEPOINT unit")
                try:
                    item.result = item.fn(conn)
                except Exception as exc:  # the unit's own failure, rolled back alone
                    if alone:
                        self._roll_back(conn)
                    else:
                        raw_conn.execute("ROLLBACK TO unit")
                    memory.unit_rolled_back()
                    item.error = exc
                except BaseException as exc:  # the caller's batch rolls back (_run_units)
                    item.error = exc
                    raise
                else:
                    memory.unit_done()
                if not alone:
                    raw_conn.execute("RELEASE unit")
                if deadline is not None and time.perf_counter() >= deadline:
                    return index + 1
            return len(batch)
        finally:
            writer_memory.bind(None)

    def _roll_back(self, conn: Connection) -> None:
        """Roll the batch's transaction back: SQLAlchemy's, if a unit began it, and SQLite's
        (unless SQLite already did, as after SQLITE_FULL)."""
        if conn.in_transaction():
            conn.rollback()
        if self._raw.in_transaction:
            self._raw.execute("ROLLBACK")

    def _commit(self, conn: Connection, batch: list[Pending]) -> None:
        """COMMIT (synchronous=FULL: returns once the WAL is on disk). Through SQLAlchemy when a
        unit began its transaction (Core); else on the driver connection, after the engine's
        ``commit`` event (its listeners see every batch's COMMIT, as through SQLAlchemy)."""
        try:
            if conn.in_transaction():
                conn.commit()
            elif self._raw.in_transaction:  # not: a batch of one whose unit was rolled back
                dispatch = conn.dispatch.commit
                if dispatch:
                    dispatch(conn)
                self._raw.execute("COMMIT")
        except Exception as exc:  # COMMIT failed: nothing of the batch is durable
            self._batch_failed(conn, batch, exc)

    def _batch_failed(self, conn: Connection, batch: list[Pending], exc: Exception) -> None:
        """What the batch's units changed in memory goes, and its transaction is rolled back,
        before any caller is answered."""
        self.memory.batch_failed()
        log.error("group commit failed; %d units rolled back", len(batch), exc_info=exc)
        with contextlib.suppress(Exception):
            conn.rollback()  # SQLAlchemy's transaction, if a unit began one
        self._end_failed_transaction()
        for item in batch:
            item.result, item.error = None, exc

    def _end_failed_transaction(self) -> None:
        """A COMMIT that failed may leave SQLite's transaction open (SQLITE_BUSY does): roll it
        back, or every later batch would fail on BEGIN."""
        raw_conn = self._conn.connection.dbapi_connection if self._conn is not None else None
        if raw_conn is not None and raw_conn.in_transaction:
            try:
                raw_conn.execute("ROLLBACK")
            except Exception:
                log.exception("rolling back the failed batch failed")
