"""The SQLite writer on the event loop (sandbox/storage/sqlite.py): a batch's units run on the
loop, its COMMIT on the commit thread, ``write_sync`` on the writer thread, one batch at a time;
a batch whose COMMIT fails is forgotten and rolled back before any caller hears."""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa

from sandbox.settings import Settings
from sandbox.storage import sqlite_batch, sqlite_engine, writer_memory
from sandbox.storage.database import SqliteDatabase
from sandbox.storage.schema import banks
from sandbox.storage.sqlite_batch import BatchAbandoned
from sandbox.storage.sqlite_engine import PENDING_BYTE, SMALL_DATABASE_CACHE_MB, writer_cache_mb
from tests.storage.bank_units import bank_codes, insert_bank

pytestmark = pytest.mark.anyio


@pytest.fixture
def db(sqlite_writer: Callable[..., SqliteDatabase]) -> SqliteDatabase:
    return sqlite_writer()


async def test_units_run_on_the_loop_and_one_commit_off_it_answers_them_all(
    db: SqliteDatabase,
) -> None:
    units: list[int] = []
    commits: list[int] = []
    sa.event.listen(db.engine, "commit", lambda _conn: commits.append(threading.get_ident()))
    codes = [f"L{i:02d}" for i in range(20)]
    assert await asyncio.gather(*(db.write(insert_bank(c, seen=units)) for c in codes)) == codes
    assert set(units) == {threading.get_ident()}  # no thread hop per unit
    assert len(commits) == 1  # queued in one loop turn: one batch, one COMMIT
    assert commits[0] != threading.get_ident()  # the fsync does not hold the loop
    assert db.read_sync(bank_codes) == codes


async def test_the_memory_is_seen_only_inside_a_batch(db: SqliteDatabase) -> None:
    """Reads on the loop must never see what a batch not yet committed put in memory."""
    inside: list[object] = []
    await db.write(lambda _conn: inside.append(writer_memory.current()))
    assert inside == [db.memory]
    assert writer_memory.current() is None


async def test_write_sync_from_threads_and_write_on_the_loop_never_overlap(
    db: SqliteDatabase,
) -> None:
    running = threading.Lock()
    overlaps: list[str] = []

    def unit(code: str):  # type: ignore[no-untyped-def]
        insert = insert_bank(code)

        def guarded(conn: sa.Connection) -> None:
            if not running.acquire(blocking=False):
                overlaps.append(code)
                return
            try:
                insert(conn)
            finally:
                running.release()

        return guarded

    def from_thread(n: int) -> None:
        for i in range(25):
            db.write_sync(unit(f"T{n}-{i:02d}"))

    threads = [threading.Thread(target=from_thread, args=(n,)) for n in range(3)]
    for t in threads:
        t.start()
    for i in range(10):
        await asyncio.gather(*(db.write(unit(f"A{i}-{j}")) for j in range(10)))
    for t in threads:
        await asyncio.to_thread(t.join)
    assert overlaps == []
    assert len(db.read_sync(bank_codes)) == 3 * 25 + 100


async def test_a_failed_commit_forgets_and_rolls_back_before_any_caller_hears(
    db: SqliteDatabase,
) -> None:
    await db.write(insert_bank("KEPT"))

    def remembering(code: str):  # type: ignore[no-untyped-def]
        insert = insert_bank(code)

        def unit(conn: sa.Connection) -> str:
            insert(conn)
            memory = writer_memory.current()
            assert memory is not None
            memory.put(("seen", code), 1)  # as a store does beside its row
            return code

        return unit

    def refuse(_conn: sa.Connection) -> None:
        raise OSError("disk full")

    sa.event.listen(db.engine, "commit", refuse)

    async def caller(code: str) -> tuple[str, int]:
        try:
            await db.write(remembering(code))
        except OSError as exc:
            return str(exc), len(db.memory)  # what the memory holds the moment it is answered
        return "committed", len(db.memory)

    answers = await asyncio.gather(*(caller(f"LOST{i}") for i in range(5)))
    sa.event.remove(db.engine, "commit", refuse)
    assert answers == [("disk full", 0)] * 5
    # the transaction was rolled back: the next batch begins and commits, the lost rows are gone
    assert await db.write(remembering("AFTER")) == "AFTER"
    assert db.read_sync(bank_codes) == ["AFTER", "KEPT"]
    assert len(db.memory) == 1


async def test_callers_are_answered_before_the_units_queued_behind_their_commit_run(
    db: SqliteDatabase,
) -> None:
    """One wake-up after a COMMIT resumes its callers, then starts the batch that queued while
    it was in flight: a payment's answer no longer waits for the next batch's units."""
    order: list[str] = []
    in_commit, go_on = threading.Event(), threading.Event()

    def held_commit(_conn: sa.Connection) -> None:
        if not in_commit.is_set():  # the first COMMIT only
            in_commit.set()
            go_on.wait(5)

    def unit(code: str):  # type: ignore[no-untyped-def]
        insert = insert_bank(code)

        def run(conn: sa.Connection) -> None:
            order.append(f"unit {code}")
            insert(conn)

        return run

    async def caller(code: str) -> None:
        await db.write(unit(code))
        order.append(f"answered {code}")

    sa.event.listen(db.engine, "commit", held_commit)
    first = asyncio.ensure_future(caller("A"))
    assert await asyncio.to_thread(in_commit.wait, 5)  # A's COMMIT is in flight
    second = asyncio.ensure_future(caller("B"))
    await asyncio.sleep(0.05)  # B's flush found the connection busy: B waits for A's COMMIT
    go_on.set()
    await asyncio.gather(first, second)
    sa.event.remove(db.engine, "commit", held_commit)
    assert order == ["unit A", "answered A", "unit B", "answered B"]


def test_close_finishes_units_still_queued_on_a_loop(settings: Settings, engine_name: str) -> None:
    if engine_name != "sqlite":
        pytest.skip("the SQLite writer")
    database = SqliteDatabase(settings)
    database.start()

    async def queue_then_close() -> list[str]:
        tasks = [asyncio.ensure_future(database.write(insert_bank(f"Q{i}"))) for i in range(3)]
        await asyncio.sleep(0)  # the units are queued, their flush not run yet
        database.close()
        return list(await asyncio.gather(*tasks))

    assert asyncio.run(queue_then_close()) == ["Q0", "Q1", "Q2"]
    reopened = SqliteDatabase(settings)
    try:
        assert reopened.read_sync(bank_codes) == ["Q0", "Q1", "Q2"]
    finally:
        reopened.close()


async def test_a_restarted_wal_is_cut_back_to_its_limit(
    settings: Settings, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The WAL file used to keep the largest size it reached (10.5 GB after a million preloaded
    payments); with journal_size_limit, the first write after the checkpointer caught up
    restarts the WAL and cuts the file back to ``WAL_LIMIT_BYTES``, losing no row."""
    if engine_name != "sqlite":
        pytest.skip("the SQLite writer")
    from sandbox.storage import sqlite_engine

    monkeypatch.setattr(sqlite_engine, "WAL_LIMIT_BYTES", 64 * 1024)
    monkeypatch.setattr(sqlite_engine, "CHECKPOINT_SECONDS", 0.05)
    database = SqliteDatabase(settings)
    database.start()
    try:
        [(path,)] = database.read_sync(
            lambda conn: [
                (r[2],) for r in conn.exec_driver_sql("PRAGMA database_list") if r[1] == "main"
            ]
        )
        wal = Path(f"{path}-wal")
        for batch in range(40):  # ~2 MB of WAL, far past the 64 KB limit
            await asyncio.gather(*(db_write(database, f"T{batch:02d}{i:03d}") for i in range(50)))
        grown = _size(wal)
        for attempt in range(100):  # a write after each of the checkpointer's next rounds
            await asyncio.sleep(0.06)
            await db_write(database, f"U{attempt:03d}")
            if _size(wal) <= 64 * 1024:
                break
        assert grown > 64 * 1024
        assert _size(wal) <= 64 * 1024
        count = database.read_sync(lambda conn: len(bank_codes(conn)))
        assert count == 40 * 50 + attempt + 1  # every row is in the database file, none lost
    finally:
        database.close()


async def db_write(database: SqliteDatabase, code: str) -> str:
    def unit(conn: sa.Connection) -> str:
        conn.execute(
            banks.insert().values(
                world_id="w1", code=code, name="Bank " + "x" * 500, psp_handle="b", online=True
            )
        )
        return code

    return await database.write(unit)


def _size(path: Path) -> int:
    return path.stat().st_size


async def test_the_write_connection_takes_its_cache_and_map_from_the_settings(
    settings: Settings, engine_name: str
) -> None:
    """The writer's page cache and file map come from the settings, and its statement journal
    (each unit's SAVEPOINT) stays in memory instead of spilling to a temporary file."""
    if engine_name != "sqlite":
        pytest.skip("the SQLite writer")
    database = SqliteDatabase(
        settings.model_copy(update={"sqlite_cache_mb": 8, "sqlite_mmap_mb": 1})
    )
    database.start()
    try:

        def pragmas(conn: sa.Connection) -> tuple[int, int, int]:
            return tuple(
                conn.exec_driver_sql(f"PRAGMA {name}").scalar_one()
                for name in ("cache_size", "mmap_size", "temp_store")
            )

        assert await database.write(pragmas) == (-8 * 1024, 1024 * 1024, 2)  # 2: MEMORY
        read = database.read_sync(lambda c: c.exec_driver_sql("PRAGMA mmap_size").scalar_one())
        assert read == 1024 * 1024
    finally:
        database.close()


def test_the_writer_caps_its_page_cache_while_the_database_is_under_a_gigabyte() -> None:
    """Below the lock byte's page (1 GB of 4 KB pages) a COMMIT after a B-tree split walks the
    whole page cache, so the writer keeps at most ``SMALL_DATABASE_CACHE_MB`` there; from that
    page on the walk never happens and the setting applies."""
    pending_page = PENDING_BYTE // 4096 + 1
    assert writer_cache_mb(256, 40_000, 4096) == SMALL_DATABASE_CACHE_MB
    assert writer_cache_mb(256, pending_page - 1, 4096) == SMALL_DATABASE_CACHE_MB
    assert writer_cache_mb(256, pending_page, 4096) == 256
    assert writer_cache_mb(8, 40_000, 4096) == 8  # a smaller setting is kept as it is
    assert writer_cache_mb(256, PENDING_BYTE // 8192 + 1, 8192) == 256


async def test_a_small_database_gets_the_capped_cache_and_keeps_it_as_batches_go_by(
    sqlite_writer: Callable[..., SqliteDatabase], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The write connection of a database under 1 GB opens with the capped cache, and sizes it
    again every ``CACHE_CHECK_BATCHES`` batches (then for a database that grew past 1 GB)."""
    monkeypatch.setattr(sqlite_batch, "CACHE_CHECK_BATCHES", 2)
    database = sqlite_writer(sqlite_cache_mb=256)

    def cache_size(conn: sa.Connection) -> int:
        return int(conn.exec_driver_sql("PRAGMA cache_size").scalar_one())

    assert await database.write(cache_size) == -1024 * SMALL_DATABASE_CACHE_MB
    monkeypatch.setattr(sqlite_engine, "SMALL_DATABASE_CACHE_MB", 4)
    await database.write(cache_size)  # the second batch sizes it again
    assert await database.write(cache_size) == -1024 * 4


def test_a_unit_raising_system_exit_on_the_writer_thread_rolls_its_batch_back(
    settings: Settings, engine_name: str
) -> None:
    """``write_sync``'s units run on the writer thread: one that raises SystemExit (a
    BaseException) used to leave its batch's transaction open and end the writer thread, so
    its caller and every later ``write_sync`` waited forever. Now the batch is rolled back, the
    caller gets its SystemExit back, a batch-mate gets ``BatchAbandoned``, and the writer goes
    on."""
    if engine_name != "sqlite":
        pytest.skip("the SQLite writer thread")
    database = SqliteDatabase(settings)
    database.start()
    blocking, go_on = threading.Event(), threading.Event()

    def first(conn: sa.Connection) -> str:
        blocking.set()
        go_on.wait(5)  # the next two units queue behind it: one batch of their own
        return insert_bank("FIRST")(conn)

    def exits(conn: sa.Connection) -> None:
        insert_bank("EXITS")(conn)
        raise SystemExit(3)

    pool = concurrent.futures.ThreadPoolExecutor(max_workers=3)
    try:
        first_done = pool.submit(database.write_sync, first)
        assert blocking.wait(5)
        exiting = pool.submit(database.write_sync, exits)
        time.sleep(0.05)
        mate = pool.submit(database.write_sync, insert_bank("MATE"))
        time.sleep(0.05)
        go_on.set()
        assert first_done.result(timeout=5) == "FIRST"
        with pytest.raises(SystemExit):
            exiting.result(timeout=5)
        with pytest.raises(BatchAbandoned, match="SystemExit"):
            mate.result(timeout=5)
        assert pool.submit(database.write_sync, insert_bank("AFTER")).result(timeout=5) == "AFTER"
        assert database.read_sync(bank_codes) == ["AFTER", "FIRST"]
    finally:
        go_on.set()
        pool.shutdown(wait=False, cancel_futures=True)
        database.close()
