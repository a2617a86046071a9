"""Helpers of the mandate tests: create, act, notify and execute through the API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import httpx

from tests.support.clock import later
from tests.support.http import SignedUp

PAYER, MERCHANT = "asha@sandbox", "meeras.kirana@sandbox"
DAY = 86_400


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text)


async def create(client: httpx.AsyncClient, partner: SignedUp, **overrides: Any) -> httpx.Response:
    body: dict[str, Any] = {
        "payer": {"vpa": PAYER},
        "payee": {"vpa": MERCHANT},
        "amountLimit": "1000.00",
        "recurrence": "AS_PRESENTED",
        "validUntil": await later(client, partner, 365),
        "purpose": "Groceries",
        **overrides,
    }
    return await client.post("/v1/upi/mandates", json=body, headers=partner.headers)


async def created(client: httpx.AsyncClient, partner: SignedUp, **overrides: Any) -> str:
    response = await create(client, partner, **overrides)
    assert response.status_code == 201, response.text
    return str(response.json()["umn"])


async def act(
    client: httpx.AsyncClient, partner: SignedUp, umn: str, action: str, **body: Any
) -> httpx.Response:
    return await client.post(
        f"/v1/upi/mandates/{umn}/{action}", json=body or None, headers=partner.headers
    )


async def active(
    client: httpx.AsyncClient, partner: SignedUp, pin: str = "1234", **overrides: Any
) -> str:
    umn = await created(client, partner, **overrides)
    approved = await act(client, partner, umn, "approve", pin=pin)
    assert approved.status_code == 200, approved.text
    assert approved.json()["status"] == "ACTIVE", approved.text
    return umn


async def notify(
    client: httpx.AsyncClient, partner: SignedUp, umn: str, amount: str = "500.00", **extra: Any
) -> httpx.Response:
    return await act(client, partner, umn, "notify", amount=amount, **extra)


async def notice(
    client: httpx.AsyncClient, partner: SignedUp, umn: str, amount: str = "500.00", **extra: Any
) -> str:
    response = await notify(client, partner, umn, amount, **extra)
    assert response.status_code == 201, response.text
    return str(response.json()["noticeId"])


async def execute(
    client: httpx.AsyncClient,
    partner: SignedUp,
    umn: str,
    notice_id: str,
    *,
    key: str | None = None,
    **extra: Any,
) -> httpx.Response:
    headers = {**partner.headers, **({"Idempotency-Key": key} if key else {})}
    return await client.post(
        f"/v1/upi/mandates/{umn}/execute", json={"noticeId": notice_id, **extra}, headers=headers
    )


async def mandate(client: httpx.AsyncClient, partner: SignedUp, umn: str) -> dict[str, Any]:
    response = await client.get(f"/v1/upi/mandates/{umn}", headers=partner.headers)
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


def outcome(response: httpx.Response) -> tuple[str, str]:
    assert response.status_code == 200, response.text
    body = response.json()
    return body["status"], body["responseCode"]
