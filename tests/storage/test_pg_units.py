"""PostgreSQL's event-loop units: checked out, run and checked in within one greenlet.

Whatever way a unit ends (committed, failed after its first statement, cancelled while it
waits for the server, a read at REPEATABLE READ), its connection is back in the pool and clean:
no transaction open, autocommit and read-write again (a write unit sends its own BEGIN)."""

from __future__ import annotations

import asyncio

import pytest
import sqlalchemy as sa
from psycopg import pq
from sqlalchemy.engine import Connection

from sandbox.settings import Settings
from sandbox.storage import raw
from sandbox.storage.database import open_database
from sandbox.storage.postgres import PostgresDatabase
from tests.storage.bank_units import ADD_BANK

pytestmark = pytest.mark.anyio


def _all_clean(db: PostgresDatabase) -> None:
    """Nothing checked out but the connections held for the next write unit; every connection
    still open is idle, autocommit, read-write (one found broken, as after a cancelled
    statement, was closed and is out of the pool)."""
    pool = db.async_engine.sync_engine.pool
    assert pool.checkedout() == len(db._held)  # type: ignore[attr-defined]
    drivers = [d for d in db._drivers if not d.closed]
    for driver in drivers:
        assert driver.pgconn.transaction_status == pq.TransactionStatus.IDLE
        assert driver.autocommit
        assert not driver.read_only


async def _banks(db: PostgresDatabase, code: str) -> int:
    def count(conn: Connection) -> int:
        found = conn.execute(sa.text("SELECT count(*) FROM banks WHERE code = :c"), {"c": code})
        return int(found.scalar_one())

    return await db.read(count)


@pytest.mark.usefixtures("postgres_only")
async def test_a_unit_that_fails_is_rolled_back_and_its_connection_returned_clean(
    settings: Settings,
) -> None:
    db = open_database(settings)
    assert isinstance(db, PostgresDatabase)
    try:

        def fails(conn: Connection) -> None:
            raw.execute(conn, ADD_BANK, {"world_id": "w-none", "code": "UF"})
            raise RuntimeError("the unit fails inside its transaction")

        with pytest.raises(RuntimeError):
            await db.write(fails)
        _all_clean(db)
        assert await _banks(db, "UF") == 0
        _all_clean(db)  # a read (REPEATABLE READ, read only) leaves it as it found it

        def adds(conn: Connection) -> None:
            raw.execute(conn, ADD_BANK, {"world_id": "w-none", "code": "UF"})

        await db.write(adds)  # the same connection, its own BEGIN again
        _all_clean(db)
        assert await _banks(db, "UF") == 1
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
@pytest.mark.parametrize("kind", ["write", "read"])
async def test_a_unit_cancelled_while_it_waits_returns_its_connection_clean(
    settings: Settings, kind: str
) -> None:
    """Cancelled mid-statement (a client gone, a timeout): the statement is cancelled, the
    transaction rolled back, the connection back in the pool, clean, and none of it kept."""
    db = open_database(settings)
    assert isinstance(db, PostgresDatabase)
    started = asyncio.Event()
    try:

        def waits(conn: Connection) -> None:
            if kind == "write":
                raw.execute(conn, ADD_BANK, {"world_id": "w-none", "code": "UC"})
            started.set()
            conn.execute(sa.text("SELECT pg_sleep(30)"))

        task = asyncio.ensure_future(db.write(waits) if kind == "write" else db.read(waits))
        await asyncio.wait_for(started.wait(), 10)
        await asyncio.sleep(0.2)  # the pg_sleep is on the server
        task.cancel()
        with pytest.raises(asyncio.CancelledError):
            await asyncio.wait_for(task, 10)
        _all_clean(db)
        assert await _banks(db, "UC") == 0
        _all_clean(db)
    finally:
        db.close()
