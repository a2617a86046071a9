"""Units of work: group commit on SQLite, a transaction per unit on PostgreSQL."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
import sqlalchemy as sa

from sandbox.settings import Settings
from sandbox.storage.database import PostgresDatabase, SqliteDatabase, open_database
from sandbox.storage.schema import banks

pytestmark = pytest.mark.anyio


def _insert_bank(code: str, fail: bool = False):  # type: ignore[no-untyped-def]
    def unit(conn: sa.Connection) -> str:
        conn.execute(
            banks.insert().values(
                world_id="w1", code=code, name="Bank", psp_handle="bank", online=True
            )
        )
        if fail:
            raise ValueError(f"unit {code} fails")
        return code

    return unit


def _codes(conn: sa.Connection) -> list[str]:
    return sorted(r.code for r in conn.execute(sa.select(banks.c.code)))


def test_the_engine_picks_the_database(settings: Settings, engine_name: str) -> None:
    db = open_database(settings)
    try:
        expected = SqliteDatabase if engine_name == "sqlite" else PostgresDatabase
        assert type(db) is expected
        assert db.is_sqlite == (engine_name == "sqlite")
    finally:
        db.close()


async def test_concurrent_units_all_commit_and_a_failing_one_rolls_back_alone(
    settings: Settings,
) -> None:
    db = open_database(settings)
    db.start()
    try:
        codes = [f"B{i:03d}" for i in range(60)]
        results = await asyncio.gather(
            *(db.write(_insert_bank(c, fail=(c == "B007"))) for c in codes),
            return_exceptions=True,
        )
        failed = [r for r in results if isinstance(r, Exception)]
        assert len(failed) == 1
        assert "B007 fails" in str(failed[0])
        assert await db.read(_codes) == [c for c in codes if c != "B007"]
    finally:
        db.close()


async def test_sqlite_is_durable_wal_and_full_sync(settings: Settings, engine_name: str) -> None:
    if engine_name != "sqlite":
        pytest.skip("SQLite pragmas")
    db = open_database(settings)
    db.start()
    try:
        mode = await db.write(lambda c: c.exec_driver_sql("PRAGMA journal_mode").scalar())
        sync = await db.write(lambda c: c.exec_driver_sql("PRAGMA synchronous").scalar())
        assert (mode, sync) == ("wal", 2)  # 2 = FULL
    finally:
        db.close()


async def test_answer_comes_after_commit(settings: Settings, engine_name: str) -> None:
    """Once write() returns, another connection (another process) sees the row."""
    db = open_database(settings)
    db.start()
    try:
        await db.write(_insert_bank("SEEN"))
        if engine_name == "sqlite":
            raw = sqlite3.connect(settings.data_dir / "sandbox.db")
            found = raw.execute("SELECT code FROM banks WHERE code='SEEN'").fetchall()
            raw.close()
        else:
            other = sa.create_engine(settings.sqlalchemy_url)
            with other.connect() as conn:
                found = list(conn.execute(sa.text("SELECT code FROM banks WHERE code='SEEN'")))
            other.dispose()
        assert len(found) == 1
    finally:
        db.close()


def test_write_sync_outside_an_event_loop(settings: Settings) -> None:
    db = open_database(settings)
    db.start()
    try:
        assert db.write_sync(_insert_bank("SYNC")) == "SYNC"
        with pytest.raises(ValueError, match="fails"):
            db.write_sync(_insert_bank("BAD", fail=True))
        assert db.read_sync(_codes) == ["SYNC"]
    finally:
        db.close()


def test_group_commit_batches_units(settings: Settings, engine_name: str) -> None:
    """Units queued while the writer is busy share one COMMIT."""
    if engine_name != "sqlite":
        pytest.skip("group commit is the SQLite path")
    import concurrent.futures

    db = open_database(settings)
    commits = []
    sa.event.listen(db.engine, "commit", lambda conn: commits.append(1))
    db.start()
    try:
        with concurrent.futures.ThreadPoolExecutor(max_workers=16) as pool:
            list(pool.map(lambda i: db.write_sync(_insert_bank(f"C{i:03d}")), range(200)))
        assert len(db.read_sync(_codes)) == 200
        assert len(commits) < 200
    finally:
        db.close()


async def test_the_checkpointer_copies_the_wal_into_the_database_file(
    settings: Settings, engine_name: str
) -> None:
    """Commits land in the WAL; the checkpointer thread (not the writer, whose automatic
    checkpoints are off) copies them into the main file within seconds."""
    if engine_name != "sqlite":
        pytest.skip("SQLite WAL")
    db = open_database(settings)
    db.start()
    try:
        await db.write(_insert_bank("CKPT"))
        path = (settings.data_dir / "sandbox.db").resolve()
        deadline = asyncio.get_running_loop().time() + 5
        found: list[tuple[str]] = []
        while not found and asyncio.get_running_loop().time() < deadline:
            # immutable=1 reads the main file alone, ignoring the WAL
            main_only = sqlite3.connect(f"file:{path}?immutable=1", uri=True)
            found = main_only.execute("SELECT code FROM banks WHERE code='CKPT'").fetchall()
            main_only.close()
            await asyncio.sleep(0.2)
        assert found == [("CKPT",)]
    finally:
        db.close()


def test_a_writer_that_cannot_open_the_database_answers_instead_of_hanging(
    settings: Settings, engine_name: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    if engine_name != "sqlite":
        pytest.skip("the SQLite writer thread")
    db = open_database(settings)

    def cannot_connect() -> sa.Connection:
        raise sa.exc.OperationalError("connect", {}, Exception("disk is gone"))

    monkeypatch.setattr(db.engine, "connect", cannot_connect)
    db.start()
    try:
        with pytest.raises(sa.exc.OperationalError, match="disk is gone"):
            db.write_sync(_insert_bank("NOPE"))
        with pytest.raises(sa.exc.OperationalError):  # and every later unit too
            db.write_sync(_insert_bank("NOPE"))
    finally:
        db.close()
