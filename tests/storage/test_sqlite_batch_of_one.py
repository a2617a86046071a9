"""The SQLite writer's batch of one (sandbox/storage/sqlite.py): BEGIN and COMMIT on the driver
connection around its unit alone, no SAVEPOINT; a unit that raises leaves nothing; units that use
SQLAlchemy Core or the driver connection commit alike, alone or together."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest
import sqlalchemy as sa

from sandbox.storage import writer_memory
from sandbox.storage.database import SqliteDatabase
from sandbox.storage.schema import banks
from tests.storage.bank_units import bank_codes

pytestmark = pytest.mark.anyio

_RAW_INSERT = "INSERT INTO banks (world_id, code, name, psp_handle, online) VALUES (?, ?, ?, ?, 1)"


@pytest.fixture
def db(sqlite_writer: Callable[..., SqliteDatabase]) -> SqliteDatabase:
    return sqlite_writer()


def _core(code: str, *, fail: bool = False):  # type: ignore[no-untyped-def]
    def unit(conn: sa.Connection) -> str:
        conn.execute(
            banks.insert().values(world_id="w1", code=code, name="B", psp_handle="b", online=True)
        )
        memory = writer_memory.current()
        assert memory is not None
        memory.put(("bank", code), 1)
        if fail:
            raise ValueError(f"{code} fails after its insert")
        return code

    return unit


def _raw(code: str, *, fail: bool = False):  # type: ignore[no-untyped-def]
    def unit(conn: sa.Connection) -> str:
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute(_RAW_INSERT, ("w1", code, "B", "b"))
        if fail:
            raise ValueError(f"{code} fails after its insert")
        return code

    return unit


async def test_a_batch_of_one_runs_begin_its_unit_and_commit_only(db: SqliteDatabase) -> None:
    await db.write(_raw("WARM"))  # the write connection exists
    raw = db._raw  # the statements SQLite itself runs on it
    statements: list[str] = []
    raw.set_trace_callback(statements.append)
    try:
        assert await db.write(_raw("ONE")) == "ONE"
    finally:
        raw.set_trace_callback(None)
    assert [s.split()[0] for s in statements] == ["BEGIN", "INSERT", "COMMIT"]


async def test_a_failed_unit_alone_in_its_batch_leaves_nothing(db: SqliteDatabase) -> None:
    commits: list[int] = []
    sa.event.listen(db.engine, "commit", lambda _conn: commits.append(1))
    for unit in (_raw("RAWBAD", fail=True), _core("COREBAD", fail=True)):
        with pytest.raises(ValueError, match="fails after its insert"):
            await db.write(unit)
    assert commits == []  # nothing to commit
    assert len(db.memory) == 0  # what the failed unit remembered went with it
    # the connection is out of both transactions: the next batches begin and commit
    assert await db.write(_core("CORE")) == "CORE"
    assert await db.write(_raw("RAW")) == "RAW"
    assert len(commits) == 2
    assert db.read_sync(bank_codes) == ["CORE", "RAW"]
    assert len(db.memory) == 1


async def test_core_and_driver_units_share_a_batch_and_its_one_commit(
    db: SqliteDatabase,
) -> None:
    commits: list[int] = []
    sa.event.listen(db.engine, "commit", lambda _conn: commits.append(1))
    units = [_raw("R1"), _core("C1"), _core("CBAD", fail=True), _raw("R2"), _core("C2")]
    answers = await asyncio.gather(*(db.write(u) for u in units), return_exceptions=True)
    assert answers[:2] == ["R1", "C1"]
    assert isinstance(answers[2], ValueError)
    assert answers[3:] == ["R2", "C2"]
    assert len(commits) == 1
    assert db.read_sync(bank_codes) == ["C1", "C2", "R1", "R2"]
    # and SQLAlchemy's transaction ended with the batch's COMMIT: a driver batch follows
    assert await db.write(_raw("R3")) == "R3"
    assert db.read_sync(bank_codes) == ["C1", "C2", "R1", "R2", "R3"]
