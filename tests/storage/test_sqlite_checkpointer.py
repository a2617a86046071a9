"""The SQLite checkpointer (sandbox/storage/sqlite_engine.py). By default it copies the WAL into
the database file beside the writer, never waiting for it. Held (``sqlite_checkpoints="held"``),
it copies between the writer's batches, never while one runs or commits, and a writer that is
never idle still has its WAL copied and restarted, so the WAL stays bounded. The default also
completes a copy, holding the writer briefly, once the WAL reaches its bound. Completed
(``sqlite_checkpoints="completed"``), it copies beside the writer, then holds it from the end of
the batch in flight for the last few frames, so that the WAL restarts under any load."""

from __future__ import annotations

import asyncio
import os
import threading
import time

import pytest
import sqlalchemy as sa

from sandbox.settings import Settings
from sandbox.storage import core_priority, sqlite_engine
from sandbox.storage.database import SqliteDatabase
from sandbox.storage.schema import banks

pytestmark = pytest.mark.anyio

Seen = list[tuple[float, float, tuple[int, int, int]]]


@pytest.fixture
def db(settings: Settings, engine_name: str) -> SqliteDatabase:
    """The held checkpointer; each test starts and closes it."""
    if engine_name != "sqlite":
        pytest.skip("the SQLite checkpointer")
    return SqliteDatabase(settings.model_copy(update={"sqlite_checkpoints": "held"}))


@pytest.fixture
def beside(settings: Settings, engine_name: str) -> SqliteDatabase:
    """The default checkpointer; each test starts and closes it."""
    if engine_name != "sqlite":
        pytest.skip("the SQLite checkpointer")
    assert settings.sqlite_checkpoints == "beside"
    return SqliteDatabase(settings)


@pytest.fixture
def completed(settings: Settings, engine_name: str) -> SqliteDatabase:
    """The checkpointer beside the writer that finishes each copy holding it."""
    if engine_name != "sqlite":
        pytest.skip("the SQLite checkpointer")
    return SqliteDatabase(settings.model_copy(update={"sqlite_checkpoints": "completed"}))


def _watch(db: SqliteDatabase) -> Seen:
    seen: Seen = []
    db.checkpointer.on_checkpoint = lambda start, end, _cpu, row: seen.append((start, end, row))
    return seen


def _insert(code: str):  # type: ignore[no-untyped-def]
    def unit(conn: sa.Connection) -> str:
        conn.execute(
            banks.insert().values(
                world_id="w1", code=code, name="Bank " + "x" * 300, psp_handle="b", online=True
            )
        )
        return code

    return unit


async def test_no_checkpoint_runs_while_a_commit_is_in_flight(db: SqliteDatabase) -> None:
    db.checkpointer.interval, db.checkpointer.idle = 0.01, 0.0
    seen = _watch(db)
    in_commit, go_on = threading.Event(), threading.Event()
    held: list[float] = []

    def held_commit(_conn: sa.Connection) -> None:
        if not in_commit.is_set():  # the first COMMIT only: hold it 0.3 s
            in_commit.set()
            held.append(time.monotonic())
            go_on.wait(5)
            held.append(time.monotonic())

    db.start()
    try:
        await db.write(_insert("BEFORE"))
        sa.event.listen(db.engine, "commit", held_commit)
        in_commit.clear()
        writing = asyncio.ensure_future(db.write(_insert("HELD")))
        assert await asyncio.to_thread(in_commit.wait, 5)
        await asyncio.sleep(0.3)  # thirty of the checkpointer's rounds fall due meanwhile
        go_on.set()
        await writing
        sa.event.remove(db.engine, "commit", held_commit)
        for _ in range(100):  # and it runs again once the writer is free
            if any(start > held[1] for start, _, _ in seen):
                break
            await asyncio.sleep(0.01)
    finally:
        db.close()
    begun, ended = held
    assert [s for s in seen if s[0] < ended and s[1] > begun] == []
    assert any(start > ended for start, _, _ in seen)


async def test_a_writer_never_idle_still_has_its_wal_copied_and_restarted(
    db: SqliteDatabase,
) -> None:
    """Writes back to back leave no idle gap of ``idle``: after ``max_wait`` each checkpoint
    runs between two batches anyway, copies the whole WAL (nothing commits meanwhile), and the
    next batch writes the WAL from its start again, so it stays a fraction of what was
    written."""
    db.checkpointer.interval, db.checkpointer.idle, db.checkpointer.max_wait = 0.05, 60.0, 0.2
    seen = _watch(db)
    db.start()
    try:
        path = _db_path(db)
        wal_sizes = []
        deadline = time.monotonic() + 1.5
        n = 0
        while time.monotonic() < deadline:
            await asyncio.gather(*(db.write(_insert(f"C{n}-{i}")) for i in range(5)))
            n += 1
            wal_sizes.append(await asyncio.to_thread(lambda: _size(f"{path}-wal")))
        written = db.read_sync(
            lambda c: c.execute(sa.select(sa.func.count()).select_from(banks)).scalar_one()
        )
    finally:
        db.close()
    assert len(seen) >= 3
    rows = [row for _, _, row in seen if row[1] > 0]
    assert rows
    assert all(busy == 0 and frames == copied for busy, frames, copied in rows)
    total_frames = sum(frames for _, frames, _ in rows)
    assert max(frames for _, frames, _ in rows) < total_frames  # restarted in between
    assert max(wal_sizes) < 4096 * total_frames
    assert written == n * 5


def _size(path: str) -> int:
    return os.stat(path).st_size


def _db_path(db: SqliteDatabase) -> str:
    """The database file's path (its WAL is ``<path>-wal``)."""
    return str(
        db.read_sync(
            lambda c: next(
                r[2] for r in c.exec_driver_sql("PRAGMA database_list") if r[1] == "main"
            )
        )
    )


async def _back_to_back(db: SqliteDatabase, seconds: float) -> tuple[Seen, list[int], int, int]:
    """Twenty writers back to back for ``seconds`` (a batch is always in flight): what the
    checkpointer saw, the WAL's sizes along the way, the rows written and the rows counted."""
    seen = _watch(db)
    db.start()
    try:
        path = _db_path(db)
        wal_sizes: list[int] = []
        deadline = time.monotonic() + seconds
        n = 0

        async def writer(w: int) -> None:
            nonlocal n
            i = 0
            while time.monotonic() < deadline:
                await db.write(_insert(f"C{w}-{i}"))
                i += 1
                n += 1
                if w == 0:
                    wal_sizes.append(_size(f"{path}-wal"))

        await asyncio.gather(*(writer(w) for w in range(20)))
        written = db.read_sync(
            lambda c: c.execute(sa.select(sa.func.count()).select_from(banks)).scalar_one()
        )
    finally:
        db.close()
    return seen, wal_sizes, written, n


async def test_a_writer_never_idle_has_its_wal_restarted_when_copies_are_completed(
    completed: SqliteDatabase,
) -> None:
    """Completed: a copy beside the writer is followed by a short one holding the writer from
    the end of the batch in flight, so the next batch restarts the WAL: under writes back to
    back no checkpoint sees more than a fraction of the frames written (beside alone, the
    largest saw a third to a half of them here, and in process the WAL grew by the whole load,
    5.6 GB after 150,000 payments)."""
    completed.checkpointer.interval = 0.2
    seen, wal_sizes, written, n = await _back_to_back(completed, 2.0)
    rows = [row for _, _, row in seen if row[1] > 0]
    assert all(busy == 0 for busy, _, _ in rows)
    most = max(frames for _, frames, _ in rows)
    assert most * 6 < sum(frames for _, frames, _ in rows)  # restarted again and again
    assert max(wal_sizes) < 4096 * 2 * most
    assert written == n
    assert completed.checkpointer.finished >= 3


async def test_by_default_the_wal_of_a_writer_never_idle_restarts_at_its_bound(
    beside: SqliteDatabase,
) -> None:
    """The default copies beside the writer and completes a copy (holding the writer briefly)
    only once the WAL holds ``finish_from_frames`` frames (``WAL_LIMIT_BYTES`` of them), so a
    load with no pause cannot grow the WAL until the disk is full. Here the bound is lowered
    to 40 frames: the WAL restarts again and again, and no copy finds it much past the bound
    plus what a round's writes append."""
    bound = sqlite_engine.WAL_LIMIT_BYTES // sqlite_engine.WAL_FRAME_BYTES
    assert beside.checkpointer.finish_from_frames == bound
    beside.checkpointer.interval = 0.2
    beside.checkpointer.finish_from_frames = 40
    seen, wal_sizes, written, n = await _back_to_back(beside, 2.0)
    rows = [row for _, _, row in seen if row[1] > 0]
    assert written == n
    assert beside.checkpointer.finished >= 3
    most = max(frames for _, frames, _ in rows)
    assert most * 4 < sum(frames for _, frames, _ in rows)  # restarted again and again
    assert max(wal_sizes) < 4096 * 2 * most


async def test_by_default_a_wal_below_its_bound_is_never_held_for(beside: SqliteDatabase) -> None:
    """Below the bound the default never holds the writer: every copy is beside it."""
    beside.checkpointer.interval = 0.2
    _, _, written, n = await _back_to_back(beside, 1.0)
    assert written == n
    assert beside.checkpointer.finished == 0
    assert beside.checkpointer.held_seconds == 0.0


async def test_by_default_checkpoints_run_beside_a_commit_in_flight(
    beside: SqliteDatabase,
) -> None:
    """The default checkpointer never waits for the writer: its rounds copy the WAL while a
    COMMIT is held."""
    beside.checkpointer.interval = 0.01
    seen = _watch(beside)
    in_commit, go_on = threading.Event(), threading.Event()

    def held_commit(_conn: sa.Connection) -> None:
        if not in_commit.is_set():
            in_commit.set()
            go_on.wait(5)

    beside.start()
    try:
        await beside.write(_insert("BEFORE"))
        sa.event.listen(beside.engine, "commit", held_commit)
        writing = asyncio.ensure_future(beside.write(_insert("HELD")))
        assert await asyncio.to_thread(in_commit.wait, 5)
        during = len(seen)
        await asyncio.sleep(0.3)
        during = len(seen) - during
        go_on.set()
        await writing
        sa.event.remove(beside.engine, "commit", held_commit)
    finally:
        beside.close()
    assert during >= 3  # about thirty rounds fall due while the COMMIT is held
    assert any(frames > 0 and copied > 0 for _, _, (_, frames, copied) in seen)


def test_the_defaults_keep_each_copy_small_and_bounded() -> None:
    assert sqlite_engine.CHECKPOINT_SECONDS <= 1.0
    assert sqlite_engine.HELD_CHECKPOINT_SECONDS <= sqlite_engine.CHECKPOINT_SECONDS
    assert sqlite_engine.CHECKPOINT_IDLE_SECONDS < sqlite_engine.CHECKPOINT_MAX_WAIT_SECONDS


# The checkpointer's CPU class (sandbox/storage/core_priority.py): beside the writer its copies
# run at SCHED_IDLE, in the core's gaps; the copies that complete the WAL and the held
# checkpointer's run in the normal class.

needs_idle_class = pytest.mark.skipif(
    not core_priority.idle_class_available(), reason="this process may not leave SCHED_IDLE"
)


def _record_classes(db: SqliteDatabase) -> tuple[list[int], list[int]]:
    """The calling thread's scheduling policy at each copy, and at each hold of a completion."""
    copies: list[int] = []
    holds: list[int] = []
    checkpointer = db.checkpointer
    copy, finish = checkpointer._checkpoint, checkpointer._finish

    def classed_copy(raw_conn):  # type: ignore[no-untyped-def]
        copies.append(os.sched_getscheduler(0))
        return copy(raw_conn)

    def classed_finish(idle: float, max_wait: float, stop: threading.Event) -> bool:
        holds.append(os.sched_getscheduler(0))
        assert finish is not None
        return finish(idle, max_wait, stop)

    checkpointer._checkpoint = classed_copy  # type: ignore[method-assign]
    if finish is not None:
        checkpointer._finish = classed_finish
    return copies, holds


@needs_idle_class
async def test_by_default_copies_take_the_cores_gaps_and_completions_do_not(
    beside: SqliteDatabase,
) -> None:
    """Beside the writer the rounds copy at SCHED_IDLE; a completion (which bounds the WAL and
    holds the writer) runs in the normal class, and the WAL still restarts at its bound."""
    beside.checkpointer.interval = 0.2
    beside.checkpointer.finish_from_frames = 40
    copies, holds = _record_classes(beside)
    _, _, written, n = await _back_to_back(beside, 2.0)
    assert written == n
    assert beside.checkpointer.finished >= 3
    assert os.SCHED_IDLE in copies  # the rounds
    assert os.SCHED_OTHER in copies  # the completions' copies
    assert holds
    assert set(holds) == {os.SCHED_OTHER}


@needs_idle_class
async def test_the_held_checkpointer_never_waits_for_the_cores_gaps(db: SqliteDatabase) -> None:
    db.checkpointer.interval, db.checkpointer.idle = 0.02, 0.0
    copies, _ = _record_classes(db)
    db.start()
    try:
        for i in range(20):
            await db.write(_insert(f"H{i}"))
            await asyncio.sleep(0.01)
    finally:
        db.close()
    assert copies
    assert set(copies) == {os.SCHED_OTHER}


class _Class:
    """A stand-in for CorePriority: the class asked for, no system call."""

    def __init__(self) -> None:
        self.is_idle = True
        self.enabled = True

    def idle(self, idle: bool) -> None:
        self.is_idle = idle


def test_a_slow_idle_copy_sends_the_next_rounds_to_the_normal_class() -> None:
    """A copy in the idle class slower than the interval found no gaps (a saturated core): the
    next ``NORMAL_ROUNDS_AFTER_SLOW`` copies run in the normal class, then idle is tried again;
    a slow copy in the normal class changes nothing."""
    checkpointer = sqlite_engine.Checkpointer("sqlite://")
    checkpointer._priority = klass = _Class()  # type: ignore[assignment]
    checkpointer._choose_class(slow=False)
    assert klass.is_idle
    checkpointer._choose_class(slow=True)
    normal = 0
    while not klass.is_idle:
        normal += 1
        checkpointer._choose_class(slow=True)  # slow, but not idle: no new count
    assert normal == sqlite_engine.NORMAL_ROUNDS_AFTER_SLOW


def test_where_the_idle_class_cannot_be_left_it_is_not_entered(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """An unprivileged thread may enter SCHED_IDLE but not leave it: the checkpointer would be
    stuck there for the copies that bound the WAL, so it keeps the normal class."""
    calls: list[int] = []

    def refused_to_leave(pid: int, policy: int, param: os.sched_param) -> None:
        calls.append(policy)
        if policy != os.SCHED_IDLE:
            raise PermissionError(1, "Operation not permitted")

    monkeypatch.setattr(os, "sched_setscheduler", refused_to_leave)
    core_priority.idle_class_available.cache_clear()
    try:
        klass = core_priority.CorePriority()
        assert not klass.enabled
        calls.clear()
        klass.idle(True)
        assert calls == []
        assert not klass.is_idle
    finally:
        monkeypatch.undo()
        core_priority.idle_class_available.cache_clear()
