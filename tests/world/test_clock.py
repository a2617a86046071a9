"""The injected clock: a test moves time without HTTP, and every world's time moves with it."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import datetime

import pytest
from fastapi import FastAPI

from payments.service.sweeper import sweep
from sandbox.app import create_app
from sandbox.kit.clock import ManualClock
from sandbox.settings import Settings
from tests.support.http import client_for, sign_up

pytestmark = pytest.mark.anyio


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock()


@pytest.fixture
async def timed_app(settings: Settings, clock: ManualClock) -> AsyncIterator[FastAPI]:
    application = create_app(settings.model_copy(update={"sweep_seconds": 0}), clock=clock)
    async with application.router.lifespan_context(application):
        yield application


async def test_a_manual_clock_is_every_worlds_time(timed_app: FastAPI, clock: ManualClock) -> None:
    async with client_for(timed_app) as client:
        partner = await sign_up(client)
        before = (await client.get("/v1/sandbox/clock", headers=partner.headers)).json()
        clock.advance(3600)
        after = (await client.get("/v1/sandbox/clock", headers=partner.headers)).json()
    assert before["offsetSeconds"] == after["offsetSeconds"] == 0
    gap = _seconds(after["now"]) - _seconds(before["now"])
    assert gap == pytest.approx(3600, abs=0.01)


async def test_a_collect_expires_when_the_clock_moves_without_http(
    timed_app: FastAPI, clock: ManualClock
) -> None:
    state = timed_app.state.sandbox
    async with client_for(timed_app) as client:
        partner = await sign_up(client)
        asked = await client.post(
            "/v1/upi/collect",
            json={
                "payer": {"vpa": "asha@sandbox"},
                "payee": {"vpa": "ravi@sandbox"},
                "amount": "5.00",
            },
            headers=partner.headers,
        )
        txn_id = asked.json()["txnId"]
        clock.advance(479)
        assert await sweep(state.db, state.settings.secret_key, clock) == 0
        clock.advance(2)
        assert await sweep(state.db, state.settings.secret_key, clock) == 1
        status = await client.get(f"/v1/upi/transactions/{txn_id}", headers=partner.headers)
    assert (status.json()["status"], status.json()["responseCode"]) == ("FAILURE", "U69")


def _seconds(rfc3339: str) -> float:
    return datetime.fromisoformat(rfc3339).timestamp()
