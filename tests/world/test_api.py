"""A partner's world: personas, reset, virtual clock."""

from __future__ import annotations

from datetime import datetime

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from stdnum import verhoeff

from sandbox.settings import Settings
from sandbox.storage.database import make_engine
from sandbox.storage.schema import accounts
from sandbox.world.store import POPULATION_TABLES
from tests.support.http import SignedUp, sign_up

pytestmark = pytest.mark.anyio


async def test_personas_are_documented_people(client: httpx.AsyncClient, partner: SignedUp) -> None:
    response = await client.get("/v1/sandbox/personas", headers=partner.headers)
    assert response.status_code == 200
    body = response.json()
    assert body["currency"] == "INR"
    people = body["personas"]
    assert len(people) >= 10
    for p in people:
        for key in ("name", "uid", "mobile", "email", "vpa", "upiPin", "aaHandle", "accounts"):
            assert key in p
        assert len(p["uid"]) == 12
        assert p["uid"][0] not in "01"
        verhoeff.validate(p["uid"])
    purposes = " ".join(p["purpose"].lower() for p in people)
    for trait in ("biometric", "frozen", "dormant", "mobile", "low balance"):
        assert trait in purposes, trait
    asha = next(p for p in people if p["key"] == "asha")
    assert asha["accounts"][0]["currency"] == "INR"
    assert asha["vpa"] in asha["accounts"][0]["vpas"]


async def test_a_new_world_is_sampled_for_the_planner(
    client: httpx.AsyncClient, settings: Settings, engine_name: str
) -> None:
    """PostgreSQL: signup ANALYZEs the population tables it filled, so the first payments are
    planned knowing their sizes (without statistics the party read scanned every VPA of the
    world until autovacuum came by)."""
    if engine_name != "postgresql":
        pytest.skip("PostgreSQL's planner statistics")
    tables = [t.name for t in POPULATION_TABLES]
    engine = make_engine(settings)

    def row_estimates() -> dict[str, float]:
        with engine.connect() as conn:
            rows = conn.execute(
                sa.text("SELECT relname, reltuples FROM pg_class WHERE relname = ANY(:names)"),
                {"names": tables},
            )
            return {name: float(reltuples) for name, reltuples in rows}

    try:
        assert all(n < 0 for n in row_estimates().values())  # never sampled (truncated)
        await sign_up(client)
        assert all(n > 0 for n in row_estimates().values()), row_estimates()
    finally:
        engine.dispose()


async def test_every_world_has_the_same_personas_but_its_own_rows(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    other = await sign_up(client, country="AM")
    mine = (await client.get("/v1/sandbox/personas", headers=partner.headers)).json()
    theirs = (await client.get("/v1/sandbox/personas", headers=other.headers)).json()
    assert [p["uid"] for p in mine["personas"]] == [p["uid"] for p in theirs["personas"]]
    assert theirs["currency"] == "AMD"
    assert theirs["personas"][0]["mobile"].startswith("+374")


async def test_reset_restores_balances_and_the_clock(
    client: httpx.AsyncClient, partner: SignedUp, app: FastAPI
) -> None:
    before = (await client.get("/v1/sandbox/personas", headers=partner.headers)).json()
    db = app.state.sandbox.db

    def drain(conn: sa.Connection) -> None:
        conn.execute(
            sa.update(accounts).where(accounts.c.world_id == partner.partner_id).values(balance=0)
        )

    await db.write(drain)
    await client.post(
        "/v1/sandbox/clock/advance", json={"seconds": 86_400}, headers=partner.headers
    )
    drained = (await client.get("/v1/sandbox/personas", headers=partner.headers)).json()
    assert drained["personas"][0]["accounts"][0]["balance"] == "0.00"
    reset = await client.post("/v1/sandbox/reset", headers=partner.headers)
    assert reset.status_code == 200
    assert reset.json()["clock"]["offsetSeconds"] == 0
    after = (await client.get("/v1/sandbox/personas", headers=partner.headers)).json()
    assert after == before


async def test_clock_advances_only_forward(client: httpx.AsyncClient, partner: SignedUp) -> None:
    start = (await client.get("/v1/sandbox/clock", headers=partner.headers)).json()
    assert start["offsetSeconds"] == 0
    moved = await client.post(
        "/v1/sandbox/clock/advance", json={"seconds": 3600}, headers=partner.headers
    )
    assert moved.status_code == 200
    assert moved.json()["offsetSeconds"] == 3600
    t0 = datetime.fromisoformat(start["now"].replace("Z", "+00:00"))
    t1 = datetime.fromisoformat(moved.json()["now"].replace("Z", "+00:00"))
    assert 3600 <= (t1 - t0).total_seconds() < 3700
    backwards = await client.post(
        "/v1/sandbox/clock/advance", json={"seconds": -5}, headers=partner.headers
    )
    assert backwards.status_code == 422
    assert backwards.json()["errors"][0]["field"] == "body.seconds"
    floaty = await client.post(
        "/v1/sandbox/clock/advance", json={"seconds": 1.5}, headers=partner.headers
    )
    assert floaty.status_code == 422


async def test_clock_is_per_world(
    client: httpx.AsyncClient, partner: SignedUp, other_partner: SignedUp
) -> None:
    await client.post("/v1/sandbox/clock/advance", json={"seconds": 600}, headers=partner.headers)
    theirs = (await client.get("/v1/sandbox/clock", headers=other_partner.headers)).json()
    assert theirs["offsetSeconds"] == 0
