"""A partner's world clock, moved the way a partner moves it: through ``/v1/sandbox/clock``."""

from __future__ import annotations

import datetime as dt

import httpx

from tests.support.http import SignedUp


async def now(client: httpx.AsyncClient, partner: SignedUp) -> dt.datetime:
    """The partner's world time (aware, UTC)."""
    clock = await client.get("/v1/sandbox/clock", headers=partner.headers)
    assert clock.status_code == 200, clock.text
    return dt.datetime.fromisoformat(clock.json()["now"])


async def advance(client: httpx.AsyncClient, partner: SignedUp, seconds: int) -> None:
    moved = await client.post(
        "/v1/sandbox/clock/advance", json={"seconds": seconds}, headers=partner.headers
    )
    assert moved.status_code == 200, moved.text


async def to_next_day(
    client: httpx.AsyncClient, partner: SignedUp, plus_seconds: int = 3600
) -> None:
    """Advance to ``plus_seconds`` past the next world midnight (UTC), so that what a test does
    next (several payments, a daily limit) never straddles a day boundary by accident."""
    start = await now(client, partner)
    midnight = (start + dt.timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
    await advance(client, partner, int((midnight - start).total_seconds()) + plus_seconds)


async def later(client: httpx.AsyncClient, partner: SignedUp, days: float) -> str:
    """The wire form (``...Z``) of the partner's world time ``days`` from now."""
    moment = await now(client, partner) + dt.timedelta(days=days)
    return moment.isoformat().replace("+00:00", "Z")
