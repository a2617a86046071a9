"""A large batch runs on the event loop in slices (``writer_slice_ms``): other callbacks run
between its slices, and the batch keeps its one transaction, its one COMMIT, its units' own
rollbacks; closing the database on its loop between two slices finishes the batch."""

from __future__ import annotations

import asyncio
import itertools
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from sandbox.settings import Settings
from sandbox.storage.database import SqliteDatabase
from sandbox.storage.schema import banks

pytestmark = pytest.mark.anyio


def _database(settings: Settings, engine_name: str, slice_ms: float) -> SqliteDatabase:
    if engine_name != "sqlite":
        pytest.skip("the SQLite writer")
    database = SqliteDatabase(settings.model_copy(update={"writer_slice_ms": slice_ms}))
    database.start()
    return database


@pytest.fixture
def sliced(settings: Settings, engine_name: str) -> Iterator[SqliteDatabase]:
    database = _database(settings, engine_name, 0.000_001)  # a slice per unit
    try:
        yield database
    finally:
        database.close()


def _insert(code: str, events: list[str]) -> Callable[[sa.Connection], str]:
    def unit(conn: sa.Connection) -> str:
        events.append(code)
        if code.startswith("BAD"):
            raise ValueError(code)
        conn.execute(
            banks.insert().values(
                world_id="w1", code=code, name="Bank", psp_handle="bank", online=True
            )
        )
        return code

    return unit


def _codes(conn: sa.Connection) -> list[str]:
    return sorted(r.code for r in conn.execute(sa.select(banks.c.code)))


async def _ticking(events: list[str], stop: asyncio.Event) -> None:
    while not stop.is_set():
        events.append("tick")
        await asyncio.sleep(0)


async def _batch_with_ticks(db: SqliteDatabase, codes: list[str]) -> tuple[list[str], int]:
    """Runs ``codes`` as one batch beside a task that marks each loop turn: (events, COMMITs)."""
    events: list[str] = []
    commits: list[int] = []
    sa.event.listen(db.engine, "commit", lambda _conn: commits.append(threading.get_ident()))
    stop = asyncio.Event()
    ticker = asyncio.create_task(_ticking(events, stop))
    await asyncio.sleep(0)
    results = await asyncio.gather(
        *(db.write(_insert(c, events)) for c in codes), return_exceptions=True
    )
    stop.set()
    await ticker
    assert [r if isinstance(r, str) else repr(r) for r in results] == [
        c if not c.startswith("BAD") else repr(ValueError(c)) for c in codes
    ]
    return events, len(commits)


async def test_a_sliced_batch_lets_other_callbacks_run_and_commits_once(
    sliced: SqliteDatabase,
) -> None:
    codes = [f"S{i:02d}" for i in range(8)]
    events, commits = await _batch_with_ticks(sliced, codes)
    assert commits == 1  # one transaction, one COMMIT, whatever the slices
    units = [i for i, e in enumerate(events) if e != "tick"]
    assert len(units) == 8
    between = [events[a + 1 : b] for a, b in itertools.pairwise(units)]
    assert all("tick" in gap for gap in between), events  # the loop ran between each two
    assert sliced.read_sync(_codes) == codes


async def test_without_slices_a_batch_holds_the_loop_until_it_ends(
    settings: Settings, engine_name: str
) -> None:
    whole = _database(settings, engine_name, 0)
    try:
        codes = [f"W{i:02d}" for i in range(8)]
        events, commits = await _batch_with_ticks(whole, codes)
        assert commits == 1
        first = events.index("W00")
        assert events[first : first + 8] == codes  # no other callback in between
    finally:
        whole.close()


async def test_a_unit_that_fails_between_slices_is_rolled_back_alone(
    sliced: SqliteDatabase,
) -> None:
    codes = ["K1", "BAD2", "K3", "BAD4", "K5"]
    _, commits = await _batch_with_ticks(sliced, codes)
    assert commits == 1
    assert sliced.read_sync(_codes) == ["K1", "K3", "K5"]
    assert sliced.memory.get("anything") is None


def test_close_on_the_loop_between_slices_finishes_the_batch(
    settings: Settings, engine_name: str
) -> None:
    database = _database(settings, engine_name, 0.000_001)
    events: list[str] = []

    async def queue_then_close() -> list[str]:
        tasks = [asyncio.ensure_future(database.write(_insert(f"C{i}", events))) for i in range(4)]
        while not events:  # noqa: ASYNC110 - the batch began: one slice ran, the rest wait
            await asyncio.sleep(0)
        assert len(events) < 4
        database.close()  # on the loop, as the app's lifespan does
        return list(await asyncio.gather(*tasks))

    assert asyncio.run(queue_then_close()) == ["C0", "C1", "C2", "C3"]
    reopened = SqliteDatabase(settings)
    try:
        assert reopened.read_sync(_codes) == ["C0", "C1", "C2", "C3"]
    finally:
        reopened.close()


def _write_lock_free(path: Path) -> bool:
    """Whether another connection can take SQLite's write lock at once (no busy wait)."""
    other = sqlite3.connect(path, timeout=0.2, isolation_level=None)
    try:
        other.execute("BEGIN IMMEDIATE")
        other.execute("ROLLBACK")
        return True
    except sqlite3.OperationalError:
        return False
    finally:
        other.close()


def _closes(database: SqliteDatabase) -> bool:
    """Whether ``close()`` (off the loop, as a CLI's ``finally`` calls it) returns in time."""
    closer = threading.Thread(target=database.close, daemon=True)
    closer.start()
    closer.join(timeout=10)
    return not closer.is_alive()


def test_a_loop_closed_between_slices_rolls_the_batch_back_and_frees_the_lock(
    settings: Settings, engine_name: str
) -> None:
    """``asyncio.run`` ending while a batch waits for its next slice, without the database's
    close() on the loop: the loop drops the slice unrun. The batch (none of whose callers was
    answered) is rolled back and the write connection freed; it was held, with SQLite's write
    lock, for the life of the process, and close() waited for it forever."""
    database = _database(settings, engine_name, 0.000_001)  # a slice per unit
    events: list[str] = []

    pending: list[asyncio.Future[str]] = []

    async def leave_mid_batch() -> None:
        for i in range(50):
            pending.append(asyncio.ensure_future(database.write(_insert(f"L{i:02d}", events))))
        while not events:  # noqa: ASYNC110 - one slice ran, the rest wait as callbacks
            await asyncio.sleep(0)
        # returning leaves the writes pending: asyncio.run cancels them and closes the loop

    asyncio.run(leave_mid_batch())
    assert all(p.cancelled() for p in pending)  # none of the callers was answered
    assert 0 < len(events) < 50  # the loop closed with the batch under way
    assert _write_lock_free(settings.data_dir / "sandbox.db")
    reopened = SqliteDatabase(settings)
    try:
        reopened.write_sync(_insert("AFTER", []))
        assert reopened.read_sync(_codes) == ["AFTER"]  # nothing of the dropped batch
    finally:
        reopened.close()
    assert _closes(database)


def test_an_interrupt_inside_a_slice_rolls_the_batch_back_and_frees_the_lock(
    settings: Settings, engine_name: str
) -> None:
    """A KeyboardInterrupt (SIGINT's default) raised by a unit stops the loop mid-slice: the
    batch is rolled back, the connection freed, and the interrupt still propagates."""
    database = _database(settings, engine_name, 0.000_001)
    events: list[str] = []

    def interrupted(conn: sa.Connection) -> str:
        raise KeyboardInterrupt

    async def interrupt_mid_batch() -> None:  # one batch: I00's slice, then the interrupt's
        await asyncio.gather(database.write(_insert("I00", events)), database.write(interrupted))

    with pytest.raises(KeyboardInterrupt):
        asyncio.run(interrupt_mid_batch())
    assert events == ["I00"]  # it ran, in the batch the interrupt sank
    assert _write_lock_free(settings.data_dir / "sandbox.db")
    assert _closes(database)
    reopened = SqliteDatabase(settings)
    try:
        assert reopened.read_sync(_codes) == []
    finally:
        reopened.close()
