"""PostgreSQL's write units on connections held checked out between units (``_Held``).

A write unit takes a held connection instead of checking one out of the pool, and puts it back
once committed; the pool still bounds them, a dead one is replaced and its unit run again, and
``close()`` lets go of them all."""

from __future__ import annotations

import asyncio
import gc
from collections.abc import Callable
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sandbox.settings import Settings
from sandbox.storage import raw
from sandbox.storage.postgres import PostgresDatabase
from sandbox.storage.raw import Raw
from tests.storage.bank_units import ADD_BANK

pytestmark = pytest.mark.anyio

_PID = Raw("SELECT pg_backend_pid()")


def _pid(conn: Connection) -> int:
    row = raw.fetchone(conn, _PID, {})
    assert row is not None
    return int(row[0])


def _checkouts(db: PostgresDatabase) -> list[int]:
    """How many times the loop engine's pool has handed out a connection (from now on)."""
    count = [0]

    def checkout(*_: Any) -> None:
        count[0] += 1

    sa.event.listen(db.async_engine.sync_engine, "checkout", checkout)
    return count


def _open(db: PostgresDatabase) -> int:
    return sum(1 for driver in db._drivers if not driver.closed)


@pytest.mark.usefixtures("postgres_only")
async def test_write_units_reuse_one_held_connection_without_a_checkout(
    settings: Settings,
) -> None:
    db = PostgresDatabase(settings)
    try:
        first = await db.write(_pid)
        checkouts = _checkouts(db)
        assert [await db.write(_pid) for _ in range(3)] == [first] * 3
        assert checkouts == [0]
        assert len(db._held) == 1
        assert db.async_engine.sync_engine.pool.checkedout() == 1  # type: ignore[attr-defined]
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
async def test_a_failed_write_gives_its_connection_back_to_the_pool(settings: Settings) -> None:
    db = PostgresDatabase(settings)
    try:
        await db.write(_pid)

        def fails(conn: Connection) -> None:
            raw.execute(conn, ADD_BANK, {"world_id": "w-none", "code": "HF"})
            raise RuntimeError("the unit fails inside its transaction")

        with pytest.raises(RuntimeError):
            await db.write(fails)
        assert len(db._held) == 0
        assert db.async_engine.sync_engine.pool.checkedout() == 0  # type: ignore[attr-defined]
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
async def test_a_held_connection_found_dead_is_replaced_and_the_unit_runs_again(
    settings: Settings,
) -> None:
    """The server drops a held connection (a restart, an admin): the next write unit meets it,
    the connection is invalidated, every other held one is closed too (they would be dead after
    a restart), and the unit runs once more on a fresh connection and commits once."""
    db = PostgresDatabase(settings)
    try:
        pids = await asyncio.gather(*(db.write(_slow_pid) for _ in range(2)))
        assert len(set(pids)) == 2
        assert len(db._held) == 2
        db.write_sync(
            lambda conn: conn.execute(
                sa.text("SELECT pg_terminate_backend(p) FROM unnest(CAST(:p AS int[])) AS p"),
                {"p": pids},
            )
        )
        runs = [0]

        def adds(conn: Connection) -> int:
            runs[0] += 1
            raw.execute(conn, ADD_BANK, {"world_id": "w-none", "code": "HK"})
            return _pid(conn)

        fresh = await db.write(adds)
        assert runs == [2]  # once on the dead connection, once on a fresh one
        assert fresh not in pids
        assert len(db._held) == 1  # the other dead one was dropped, not kept
        assert await db.write(_pid) == fresh

        def banks(conn: Connection) -> int:
            found = conn.execute(sa.text("SELECT count(*) FROM banks WHERE code = 'HK'"))
            return int(found.scalar_one())

        assert await db.read(banks) == 1
    finally:
        db.close()


def _slow_pid(conn: Connection) -> int:
    """A write unit that keeps its connection a moment, so that concurrent ones take others."""
    conn.execute(sa.text("SELECT pg_sleep(0.2)"))
    return _pid(conn)


@pytest.mark.usefixtures("postgres_only")
async def test_the_pool_bounds_the_held_connections(
    make_settings: Callable[..., Settings],
) -> None:
    """At a peak the pool's overflow serves the units; afterwards ``SANDBOX_PG_POOL_SIZE`` are
    held, and the pool keeps up to as many idle and closes the rest (its overflow)."""
    db = PostgresDatabase(make_settings(pg_pool_size=2, pg_max_overflow=4))
    try:
        peak = await asyncio.gather(*(db.write(_slow_pid) for _ in range(6)))
        assert len(set(peak)) == 6  # pool 2 + overflow 4, all at once
        assert len(db._held) == 2
        assert _open(db) == 4  # 2 held, 2 idle in the pool, 2 closed
        assert db.async_engine.sync_engine.pool.checkedout() == 2  # type: ignore[attr-defined]
        await db.read(_pid)  # a read checks out of the pool beside the held ones
        assert _open(db) == 4
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
async def test_with_no_overflow_the_held_connections_leave_one_for_reads(
    make_settings: Callable[..., Settings],
) -> None:
    """Pool 2, no overflow: a peak of writes holds at most one afterwards, so a read gets the
    other at once instead of waiting out the pool's timeout behind connections held idle."""
    db = PostgresDatabase(make_settings(pg_pool_size=2, pg_max_overflow=0))
    try:
        await asyncio.gather(*(db.write(_slow_pid) for _ in range(4)))
        assert len(db._held) == 1
        assert await asyncio.wait_for(db.read(_pid), timeout=5) > 0
    finally:
        db.close()


@pytest.mark.usefixtures("postgres_only")
async def test_close_lets_go_of_the_held_connections(settings: Settings) -> None:
    db = PostgresDatabase(settings)
    await asyncio.gather(*(db.write(_slow_pid) for _ in range(3)))
    assert len(db._held) == 3
    drivers = list(db._drivers)
    db.close()
    assert len(db._held) == 0
    assert all(driver.closed for driver in drivers)
    del drivers
    gc.collect()  # no warning of a connection left checked out (warnings are errors here)
