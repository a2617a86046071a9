"""The OTP sweeper: OTPs are deleted an hour of world time after they expired, in each world by
its own clock, so ``otp_requests`` does not grow with every request; until then a late try is
told the OTP expired, after it that none is waiting (403 both)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from identity.domain import DOMAIN as IDENTITY
from identity.service.sweeper import sweep_otps
from sandbox.app import create_app
from sandbox.kit.clock import SYSTEM_CLOCK, ManualClock
from sandbox.settings import Settings
from sandbox.storage.schema import otp_requests
from tests.support.clock import advance
from tests.support.http import SignedUp, client_for, sign_up
from tests.support.identity import auth, easy, pid_ts, read_otp, request_otp

pytestmark = pytest.mark.anyio


@pytest.fixture
async def timed_app(settings: Settings, clock: ManualClock) -> AsyncIterator[FastAPI]:
    """The app on a manual clock with no background sweeper: the test sweeps itself."""
    quiet = settings.model_copy(update={"sweep_seconds": 0, "otp_sweep_seconds": 0})
    application = create_app(quiet, clock=clock)
    async with application.router.lifespan_context(application):
        yield application


async def _otps(app: FastAPI, partner: SignedUp) -> int:
    def count(conn: sa.Connection) -> int:
        query = sa.select(sa.func.count()).where(otp_requests.c.world_id == partner.partner_id)
        return int(conn.execute(query).scalar_one())

    return int(await app.state.sandbox.db.read(count))


async def _otp_auth(
    client: httpx.AsyncClient, partner: SignedUp, otp: str, txn: str
) -> dict[str, Any]:
    ts = await pid_ts(client, partner)
    body = easy({"ts": ts, "ver": "2.0", "pv": {"otp": otp}}, txn=txn, otp="y")
    return await auth(client, partner, body)


async def test_an_otp_is_swept_an_hour_after_it_expired(
    timed_app: FastAPI, clock: ManualClock
) -> None:
    db = timed_app.state.sandbox.db
    async with client_for(timed_app) as client:
        partner = await sign_up(client)
        sent = await request_otp(client, partner, txn="sweep-1")
        assert sent["ret"] == "y", sent
        otp = await read_otp(client, partner)
        assert await _otps(timed_app, partner) == 1

        clock.advance(10 * 60 + 59 * 60)  # expired 59 minutes ago: kept
        assert await sweep_otps(db, clock) == 0
        assert await _otps(timed_app, partner) == 1
        late = await _otp_auth(client, partner, otp, "sweep-1")
        assert (late["ret"], late["err"]) == ("n", "403"), late
        assert str(late["hint"]).startswith("It expired at "), late

        clock.advance(2 * 60)  # expired 61 minutes ago: swept
        assert await sweep_otps(db, clock) == 1
        assert await _otps(timed_app, partner) == 0
        gone = await _otp_auth(client, partner, otp, "sweep-1")
        assert (gone["ret"], gone["err"]) == ("n", "403"), gone
        assert str(gone["hint"]).startswith("None was sent"), gone
        assert await sweep_otps(db, clock) == 0  # nothing left to do

        # a fresh OTP after the sweep works as ever
        again = await request_otp(client, partner, txn="sweep-2")
        assert again["ret"] == "y", again
        answer = await _otp_auth(client, partner, await read_otp(client, partner), "sweep-2")
        assert answer["ret"] == "y", answer


async def test_each_world_is_swept_by_its_own_clock(timed_app: FastAPI, clock: ManualClock) -> None:
    db = timed_app.state.sandbox.db
    async with client_for(timed_app) as client:
        still = await sign_up(client)
        moved = await sign_up(client, name="Team Moved", contactEmail="moved@example.com")
        for partner in (still, moved):
            assert (await request_otp(client, partner, txn="sweep-w"))["ret"] == "y"
        await advance(client, moved, 71 * 60)  # only this world's time passes

        assert await sweep_otps(db, clock) == 1
        assert await _otps(timed_app, moved) == 0
        assert await _otps(timed_app, still) == 1, "another world's OTP went with it"
        # the still world's OTP is still the one its auth is checked against
        otp = await read_otp(client, still)
        answer = await _otp_auth(client, still, otp, "sweep-w")
        assert answer["ret"] == "y", answer


def test_the_sweeper_is_a_job_unless_its_setting_is_zero(settings: Settings) -> None:
    db = object()
    jobs = IDENTITY.jobs(db, settings, SYSTEM_CLOCK)  # type: ignore[arg-type]
    assert [(j.name, j.interval) for j in jobs] == [
        ("identity-otp-sweeper", settings.otp_sweep_seconds)
    ]
    off = settings.model_copy(update={"otp_sweep_seconds": 0})
    assert IDENTITY.jobs(db, off, SYSTEM_CLOCK) == []  # type: ignore[arg-type]
