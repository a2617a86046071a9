"""Payments as a partner makes them: the personas' PINs, amounts, pay, balances, the ledger."""

from __future__ import annotations

from typing import Any

import httpx
import sqlalchemy as sa
from fastapi import FastAPI

from payments.store import PaymentsStore
from tests.support.http import SignedUp

PINS = {
    "asha@sandbox": "1234",
    "ravi@sandbox": "4321",
    "meeras.kirana@sandbox": "2580",
    "kabir@sandbox": "1357",
    "farhan@sandbox": "2468",
    "dev@sandbox": "3690",
    "lakshmi@sandbox": "1470",
    "sunil@sandbox": "9630",
    "pooja@sandbox": "8520",
    "vikram@sandbox": "123456",
    "vikram.rao@sandbox": "123456",
    "neha@sandbox": "7410",
    "sanjay@sandbox": "9876",
    "arjun@sandbox": "0000",
}


def minor(text: str) -> int:
    """A wire amount (``"150.25"``, always two decimals) in minor units (15025)."""
    return int(text.replace(".", ""))


def money(amount: int) -> str:
    """Minor units as a wire amount: 15025 -> ``"150.25"``."""
    return f"{amount // 100}.{amount % 100:02d}"


async def pay(
    client: httpx.AsyncClient,
    partner: SignedUp,
    payer: str,
    payee: str,
    amount: str,
    *,
    pin: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> httpx.Response:
    body: dict[str, Any] = {
        "payer": {"vpa": payer, "pin": pin or PINS.get(payer, "1111")},
        "payee": {"vpa": payee},
        "amount": amount,
        **extra,
    }
    return await client.post(
        "/v1/upi/pay", json=body, headers={**partner.headers, **(headers or {})}
    )


async def balances(client: httpx.AsyncClient, partner: SignedUp) -> dict[str, str]:
    """Every persona VPA's account balance, as the personas endpoint shows it."""
    people = (await client.get("/v1/sandbox/personas", headers=partner.headers)).json()
    out = {}
    for person in people["personas"]:
        for account in person["accounts"]:
            for vpa in account["vpas"]:
                out[vpa] = account["balance"]
    return out


async def account_of(app: FastAPI, partner: SignedUp, vpa: str) -> str:
    """The number of the account behind a persona's VPA (read from the store: the API shows
    accounts, not which VPA is whose)."""

    def unit(conn: sa.Connection) -> str:
        party = PaymentsStore(conn, partner.partner_id).party(vpa)
        assert party is not None
        assert party.account_number is not None
        return party.account_number

    number: str = await app.state.sandbox.db.read(unit)
    return number


async def ledger_ok(client: httpx.AsyncClient, partner: SignedUp) -> dict[str, Any]:
    check = (await client.get("/v1/sandbox/ledger/check", headers=partner.headers)).json()
    assert check["balanced"], check
    return dict(check)
