"""``PaymentsStore``'s balances without HTTP: credits, debits and, on PostgreSQL, the queue of
credits that keeps a hot payee's row out of every payment's locks (DESIGN.md section 3).

The API tests assert only what a partner sees (balances, conservation, one winner of a race);
how the store gets there is checked here, so a different hot-account strategy rewrites this file
and leaves those tests alone.
"""

from __future__ import annotations

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from payments.store import PaymentsStore
from sandbox.storage.database import Database
from sandbox.storage.schema import accounts, credit_queue
from tests.support.http import SignedUp
from tests.support.upi import account_of

pytestmark = pytest.mark.anyio

RAVI = "ravi@sandbox"  # 25,000.00 at signup
OPENING = 2_500_000


def _db(app: FastAPI) -> Database:
    db: Database = app.state.sandbox.db
    return db


def _applied_and_queued(conn: sa.Connection, world_id: str, account: str) -> tuple[int, int]:
    """The balance row, and the credits still waiting in the queue."""
    applied = conn.execute(
        sa.select(accounts.c.balance).where(
            accounts.c.world_id == world_id, accounts.c.number == account
        )
    ).scalar_one()
    queued = conn.execute(
        sa.select(sa.func.coalesce(sa.func.sum(credit_queue.c.amount), 0)).where(
            credit_queue.c.world_id == world_id, credit_queue.c.account_number == account
        )
    ).scalar_one()
    return int(applied), int(queued)


async def test_a_credit_can_be_spent_to_the_last_paisa_and_no_further(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    db = _db(app)
    ravi = await account_of(app, partner, RAVI)

    def credit(conn: sa.Connection) -> int | None:
        store = PaymentsStore(conn, partner.partner_id)
        store.credit(ravi, 123_456)
        return store.balance(ravi)

    assert await db.write(credit) == OPENING + 123_456

    def spend_all_then_one_more(conn: sa.Connection) -> tuple[bool, bool, int | None]:
        store = PaymentsStore(conn, partner.partner_id)
        return store.debit(ravi, OPENING + 123_456), store.debit(ravi, 1), store.balance(ravi)

    assert await db.write(spend_all_then_one_more) == (True, False, 0)


async def test_on_postgresql_credits_queue_and_roll_up_only_when_a_debit_needs_them(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, engine_name: str
) -> None:
    if engine_name != "postgresql":
        pytest.skip("SQLite's single writer applies a credit to the balance row: no queue")
    db = _db(app)
    world = partner.partner_id
    ravi = await account_of(app, partner, RAVI)

    def credit(conn: sa.Connection) -> tuple[int, int]:
        PaymentsStore(conn, world).credit(ravi, 123_456)
        return _applied_and_queued(conn, world, ravi)

    assert await db.write(credit) == (OPENING, 123_456)  # the balance row is not touched

    def small_debit(conn: sa.Connection) -> tuple[bool, tuple[int, int]]:
        taken = PaymentsStore(conn, world).debit(ravi, 100)
        return taken, _applied_and_queued(conn, world, ravi)

    # the applied balance covers it: the queue stays as it is
    assert await db.write(small_debit) == (True, (OPENING - 100, 123_456))

    def whole_debit(conn: sa.Connection) -> tuple[bool, tuple[int, int]]:
        taken = PaymentsStore(conn, world).debit(ravi, OPENING - 100 + 123_456)
        return taken, _applied_and_queued(conn, world, ravi)

    # it needs the queued credit: the queue rolls up into the row, then the debit applies
    assert await db.write(whole_debit) == (True, (0, 0))
