"""SQLite: group commit on the event loop, reads on a WAL reader connection.

One write connection, used by one batch at a time (``WriterGate``). ``write()`` queues the unit on
its event loop; one callback per loop turn (``_flush``) takes the queued units, opens one
``BEGIN IMMEDIATE`` transaction, runs each unit inside its own SAVEPOINT (a unit that raises is
rolled back alone and its caller gets the exception) right there on the loop, then hands only the
COMMIT (``synchronous=FULL``: its fsync is the slow part) to the commit thread, and answers every
caller of the batch once it committed. A large batch runs in slices of ``writer_slice_ms`` (2 ms)
of the loop's time, each its own callback, so the loop is never held for all of it (``Sliced``);
the batch keeps its one transaction and its one COMMIT. A payment thus costs no thread hop of its
own: the loop runs its SQL, and a batch costs one hop for its COMMIT (the decisions doc has the
measurements).
``write_sync`` (CLI, tools, worker threads) queues to a writer thread that runs its batches the
same way under the same gate, COMMIT included. Reads run on the event loop thread on a
separate WAL reader connection: a primary-key read costs less than a thread hop. Another thread
copies the WAL into the database file between batches (``sqlite_engine.Checkpointer``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import functools
import logging
import queue
import threading
import weakref
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import event
from sqlalchemy.engine import Connection

from sandbox.settings import Settings
from sandbox.storage import writer_memory
from sandbox.storage.sqlite_batch import (
    BatchAbandoned,
    BatchRunner,
    LoopQueue,
    Pending,
    Sliced,
    SliceTicket,
    deliver,
    resolve_on_loop,
    running_loop,
)
from sandbox.storage.sqlite_engine import (
    CHECKPOINT_SECONDS,
    WAL_FRAME_BYTES,
    WAL_LIMIT_BYTES,
    Checkpointer,
    WriterGate,
    sqlite_engine,
)
from sandbox.storage.writer_memory import WriterMemory

T = TypeVar("T")
log = logging.getLogger("sandbox.storage")

__all__ = [
    "CHECKPOINT_SECONDS",
    "WAL_LIMIT_BYTES",
    "DatabaseClosed",
    "SqliteDatabase",
    "sqlite_engine",
]


class DatabaseClosed(RuntimeError):
    """A unit was submitted after the database was closed."""


class SqliteDatabase(BatchRunner):
    """Runs units of work on SQLite; ``start()`` before use, ``close()`` at shutdown."""

    is_sqlite = True

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self._queue: queue.SimpleQueue[Pending | None] = queue.SimpleQueue()  # write_sync's
        self._writer: threading.Thread | None = None
        self._closed = False
        settings.data_dir.mkdir(parents=True, exist_ok=True)
        self.engine = sqlite_engine(settings.sqlalchemy_url, "BEGIN IMMEDIATE", shared=True)
        # hot rows the writer keeps in memory (writer_memory.py); only a running batch sees it
        self.memory = WriterMemory()
        event.listen(self.engine, "before_cursor_execute", self._forget_on_other_writes)
        self._read_engine = sqlite_engine(settings.sqlalchemy_url, None)
        if settings.sqlite_mmap_mb:
            mmap_bytes = 1024 * 1024 * settings.sqlite_mmap_mb

            @event.listens_for(self._read_engine, "connect")
            def _map(dbapi_conn: Any, _record: Any) -> None:
                dbapi_conn.execute(f"PRAGMA mmap_size={mmap_bytes}")

        self._read_conn: Connection | None = None
        self._read_lock = threading.Lock()
        # the write connection and who may use it: one batch at a time, on any thread
        self._conn: Connection | None = None
        self._raw: Any = None  # its driver connection (sqlite3.Connection)
        self._gate = WriterGate()
        self._waiting: dict[asyncio.AbstractEventLoop, LoopQueue] = {}  # loops to flush next
        self._loops: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, LoopQueue] = (
            weakref.WeakKeyDictionary()
        )
        # the commit thread's work: a batch whose units ran, to COMMIT and answer (None: stop)
        self._commits: queue.SimpleQueue[Sliced | None] = queue.SimpleQueue()
        self._committer: threading.Thread | None = None
        self._sliced: Sliced | None = None  # the batch the loop is running, between slices
        if settings.sqlite_checkpoints == "held":
            self.checkpointer = Checkpointer(
                settings.sqlalchemy_url, hold=self._gate.hold_when_idle, release=self._release
            )
        elif settings.sqlite_checkpoints == "completed":
            self.checkpointer = Checkpointer(
                settings.sqlalchemy_url, finish=self._gate.hold_when_idle, release=self._release
            )
        else:  # beside, bounded by journal_size_limit: see Checkpointer
            self.checkpointer = Checkpointer(
                settings.sqlalchemy_url,
                finish=self._gate.hold_when_idle,
                release=self._release,
                finish_from_frames=WAL_LIMIT_BYTES // WAL_FRAME_BYTES,
            )

    # -- lifecycle -------------------------------------------------------------------------
    def start(self) -> None:
        if self._writer is None:
            self._writer = threading.Thread(target=self._write_loop, name="sqlite-writer")
            self._writer.daemon = True
            self._writer.start()
            self.checkpointer.start()
            self._committer = threading.Thread(
                target=self._commit_loop, name="sqlite-commit", daemon=True
            )
            self._committer.start()

    def close(self) -> None:
        self._closed = True
        self.checkpointer.stop()
        if self._writer is not None:
            self._queue.put(None)
            self._writer.join(timeout=30)
            self._writer = None
        sliced = self._sliced
        if sliced is not None and running_loop() is sliced.loop:
            sliced.budget = None  # closing on its loop: the loop cannot run its next slice
            self._run_slices(sliced)
        self._acquire()  # the batch under way (its COMMIT on the commit thread) ends first
        try:
            # units still queued on an event loop are finished too, as the writer thread's are
            left = [item for q in list(self._loops.values()) for item in q.items]
            for q in list(self._loops.values()):
                q.items.clear()
            if left:
                self._run_batch(left)
                deliver(left)
            if self._conn is not None:
                self._conn.close()
                self._conn = self._raw = None
        finally:
            self._release()
        if self._committer is not None:
            self._commits.put(None)  # after every batch handed to it: it answers them first
            self._committer.join(timeout=30)
            self._committer = None
        if self._read_conn is not None:
            self._read_conn.close()
            self._read_conn = None
        self._read_engine.dispose()
        self.engine.dispose()

    # -- units -----------------------------------------------------------------------------
    async def write(self, fn: Callable[[Connection], T]) -> T:
        if self._closed:
            raise DatabaseClosed("the database is closed")
        if self._writer is None:
            self.start()
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[T] = loop.create_future()
        q = self._loops.get(loop)
        if q is None:
            q = self._loops.setdefault(loop, LoopQueue())
        q.items.append(Pending(fn, loop, fut))
        if not q.scheduled:
            q.scheduled = True
            loop.call_soon(self._flush, loop, q)
        return await fut

    def write_sync(self, fn: Callable[[Connection], T]) -> T:
        if self._closed:
            raise DatabaseClosed("the database is closed")
        if self._writer is None:
            self.start()
        fut: concurrent.futures.Future[T] = concurrent.futures.Future()
        self._queue.put(Pending(fn, None, fut))
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

    # -- memory coherence ------------------------------------------------------------------
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

    # -- the write connection, one batch at a time -----------------------------------------
    def _acquire(self) -> None:
        self._gate.acquire()

    def _release(self, answer: list[Pending] | None = None) -> None:
        """The batch (or a checkpoint) is done with the connection: wake a waiting thread,
        answer ``answer``'s callers, and flush the loops whose units queued meanwhile, after
        those answers."""
        with self._gate.cond:
            self._gate.let_go()
            waiting, self._waiting = self._waiting, {}
        deliver(
            answer or [],
            {loop: functools.partial(self._flush, loop, q) for loop, q in waiting.items()},
        )

    def _connection(self) -> Connection:
        if self._conn is None:
            conn = self.engine.connect()
            raw_conn = conn.connection.dbapi_connection
            assert raw_conn is not None
            raw_conn.execute("PRAGMA wal_autocheckpoint=0")  # the checkpointer thread does it
            # Each unit's SAVEPOINT keeps the pages it changes in a statement journal, for its
            # ROLLBACK TO; past 64 KB (a payment changes about 16 pages) SQLite spills that
            # journal to a temporary file for the rest of the batch: two pwrite calls per page
            # per unit, most of a payment's system calls. In memory it is a copy.
            raw_conn.execute("PRAGMA temp_store=MEMORY")
            raw_conn.execute(f"PRAGMA mmap_size={1024 * 1024 * self.settings.sqlite_mmap_mb}")
            self._conn, self._raw = conn, raw_conn
            self._size_cache()
        return self._conn

    # -- group commit on the event loop ----------------------------------------------------
    def _flush(self, loop: asyncio.AbstractEventLoop, q: LoopQueue) -> None:
        """One loop callback: run the loop's queued units as one batch, COMMIT off the loop."""
        with self._gate.cond:
            if self._gate.taken():  # a batch or a checkpoint is under way; _release() calls again
                self._waiting[loop] = q
                return
            self._gate.busy = True
        batch = q.items[: self.settings.group_commit_max]
        del q.items[: len(batch)]
        if q.items:
            loop.call_soon(self._flush, loop, q)
        else:
            q.scheduled = False
        if not batch or self._closed:
            for item in batch:
                item.error = DatabaseClosed("the database is closed")
            self._release()
            resolve_on_loop(batch)
            return
        conn = self._begin(batch)
        if conn is None:
            self._release()
            resolve_on_loop(batch)
            return
        budget = self.settings.writer_slice_ms / 1000.0
        self._sliced = Sliced(loop, conn, batch, budget or None)
        self._run_slices(self._sliced)

    def _run_slices(self, s: Sliced, ticket: SliceTicket | None = None) -> None:
        """One slice of the batch, then the next slice's callback, or the COMMIT."""
        if ticket is not None:
            ticket.used = True
        if self._sliced is not s:  # close() ran the rest
            return
        try:
            s.next = self._run_some(s.conn, s.batch, s.next, s.budget)
        except BaseException as exc:  # SQLite failed, or the loop is interrupted: batch lost
            self._sliced = None
            lost = exc if isinstance(exc, Exception) else BatchAbandoned(f"interrupted: {exc!r}")
            self._batch_failed(s.conn, s.batch, lost)
            self._release()
            resolve_on_loop(s.batch)
            if lost is not exc:
                raise
            return
        if s.next < len(s.batch):
            s.loop.call_soon(self._run_slices, s, SliceTicket(lambda: self._abandon(s)))
            return
        self._sliced = None
        if len(s.batch) <= self.settings.sqlite_commit_on_loop_max:
            self._commit_on_loop(s.conn, s.batch)
        else:
            self._commits.put(s)

    def _commit_on_loop(self, conn: Connection, batch: list[Pending]) -> None:
        """A small batch's COMMIT right here on the loop (``sqlite_commit_on_loop_max``): free
        the connection, answer the callers, then flush the units queued meanwhile, as the
        commit thread's ``deliver`` would, without its two thread hand-offs."""
        try:
            self._commit(conn, batch)
        finally:
            self._release(batch)

    def _commit_loop(self) -> None:
        """The commit thread: each batch the loop ran, COMMIT and answers, in order."""
        while (s := self._commits.get()) is not None:
            try:
                self._commit_then_answer(s.conn, s.batch)
            except Exception:  # a bug, not SQLite's refusal (_commit answers that): keep going
                log.exception("the SQLite commit thread failed on a batch")

    def _abandon(self, s: Sliced) -> None:
        """The loop was closed before the batch's next slice (``SliceTicket``): roll it back and
        free the connection; its callers' loop is gone, so nobody is answered."""
        if self._sliced is not s:  # close() ran the rest, or the batch ended
            return
        self._sliced = None
        self._batch_failed(s.conn, s.batch, BatchAbandoned("its event loop was closed"))
        self._release()

    def _commit_then_answer(self, conn: Connection, batch: list[Pending]) -> None:
        """On the commit thread: COMMIT (or forget and roll back), free the connection for the
        next batch, then answer the batch's callers on their loop, with one wake-up that also
        starts the next batch there once they are answered."""
        try:
            self._commit(conn, batch)
        finally:
            self._release(batch)

    # -- a batch ---------------------------------------------------------------------------
    def _write_loop(self) -> None:
        """The writer thread: ``write_sync``'s units, in batches, COMMIT included."""
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
            self._acquire()
            try:
                self._run_batch(batch)
            finally:
                self._release()
            deliver(batch)
            if stop:
                return


_DML = frozenset({"INSERT", "UPDATE", "DELETE", "REPLAC"})
