"""Concurrent payments of one account's whole balance: exactly one wins, nobody overdraws.

DESIGN.md section 3: on SQLite the single writer decides the payments one after another; on
PostgreSQL the debit is a conditional update (``balance >= amount``) and a payee's credits are
queued rows rolled up when it pays. Both must give the same answer: of 50 concurrent payments of
the whole balance exactly one succeeds and 49 get Z9 (insufficient funds), and at no moment
(sampled while the payments run) and in no row is a balance below zero.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from payments.store import PaymentsStore
from sandbox.storage.schema import accounts, ledger_entries, upi_transactions
from tests.support.clock import to_next_day
from tests.support.http import SignedUp
from tests.support.upi import account_of, balances, ledger_ok, minor, money, pay

pytestmark = pytest.mark.anyio

RAVI = "ravi@sandbox"  # 25,000.00 at signup
CONCURRENT = 50


async def read(app: FastAPI, fn: Any) -> Any:
    return await app.state.sandbox.db.read(fn)


async def balance_of(app: FastAPI, partner: SignedUp, account: str) -> int:
    """Applied balance plus queued credits (what the account may spend)."""
    value = await read(app, lambda conn: PaymentsStore(conn, partner.partner_id).balance(account))
    assert value is not None
    return int(value)


async def lowest_applied_balance(app: FastAPI, partner: SignedUp) -> int:
    """The lowest ``accounts.balance`` row of the world (the column that must never go < 0)."""

    def unit(conn: sa.Connection) -> int:
        return int(
            conn.execute(
                sa.select(sa.func.min(accounts.c.balance)).where(
                    accounts.c.world_id == partner.partner_id
                )
            ).scalar_one()
        )

    return int(await read(app, unit))


async def race(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp, payer: str, amount: str
) -> tuple[list[httpx.Response], int]:
    """``CONCURRENT`` payments of ``amount`` from ``payer`` at once, while a watcher samples the
    payer's balance; returns the answers and the lowest balance the watcher saw."""
    account = await account_of(app, partner, payer)
    seen: list[int] = []
    done = asyncio.Event()

    async def watch() -> None:
        while not done.is_set():
            seen.append(await balance_of(app, partner, account))
            seen.append(await lowest_applied_balance(app, partner))
            await asyncio.sleep(0)

    watcher = asyncio.create_task(watch())
    try:
        answers = await asyncio.gather(
            *(
                pay(client, partner, payer, "asha@sandbox", amount, note=f"race {i}")
                for i in range(CONCURRENT)
            )
        )
    finally:
        done.set()
        await watcher
    seen.append(await balance_of(app, partner, account))
    return list(answers), min(seen)


def outcome_counts(answers: list[httpx.Response]) -> Counter[tuple[int, str, str]]:
    return Counter(
        (a.status_code, a.json().get("status"), a.json().get("responseCode")) for a in answers
    )


async def debits_of(app: FastAPI, partner: SignedUp, account: str) -> int:
    def unit(conn: sa.Connection) -> int:
        e = ledger_entries
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(
                    e.c.world_id == partner.partner_id, e.c.account == account, e.c.leg == "DEBIT"
                )
            ).scalar_one()
        )

    return int(await read(app, unit))


async def test_fifty_concurrent_payments_of_the_whole_balance_one_succeeds(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    before = await balances(client, partner)
    whole = before[RAVI]
    assert whole == "25000.00"

    answers, lowest = await race(app, client, partner, RAVI, whole)

    assert outcome_counts(answers) == {
        (200, "SUCCESS", "00"): 1,
        (200, "FAILURE", "Z9"): CONCURRENT - 1,
    }, [a.text for a in answers if a.status_code != 200][:3]
    assert lowest >= 0
    assert await lowest_applied_balance(app, partner) >= 0
    after = await balances(client, partner)
    assert after[RAVI] == "0.00"
    assert minor(after["asha@sandbox"]) == minor(before["asha@sandbox"]) + minor(whole)
    ravi_account = await account_of(app, partner, RAVI)
    assert await debits_of(app, partner, ravi_account) == 1  # declines post nothing
    # every answer is a recorded transaction: 50 rows, one per request
    listed = await client.get(
        "/v1/upi/transactions", params={"vpa": RAVI, "limit": 100}, headers=partner.headers
    )
    assert len(listed.json()["transactions"]) == CONCURRENT
    await ledger_ok(client, partner)


async def test_money_received_then_spent_concurrently_one_succeeds(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Ravi first receives 1,234.56 (a queued credit on PostgreSQL: ``test_store.py``), then 50
    payments of his new total race: the roll-up of queued credits happens once, and still
    exactly one succeeds."""
    ravi_account = await account_of(app, partner, RAVI)
    received = await pay(client, partner, "asha@sandbox", RAVI, "1234.56")
    assert received.json()["responseCode"] == "00", received.text
    total = await balance_of(app, partner, ravi_account)
    assert total == 2_500_000 + 123_456

    answers, lowest = await race(app, client, partner, RAVI, money(total))

    assert outcome_counts(answers) == {
        (200, "SUCCESS", "00"): 1,
        (200, "FAILURE", "Z9"): CONCURRENT - 1,
    }
    assert lowest >= 0
    assert await balance_of(app, partner, ravi_account) == 0
    assert await lowest_applied_balance(app, partner) >= 0
    await ledger_ok(client, partner)


async def test_concurrent_payments_that_fit_all_succeed_and_the_rest_z9(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """50 payments of 600.00 against 25,000.00: exactly 41 fit (24,600.00), 9 get Z9, and the
    400.00 left is exactly what the ledger says."""
    answers, lowest = await race(app, client, partner, RAVI, "600.00")
    counts = outcome_counts(answers)
    assert counts == {(200, "SUCCESS", "00"): 41, (200, "FAILURE", "Z9"): 9}
    assert lowest >= 0
    assert (await balances(client, partner))[RAVI] == "400.00"

    def paid(conn: sa.Connection) -> int:
        t = upi_transactions
        return int(
            conn.execute(
                sa.select(sa.func.count()).where(
                    t.c.world_id == partner.partner_id, t.c.status == "SUCCESS"
                )
            ).scalar_one()
        )

    assert await read(app, paid) == 41
    await ledger_ok(client, partner)


async def test_concurrent_payments_never_pass_the_daily_limit(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Ten payments of 60,000.00 at once from Asha (1,000,000.00, daily limit 100,000.00):
    one fits the day, nine get ZU. The day's total is read and raised under one lock."""
    await to_next_day(client, partner)
    answers = await asyncio.gather(
        *(pay(client, partner, "asha@sandbox", "ravi@sandbox", "60000.00") for _ in range(10))
    )
    assert outcome_counts(answers) == {(200, "SUCCESS", "00"): 1, (200, "FAILURE", "ZU"): 9}
    await ledger_ok(client, partner)


async def test_concurrent_payments_never_pass_the_new_vpa_cap(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Neha's VPA is new: 5,000.00 in her first 24 h. Ten payments of 3,000.00 at once: one."""
    answers = await asyncio.gather(
        *(pay(client, partner, "neha@sandbox", "ravi@sandbox", "3000.00") for _ in range(10))
    )
    assert outcome_counts(answers) == {(200, "SUCCESS", "00"): 1, (200, "FAILURE", "Z8"): 9}
    await ledger_ok(client, partner)


async def test_concurrent_wrong_pins_are_each_counted(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """Guessing PINs in parallel gains nothing: of ten wrong PINs sent at once, two answer ZM
    and eight Z6 (the third wrong try locks the PIN), and then the right PIN is locked out."""
    guesses = [f"{n:04d}" for n in range(1000, 1010)]
    answers = await asyncio.gather(
        *(pay(client, partner, RAVI, "asha@sandbox", "1.00", pin=pin) for pin in guesses)
    )
    assert outcome_counts(answers) == {(200, "FAILURE", "ZM"): 2, (200, "FAILURE", "Z6"): 8}
    right = await pay(client, partner, RAVI, "asha@sandbox", "1.00")
    assert right.json()["responseCode"] == "Z6"
