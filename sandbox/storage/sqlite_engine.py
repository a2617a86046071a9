"""SQLite engines, their pragmas, and the checkpointer that copies the WAL into the database file
between the writer's batches."""

from __future__ import annotations

import logging
import os
import threading
import time
from collections.abc import Callable
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.engine import Connection, Engine

from sandbox.storage.core_priority import CorePriority

log = logging.getLogger("sandbox.storage")

CHECKPOINT_SECONDS = 1.0
"""How often the checkpointer copies the WAL into the database file, beside the writer (the
default, ``sqlite_checkpoints="beside"``)."""
HELD_CHECKPOINT_SECONDS = 0.2
"""How often the held checkpointer (``sqlite_checkpoints="held"``) copies the WAL: often, so that
each copy is small, since the writer waits for it."""
CHECKPOINT_IDLE_SECONDS = 0.002
"""Held: a checkpoint starts only once the writer has been idle this long (no batch running or
committing), so that it falls in a gap of the load rather than in front of a batch."""
CHECKPOINT_MAX_WAIT_SECONDS = 1.0
"""Held: how long a due checkpoint waits for such a gap; then it runs after the batch in flight,
so a writer that is never idle still has its WAL copied and restarted (bounded)."""
NORMAL_ROUNDS_AFTER_SLOW = 10
"""Beside the writer, after a copy in the idle CPU class took longer than the interval (the
core had no gaps), this many copies run in the normal class before the idle one is tried again
(``Checkpointer._choose_class``)."""
WAL_LIMIT_BYTES = 1024 * 1024 * 1024
"""journal_size_limit: when the WAL restarts (every frame copied back and no reader on an older
snapshot: the batch after each of the checkpointer's rounds), a WAL file larger than this is cut
back to it. Without it the file kept the largest
size it ever reached (10.5 GB after a million preloaded payments). Large, because a cut WAL grows
again by appending, and an append's fsync also writes the file's size: measured with `sandbox
bench --duration 15 --phases p2p_half`, a 64 MB limit raised the p50/p99 at half load from 8/24
ms to 13/44 ms, and truncating the WAL whenever it passed 64 MB (a TRUNCATE checkpoint) to 24/78
ms: so no truncate under load.

It is also the WAL's bound under a load with no pause: the checkpointer beside the writer (the
default) completes a copy holding the writer once the WAL reaches it (see ``Checkpointer``)."""
WAL_FRAME_BYTES = 4096 + 24
"""One WAL frame: a page (SQLite's default page size, which the sandbox keeps) and its header."""
PENDING_BYTE = 0x40000000
"""SQLite's lock byte, 1 GB into the database file; the page that holds it is never used."""
SMALL_DATABASE_CACHE_MB = 32
"""The most page cache the writer keeps while the database is smaller than ``PENDING_BYTE``.

SQLite's B-tree balance swaps pages through the lock byte's page number (``balance_nonroot``),
which raises the page cache's highest key past the database's end; every COMMIT truncates the
cache to the database's size (``pager_end_transaction``), and with the highest key that far out
it walks the whole cache's hash table to do it. So below 1 GB a COMMIT after a split costs
time in proportion to the pages cached: with 256 MB (the setting) and a database of ~34,000
pages, 37-40% of the commit thread's CPU at 600 payments/s, paid whole by a batch of one
(decisions doc, "The page cache walked at every COMMIT"). A database past 1 GB holds that page
number itself, so the walk never happens there and the setting applies in full. 32 MB keeps the
pages a bench world's payments read (the same read calls per payment as 256 MB with 100,000
past payments, ``loadtests.pay_pages``)."""


def _set_sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    dbapi_conn.isolation_level = None  # we issue BEGIN ourselves (pysqlite quirk)
    cur = dbapi_conn.cursor()
    # busy_timeout first: switching a new file to WAL needs a moment of exclusive access, and
    # another connection opening at the same time must wait for it, not fail
    cur.execute("PRAGMA busy_timeout=10000")
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=FULL")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.execute(f"PRAGMA journal_size_limit={WAL_LIMIT_BYTES}")
    cur.close()


def sqlite_engine(url: str, begin: str | None, *, shared: bool = False) -> Engine:
    """A SQLite engine; ``begin`` is the statement SQLAlchemy's begin() emits (None: the
    caller begins on the driver connection itself, as the WAL reader does). ``shared``: one
    connection that several threads use in turn (the writer's: the loop runs a batch's units,
    the commit thread its COMMIT), never at the same time."""
    if shared:
        engine = sa.create_engine(
            url, poolclass=sa.pool.StaticPool, connect_args={"check_same_thread": False}
        )
    else:
        engine = sa.create_engine(url, poolclass=sa.pool.SingletonThreadPool)
    event.listen(engine, "connect", _set_sqlite_pragmas)
    if begin is not None:

        @event.listens_for(engine, "begin")
        def _begin(conn: Connection) -> None:
            # on the driver connection: SQLAlchemy's exec_driver_sql (an execution context, a
            # result, the cursor events) cost the writer more CPU per batch than the rest of
            # its batch bookkeeping together (decisions doc, "A batch of one")
            raw_conn = conn.connection.dbapi_connection
            assert raw_conn is not None
            # the SQLite writer begins each batch on the driver connection itself; a unit that
            # then runs SQLAlchemy Core autobegins SQLAlchemy's bookkeeping inside that batch
            if not raw_conn.in_transaction:
                raw_conn.execute(begin)

    return engine


def writer_cache_mb(setting_mb: int, page_count: int, page_size: int) -> int:
    """The writer's page cache for a database of ``page_count`` pages: the setting once the
    database reaches the lock byte's page, else at most ``SMALL_DATABASE_CACHE_MB``."""
    if page_count > PENDING_BYTE // page_size:
        return setting_mb
    return min(setting_mb, SMALL_DATABASE_CACHE_MB)


def _sync_database(raw_conn: Any) -> None:
    """fdatasync the database file of ``raw_conn`` (the pages a checkpoint copied into it)."""
    path = raw_conn.execute("PRAGMA database_list").fetchone()[2]
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fdatasync(fd)
    finally:
        os.close(fd)


class WriterGate:
    """Who has the write connection: one batch at a time (``SqliteDatabase``), or a checkpoint.

    ``busy`` under ``cond``; ``idle_since`` is when the last holder let go (monotonic);
    ``wanted``: a checkpoint waited its longest, and batches let it go first."""

    def __init__(self) -> None:
        self.cond = threading.Condition()
        self.busy = False
        self.wanted = False
        self.idle_since = time.monotonic()

    def taken(self) -> bool:
        """Under ``cond``: whether a batch must wait (someone has the writer, or wants it)."""
        return self.busy or self.wanted

    def acquire(self) -> None:
        with self.cond:
            while self.busy or self.wanted:
                self.cond.wait()
            self.busy = True

    def hold_when_idle(self, idle: float, max_wait: float, stop: threading.Event) -> bool:
        """Take the writer once it has been idle ``idle`` seconds, or, after ``max_wait``, as
        soon as the batch in flight ends. False (not taken) when ``stop`` is set meanwhile."""
        deadline = time.monotonic() + max_wait
        with self.cond:
            try:
                while not stop.is_set():
                    now = time.monotonic()
                    late = now >= deadline
                    if not self.busy and (late or now - self.idle_since >= idle):
                        self.busy = True
                        return True
                    if late:
                        self.wanted = True  # no new batch starts until it has run
                        self.cond.wait(0.05)
                    elif self.busy:
                        self.cond.wait(deadline - now)
                    else:
                        self.cond.wait(min(idle - (now - self.idle_since), deadline - now))
                return False
            finally:
                if self.wanted:
                    self.wanted = False
                    self.cond.notify_all()  # a thread that waited in acquire() for it

    def let_go(self) -> None:
        """Mark the writer free (the caller answers and wakes whoever waits for it)."""
        self.busy = False
        self.idle_since = time.monotonic()
        self.cond.notify_all()


class Checkpointer:
    """A thread that copies the WAL into the database file: beside the writer (the default) or
    between its batches, holding it (``hold`` and ``release`` given: ``sqlite_checkpoints="held"``).

    The writer's own automatic checkpoint (every 1000 pages) would run inside a COMMIT and hold
    every caller of that batch for the copy and the database file's fsync; so it is off, and this
    thread checkpoints instead.

    Beside (no ``hold``): a PASSIVE checkpoint every ``interval``, which never blocks the writer
    in SQLite. Under a steady load a COMMIT lands during nearly every one, so it rarely reaches
    the WAL's end: the WAL restarts only at the first pause in the writes (bounded by
    ``journal_size_limit`` after it) or, bounded as below, once it is that large; and the copied
    pages wait unsynced in the page cache.

    Held (``hold``, ``release``): every ``interval`` the checkpoint waits for the writer to be
    idle (``idle`` seconds without a batch, at most ``max_wait``), holds it (no batch starts
    meanwhile, none is committing), copies the WAL, and lets go: each copy overlaps no COMMIT and
    is complete, so the next batch restarts the WAL. It keeps the WAL small under any load, but
    in `sandbox bench` the saturation phase after another one lost 12-20% of its rate to it
    (decisions doc, "The checkpointer beside the writer, again"), so it is not the default.

    Beside, completed (``finish`` and ``release`` given: ``sqlite_checkpoints="completed"``, not
    the default, see the decisions doc, "What grows as a run goes on"): a copy beside the writer
    does not restart the WAL even when it reaches the WAL's end, since a batch is nearly always
    in flight and appends to it (SQLite restarts the WAL only in a transaction that began with
    every frame copied). So after each PASSIVE copy (while the WAL has frames not followed by a
    restart) the thread fdatasyncs the database file if the copy stopped short and copies once
    more (still beside the writer: the copied pages go to disk while batches commit), then holds
    the writer only from the end of the batch in flight (``finish``) and copies the frames
    appended meanwhile: that last checkpoint is short (a few batches' frames) and complete, so
    SQLite syncs the database file (the few pages just copied) and the next batch restarts the
    WAL from its start. Without it the WAL of a steady load grows by the whole load (5.6 GB
    after 150,000 payments in process), and the commit thread's system time per payment with it;
    the price is the held copy, whose database sync waits for the disk.

    Beside, bounded (the default: ``finish``, ``release`` and ``finish_from_frames`` given, the
    frames of ``WAL_LIMIT_BYTES``): copies beside the writer, and completes a copy as above only
    once the WAL holds ``finish_from_frames`` frames, so that the WAL of a load with no pause
    restarts near that size (one short hold each time it gets there, every ~20 s at saturation
    here) instead of growing with the load until the disk is full.

    Beside the writer (the default and completed), the thread copies in the ``SCHED_IDLE`` CPU
    class (``core_priority``): its copies take the core's gaps, not time slices from the event
    loop and the commit thread, which the server's one core would otherwise share with them for
    the copy's tens of ms. The copies that complete the WAL run in the normal class (they bound
    the WAL and one holds the writer), and so do the next ``NORMAL_ROUNDS_AFTER_SLOW`` rounds
    after an idle copy that took longer than the interval (a saturated core has no gaps). Where
    the process may not leave ``SCHED_IDLE`` (unprivileged, no ``RLIMIT_NICE``), it never enters
    it. The held checkpointer holds the writer at every copy, so it stays in the normal class.

    Durability is the WAL's, committed with synchronous=FULL, either way; a checkpoint syncs the
    database file before the WAL can restart. ``on_checkpoint(start, end, cpu, result)``
    (monotonic seconds, the thread's CPU seconds, PRAGMA wal_checkpoint's row) lets a harness
    see each one.
    """

    def __init__(
        self,
        url: str,
        *,
        hold: Callable[[float, float, threading.Event], bool] | None = None,
        release: Callable[[], None] | None = None,
        interval: float | None = None,
        idle: float | None = None,
        max_wait: float | None = None,
        finish: Callable[[float, float, threading.Event], bool] | None = None,
        finish_from_frames: int = 0,
    ) -> None:
        if hold is not None and finish is not None:
            raise ValueError("give hold (every copy holds the writer) or finish, not both")
        self._url = url
        self._hold = hold
        self._finish = finish
        # finish a copy only once the WAL holds this many frames (0: every copy)
        self.finish_from_frames = finish_from_frames
        self._release = release
        default = CHECKPOINT_SECONDS if hold is None else HELD_CHECKPOINT_SECONDS
        self.interval = default if interval is None else interval
        self.idle = CHECKPOINT_IDLE_SECONDS if idle is None else idle
        self.max_wait = CHECKPOINT_MAX_WAIT_SECONDS if max_wait is None else max_wait
        self.on_checkpoint: Callable[[float, float, float, tuple[int, int, int]], None] | None = (
            None
        )
        self.finished = 0  # how many copies were completed holding the writer (``finish``)
        self._finished_at = 0  # the WAL's frames after the last of them (0: an empty WAL)
        self.held_seconds = 0.0  # how long those copies held the writer, in all
        self.held_max = 0.0  # and the longest of them
        # beside the writer (no ``hold``), the copies run at SCHED_IDLE (core_priority); a held
        # copy holds the writer, so it never waits for the core's gaps: None
        self._priority: CorePriority | None = None
        self._normal_rounds = 0  # copies left in the normal class after a slow idle one
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="sqlite-checkpointer", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None

    def _run(self) -> None:
        engine = sqlite_engine(self._url, None)
        conn: Connection | None = None
        if self._hold is None:
            self._priority = CorePriority()
            self._priority.idle(True)
        try:
            while not self._stop.wait(self.interval):
                if self._hold is not None and not self._hold(self.idle, self.max_wait, self._stop):
                    return
                try:
                    if conn is None:
                        conn = engine.connect()
                    raw_conn = conn.connection.dbapi_connection
                    assert raw_conn is not None
                    started = time.monotonic()
                    busy, frames, copied = self._checkpoint(raw_conn)
                    if self._priority is not None:
                        self._choose_class(slow=time.monotonic() - started > self.interval)
                    if (
                        self._finish is not None
                        and not busy
                        and frames != self._finished_at
                        and frames >= self.finish_from_frames
                    ):
                        self._complete(raw_conn, synced=copied == frames)
                except Exception:  # busy or I/O: the next round tries again
                    log.warning("WAL checkpoint failed", exc_info=True)
                finally:
                    if self._hold is not None and self._release is not None:
                        self._release()
        finally:
            if conn is not None:
                conn.close()
            engine.dispose()

    def _choose_class(self, *, slow: bool) -> None:
        """The next copy's CPU class. A copy in the idle class slower than the interval found
        no gaps in the core (a saturated server): the next ``NORMAL_ROUNDS_AFTER_SLOW`` copies
        run in the normal class, so that they keep up with the WAL, and the idle class is tried
        again after them."""
        assert self._priority is not None
        if slow and self._priority.is_idle:
            self._normal_rounds = NORMAL_ROUNDS_AFTER_SLOW
        elif self._normal_rounds:
            self._normal_rounds -= 1
        self._priority.idle(self._normal_rounds == 0)

    def _complete(self, raw_conn: Any, *, synced: bool) -> None:
        """Finish a copy made beside the writer: the copied pages synced beside it (unless
        SQLite did, ``synced``: the copy reached the WAL's end), then the writer held from the
        end of the batch in flight for the frames appended since, so that the next batch
        starts on a WAL that is all in the database file and restarts it.

        In the normal CPU class throughout: these copies bound the WAL, and the held one holds
        the writer, so none of them waits for the core's gaps."""
        assert self._priority is not None  # set in _run: a completion never holds (no ``hold``)
        self._priority.idle(False)
        try:
            self._complete_now(raw_conn, synced=synced)
        finally:
            self._priority.idle(self._normal_rounds == 0)

    def _complete_now(self, raw_conn: Any, *, synced: bool) -> None:
        if not synced:
            _sync_database(raw_conn)
        # once more beside the writer: the frames appended during the first copy (a second's
        # copy takes tens of ms), so that the writer is held for a few ms' frames only
        busy, frames, copied = self._checkpoint(raw_conn)
        if not busy and copied < frames:
            _sync_database(raw_conn)
        assert self._finish is not None
        assert self._release is not None
        if not self._finish(0.0, 0.0, self._stop):
            return
        held = time.monotonic()
        try:
            busy, frames, copied = self._checkpoint(raw_conn)
            if not busy and copied == frames:
                self.finished += 1
                self._finished_at = frames  # nothing to finish until the writer writes again
        finally:
            self._release()
            held = time.monotonic() - held
            self.held_seconds += held
            self.held_max = max(self.held_max, held)

    def _checkpoint(self, raw_conn: Any) -> tuple[int, int, int]:
        start, cpu = time.monotonic(), time.thread_time()
        busy, frames, copied = raw_conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchone()
        if self.on_checkpoint is not None:
            cpu = time.thread_time() - cpu
            self.on_checkpoint(start, time.monotonic(), cpu, (busy, frames, copied))
        return busy, frames, copied
