"""SQLite: group commit on one writer thread, reads on a WAL reader connection.

One writer thread owns the only write connection. It drains the queue of pending units, opens one
``BEGIN IMMEDIATE`` transaction, runs each unit inside its own SAVEPOINT (a unit that raises is
rolled back alone and its caller gets the exception), then COMMITs once with ``synchronous=FULL``
and only then answers every caller of the batch. Reads run on the event loop thread on a separate
WAL reader connection: a primary-key read costs less than a thread hop. A third thread copies the
WAL into the database file (see ``_checkpoint_loop``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from sandbox.settings import Settings
from sandbox.storage import writer_memory
from sandbox.storage.writer_memory import WriterMemory

T = TypeVar("T")
log = logging.getLogger("sandbox.storage")

CHECKPOINT_SECONDS = 1.0


class DatabaseClosed(RuntimeError):
    """A unit was submitted after the database was closed."""


@dataclass(slots=True)
class _Pending:
    fn: Callable[[Connection], Any]
    loop: asyncio.AbstractEventLoop | None
    future: asyncio.Future[Any] | concurrent.futures.Future[Any]
    result: Any = None
    error: BaseException | None = field(default=None)


def _set_sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite quirk)
    cur = dbapi_conn.cursor()
    # busy_timeout first: switching a new file to WAL needs a moment of exclusive access, and
    # another connection opening at the same time must wait for it, not fail
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def sqlite_engine(url: str, begin: str | None) -> Engine:
    """A SQLite engine; ``begin`` is the statement SQLAlchemy's begin() emits (None: the
    caller begins on the driver connection itself, as the WAL reader does)."""
    engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    if begin is not None:

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            conn.exec_driver_sql(begin)

    return engine


class SqliteDatabase:
    """Runs units of work on SQLite; ``start()`` before use, ``close()`` at shutdown."""

    is_sqlite = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._queue: queue.SimpleQueue[_Pending | None] = queue.SimpleQueue()
        self._writer: threading.Thread | None = None
        self._checkpointer: threading.Thread | None = None
        self._stop_checkpoints = threading.Event()
        self._closed = False
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = sqlite_engine(settings.sqlalchemy_url, "BEGIN IMMEDIATE")
        # hot rows the writer keeps in memory (writer_memory.py); only the writer thread sees it
        self.memory = WriterMemory()
        event.listen(self.engine, "before_cursor_execute", self._forget_on_other_writes)
        self._read_engine = sqlite_engine(settings.sqlalchemy_url, None)
        self._read_conn: Connection | None = None
        self._read_lock = threading.Lock()

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="sqlite-writer")
            self._writer.daemon = True
            self._writer.start()
            self._checkpointer = threading.Thread(
                target=self._checkpoint_loop, name="sqlite-checkpointer", daemon=True
            )
            self._checkpointer.start()

    def close(self) -> None:
        self._closed = True
        self._stop_checkpoints.set()
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join(timeout=30)
            self._writer = None
        if self._checkpointer is not None:
            self._checkpointer.join(timeout=30)
            self._checkpointer = None
        if self._read_conn is not None:
            self._read_conn.close()
            self._read_conn = None
        self._read_engine.dispose()
        self.engine.dispose()

    # -- units -----------------------------------------------------------------------------
    async def write(self, fn: Callable[[Connection], T]) -> T:
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        self._submit(_Pending(fn, loop, fut))
        return await fut

    def write_sync(self, fn: Callable[[Connection], T]) -> T:
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._submit(_Pending(fn, None, fut))
        return fut.result()

    async def read(self, fn: Callable[[Connection], T]) -> T:
        return self.read_sync(fn)

    def read_sync(self, fn: Callable[[Connection], T]) -> T:
        with self._read_lock:
            if self._read_conn is None:
                self._read_conn = self._read_engine.connect()
            conn = self._read_conn
            # one snapshot for the whole read: BEGIN on the driver connection (SQLAlchemy's
            # begin() and its events cost more than the auth lookup it would wrap)
            raw_conn = conn.connection.dbapi_connection
            assert raw_conn is not None
            raw_conn.execute("BEGIN")
            try:
                return fn(conn)
            finally:
                if conn.in_transaction():
                    conn.rollback()  # SQLAlchemy's own bookkeeping; ends the snapshot too
                if raw_conn.in_transaction:
                    raw_conn.execute("ROLLBACK")

    # -- group commit ----------------------------------------------------------------------
    def _forget_on_other_writes(
        self,
        _conn: Any,
        _cursor: Any,
        statement: str,
        _params: Any,
        context: Any,
        _executemany: bool,
    ) -> None:
        """A SQLAlchemy write to a table the memory is derived from clears the memory (a
        world's creation or reset, a test draining balances): the hot path's own statements
        run on the DBAPI cursor and keep it right themselves."""
        if statement.lstrip()[:6].upper() not in _DML:
            return
        compiled = getattr(context, "compiled", None)
        table = getattr(getattr(compiled, "statement", None), "table", None)
        name = getattr(table, "name", None)
        if name is None or writer_memory.watched(name):
            self.memory.clear()

    def _submit(self, pending: _Pending) -> None:
        if self._closed:
            raise DatabaseClosed("the database is closed")
        if self._writer is None:
            self.start()
        self._queue.put(pending)

    def _checkpoint_loop(self) -> None:
        """Copy the WAL into the database file every second, beside the writer.

        The writer's own automatic checkpoint (every 1000 pages) would run inside a commit and
        hold every caller of that batch for the copy and its fsync (the p99 spikes of the
        benchmark); a PASSIVE checkpoint here runs beside the writer and never blocks it.
        Durability is the WAL's, committed with synchronous=FULL, either way.
        """
        engine = sqlite_engine(self.settings.sqlalchemy_url, None)
        try:
            while not self._stop_checkpoints.wait(CHECKPOINT_SECONDS):
                try:
                    with engine.connect() as conn:
                        raw_conn = conn.connection.dbapi_connection
                        assert raw_conn is not None
                        raw_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
                except Exception:  # busy or I/O: the next round tries again
                    log.warning("WAL checkpoint failed", exc_info=True)
        finally:
            engine.dispose()

    def _write_loop(self) -> None:
        writer_memory.bind(self.memory)
        try:
            conn = self.engine.connect()
            raw_conn = conn.connection.dbapi_connection
            assert raw_conn is not None
            raw_conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
        except Exception as exc:  # no writer: answer every unit with the reason, never hang
            log.exception("the SQLite writer cannot open the database")
            self._refuse_all(exc)
            return
        try:
            while True:
                first = self._queue.get()
                if first is None:
                    return
                batch = [first]
                stop = False
                while len(batch) < self.settings.group_commit_max:
                    try:
                        nxt = self._queue.get_nowait()
                    except queue.Empty:
                        break
                    if nxt is None:
                        stop = True
                        break
                    batch.append(nxt)
                self._commit_batch(conn, batch)
                if stop:
                    return
        finally:
            conn.close()

    def _refuse_all(self, exc: Exception) -> None:
        while (item := self._queue.get()) is not None:
            item.error = exc
            _deliver([item])

    def _commit_batch(self, conn: Connection, batch: list[_Pending]) -> None:
        try:
            with conn.begin():
                # SAVEPOINTs on the driver connection: SQLAlchemy's begin_nested() costs more
                # CPU than a whole payment's statements
                raw_conn = conn.connection.dbapi_connection
                assert raw_conn is not None
                memory = self.memory
                for item in batch:
                    raw_conn.execute("SAVEPOINT unit")
                    try:
                        item.result = item.fn(conn)
                    except Exception as exc:  # the unit's own failure, rolled back alone
                        raw_conn.execute("ROLLBACK TO unit")
                        memory.unit_rolled_back()
                        item.error = exc
                    else:
                        memory.unit_done()
                    raw_conn.execute("RELEASE unit")
        except Exception as exc:  # COMMIT failed: nothing of the batch is durable
            # what the batch's units changed in memory goes too, before any caller is answered
            self.memory.batch_failed()
            log.exception("group commit failed; %d units rolled back", len(batch))
            self._end_failed_transaction(conn)
            for item in batch:
                item.result, item.error = None, exc
        _deliver(batch)

    @staticmethod
    def _end_failed_transaction(conn: Connection) -> None:
        """A COMMIT that failed may leave SQLite's transaction open (SQLITE_BUSY does): roll it
        back, or every later batch would fail on BEGIN."""
        raw_conn = conn.connection.dbapi_connection
        if raw_conn is not None and raw_conn.in_transaction:
            try:
                raw_conn.execute("ROLLBACK")
            except Exception:
                log.exception("rolling back the failed batch failed")


_DML = frozenset({"INSERT", "UPDATE", "DELETE", "REPLAC"})


def _deliver(batch: list[_Pending]) -> None:
    """Answer the callers of a committed (or failed) batch: one wake-up per event loop."""
    by_loop: dict[asyncio.AbstractEventLoop, list[_Pending]] = {}
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
    for loop, items in by_loop.items():
        # a closed loop raises RuntimeError: nobody is waiting any more
        with contextlib.suppress(RuntimeError):
            loop.call_soon_threadsafe(_resolve_on_loop, items)


def _resolve_on_loop(items: list[_Pending]) -> None:
    for item in items:
        fut = item.future
        assert isinstance(fut, asyncio.Future)
        if fut.done():  # the caller was cancelled; the effect is committed regardless
            continue
        if item.error is not None:
            fut.set_exception(item.error)
        else:
            fut.set_result(item.result)
