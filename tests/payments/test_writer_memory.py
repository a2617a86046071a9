"""The SQLite writer's memory of hot rows (sandbox/storage/writer_memory.py) stays equal to SQL:
after a unit rolled back alone, after a batch whose COMMIT failed, and after writes that are
not the hot path's own (a world's reset, a test changing an account). On PostgreSQL there is no
memory and the same tests hold by reading SQL."""

from __future__ import annotations

import asyncio

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from payments.store import PaymentsStore
from sandbox.settings import Settings
from sandbox.storage.database import open_database
from sandbox.storage.schema import accounts, daily_debits
from tests.support.http import SignedUp
from tests.support.upi import account_of, pay

pytestmark = pytest.mark.anyio

WORLD = "w-memory"
VPA = "someone@sandbox"


class Boom(Exception):
    pass


def _save_then(failures: int, *, fail: bool):  # type: ignore[no-untyped-def]
    def unit(conn: sa.Connection) -> tuple[int, int | None]:
        store = PaymentsStore(conn, WORLD)
        store.pin_state(VPA)  # read first: the writer now holds it
        store.save_pin_state(VPA, failures, 123)
        if fail:
            raise Boom
        return store.pin_state(VPA)

    return unit


def _pin_state(conn: sa.Connection) -> tuple[int, int | None]:
    return PaymentsStore(conn, WORLD).pin_state(VPA)


async def test_a_unit_rolled_back_alone_leaves_no_trace_in_memory(settings: Settings) -> None:
    db = open_database(settings)
    db.start()
    try:
        assert await db.write(_save_then(1, fail=False)) == (1, 123)
        with pytest.raises(Boom):
            await db.write(_save_then(2, fail=True))
        # the writer reads what SQL holds after the ROLLBACK TO, not what the unit had set
        assert await db.write(_pin_state) == (1, 123)
        assert await db.read(_pin_state) == (1, 123)
    finally:
        db.close()


async def test_a_batch_that_fails_to_commit_is_forgotten_before_its_callers_hear(
    settings: Settings, engine_name: str
) -> None:
    if engine_name != "sqlite":
        pytest.skip("group commit is the SQLite path")
    db = open_database(settings)
    db.start()
    try:
        assert await db.write(_save_then(1, fail=False)) == (1, 123)

        def refuse(_conn: sa.Connection) -> None:
            raise OSError("disk full")

        sa.event.listen(db.engine, "commit", refuse)
        with pytest.raises(OSError, match="disk full"):
            await db.write(_save_then(2, fail=False))
        sa.event.remove(db.engine, "commit", refuse)
        # nothing of the failed batch is durable, and the writer does not remember it either
        assert await db.write(_pin_state) == (1, 123)
        assert await db.read(_pin_state) == (1, 123)
    finally:
        db.close()


async def test_other_writes_to_hot_tables_are_seen_by_the_next_payment(
    client: httpx.AsyncClient, app: FastAPI, partner: SignedUp
) -> None:
    first = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")
    assert first.json()["responseCode"] == "00"  # the writer now holds asha's party
    number = await account_of(app, partner, "asha@sandbox")

    def freeze(conn: sa.Connection) -> None:
        conn.execute(
            sa.update(accounts)
            .where(accounts.c.world_id == partner.partner_id, accounts.c.number == number)
            .values(status="FROZEN")
        )

    await app.state.sandbox.db.write(freeze)
    frozen = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")
    assert frozen.json()["responseCode"] == "YE"


async def test_todays_total_follows_a_reset_of_the_daily_row(
    client: httpx.AsyncClient, app: FastAPI, partner: SignedUp
) -> None:
    """The daily limit reads today's total; a write to daily_debits that is not a payment's
    (here: raising it to the limit) counts at once."""
    assert (await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")).json()[
        "responseCode"
    ] == "00"
    number = await account_of(app, partner, "asha@sandbox")

    def at_limit(conn: sa.Connection) -> None:
        conn.execute(
            sa.update(daily_debits)
            .where(
                daily_debits.c.world_id == partner.partner_id,
                daily_debits.c.account_number == number,
            )
            .values(total=10**12)
        )

    await app.state.sandbox.db.write(at_limit)
    over = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")
    assert over.json()["responseCode"] == "ZU"


async def test_concurrent_wrong_pins_lock_after_three_with_memory(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Wrong PINs of one batch count one by one in memory as they did in SQL."""
    answers = await asyncio.gather(
        *(
            pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00", pin="9999")
            for _ in range(5)
        )
    )
    codes = sorted(a.json()["responseCode"] for a in answers)
    assert codes == ["Z6", "Z6", "Z6", "ZM", "ZM"]
    right = await pay(client, partner, "asha@sandbox", "ravi@sandbox", "1.00")
    assert right.json()["responseCode"] == "Z6"
