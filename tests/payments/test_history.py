"""``payments.service.history.fill`` (``sandbox bench --preload``): past payments written in bulk
through the store leave the world as real settled payments would: the ledger check balanced,
each payer's balance lower by what it paid, the payments listed at world times before today."""

from __future__ import annotations

from datetime import datetime
from functools import partial

import anyio
import httpx
import pytest
from fastapi import FastAPI

from payments.models import DAY_US
from payments.service import history
from sandbox.kit.clock import SYSTEM_CLOCK
from tests.support.http import SignedUp

pytestmark = pytest.mark.anyio

MIN_BALANCE = 1000 * 100  # 1,000.00: pooja (1.00) and the other low balances take no part


async def _balances(client: httpx.AsyncClient, partner: SignedUp) -> dict[str, int]:
    body = (await client.get("/v1/sandbox/personas", headers=partner.headers)).json()
    return {
        number: round(float(account["balance"]) * 100)
        for persona in body["personas"]
        for account in persona["accounts"]
        for number in [account["number"]]
    }


async def test_past_payments_keep_the_ledger_balanced_and_the_money_conserved(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    db = app.state.sandbox.db
    before = await _balances(client, partner)
    now = SYSTEM_CLOCK.now_us()
    fill = partial(
        history.fill,
        db,
        partner.partner_id,
        payments=500,
        now_us=now,
        amount=150,
        currency="INR",
        min_balance=MIN_BALANCE,
        seed=7,
    )
    written = await anyio.to_thread.run_sync(fill)
    assert written == 500
    check = (await client.get("/v1/sandbox/ledger/check", headers=partner.headers)).json()
    assert check["balanced"] is True, check
    assert check["accountsTotal"] == check["seededTotal"]  # money moved, none made
    assert check["inClearing"] in (0, "0.00")  # every debit has its credit
    after = await _balances(client, partner)
    moved = {n for n in after if after[n] != before[n]}
    assert moved, "no balance changed"
    assert all(before[n] >= MIN_BALANCE for n in moved)  # only funded accounts took part
    listed = await client.get(
        "/v1/upi/transactions", params={"limit": 100}, headers=partner.headers
    )
    assert listed.status_code == 200, listed.text
    txns = listed.json()["transactions"]
    assert len(txns) == 100
    today = now // DAY_US * DAY_US
    for txn in txns:
        assert (txn["status"], txn["responseCode"], txn["amount"]) == ("SUCCESS", "00", "1.50")
        assert txn["payer"]["vpa"] != txn["payee"]["vpa"]
        created = datetime.fromisoformat(txn["createdAt"]).timestamp() * 1_000_000
        assert today - 30 * DAY_US <= created < today  # world time, in the days before today


async def test_a_world_without_two_funded_accounts_is_refused(
    app: FastAPI, partner: SignedUp
) -> None:
    fill = partial(
        history.fill,
        app.state.sandbox.db,
        partner.partner_id,
        payments=1,
        now_us=SYSTEM_CLOCK.now_us(),
        amount=100,
        currency="INR",
        min_balance=10**15,
    )
    with pytest.raises(ValueError, match="need 2"):
        await anyio.to_thread.run_sync(fill)
