"""The in-process cache of API keys (sandbox.partners.cache): hits skip the database, and every
change of a partner or a key is seen at once, in this app and in another app on the same
database (PostgreSQL: LISTEN/NOTIFY)."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from sandbox.partners.cache import CallerCache
from sandbox.partners.models import Caller, Partner
from sandbox.settings import Settings
from sandbox.state import AppState
from sandbox.storage.database import make_engine
from tests.support.console import partner_signs_in, submit
from tests.support.http import SignedUp, client_for, running, sign_up

pytestmark = pytest.mark.anyio


def _caller(partner_id: str = "prt_a", offset: int = 0) -> Caller:
    partner = Partner(partner_id, "A", "a@example.com", None, "s", "IN", 1, 0, offset, 0)
    return Caller(partner=partner, key_id="key_a")


def test_a_read_that_raced_an_invalidation_is_not_kept() -> None:
    cache = CallerCache(size=10)
    generation = cache.generation  # a request starts reading the database ...
    cache.invalidate()  # ... a rotation commits meanwhile ...
    cache.put("h", _caller(), generation)  # ... and the read's (stale) answer arrives
    assert cache.get("h") is None


def test_bounded_oldest_first_and_aged_out() -> None:
    cache = CallerCache(size=2, max_age=60)
    for name in ("a", "b", "c"):
        cache.put(name, _caller(name), cache.generation)
    assert len(cache) == 2
    assert cache.get("a") is None
    assert cache.get("c") is not None
    aged = CallerCache(size=2, max_age=1e-9)
    aged.put("a", _caller(), aged.generation)
    assert aged.get("a") is None


def test_off_keeps_nothing() -> None:
    cache = CallerCache(enabled=False)
    cache.put("h", _caller(), cache.generation)
    cache.enabled = True
    assert cache.get("h") is None


def _state(client: httpx.AsyncClient) -> AppState:
    transport: Any = client._transport
    state: AppState = transport.app.state.sandbox
    return state


async def test_known_keys_are_answered_from_memory(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    assert (await client.get("/v1/partners/me", headers=partner.headers)).status_code == 200
    state = _state(client)
    assert len(state.callers) == 1

    async def no_read(fn: Any) -> Any:
        raise AssertionError("a cached key read the database")

    state.db.read = no_read  # type: ignore[method-assign]
    assert (await client.get("/v1/partners/me", headers=partner.headers)).status_code == 200


async def test_rotation_refuses_the_old_key_at_once(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    assert (await client.get("/v1/partners/me", headers=partner.headers)).status_code == 200
    rotated = await client.post("/v1/partners/me/keys", headers=partner.headers)
    new = {"Authorization": f"Bearer {rotated.json()['apiKey']}"}
    assert (await client.get("/v1/partners/me", headers=partner.headers)).status_code == 401
    assert (await client.get("/v1/partners/me", headers=new)).status_code == 200


async def test_partner_changes_are_seen_at_once(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    h = partner.headers
    assert (await client.get("/v1/sandbox/clock", headers=h)).json()["offsetSeconds"] == 0
    await client.post("/v1/sandbox/clock/advance", json={"seconds": 3600}, headers=h)
    assert (await client.get("/v1/sandbox/clock", headers=h)).json()["offsetSeconds"] == 3600
    await client.post("/v1/sandbox/reset", headers=h)
    assert (await client.get("/v1/sandbox/clock", headers=h)).json()["offsetSeconds"] == 0
    await client.patch("/v1/partners/me", json={"name": "Renamed"}, headers=h)
    assert (await client.get("/v1/partners/me", headers=h)).json()["name"] == "Renamed"


async def test_the_consoles_clock_and_reset_are_seen_at_once(
    app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    """The dashboard's forms change the partner through the same service functions, which
    forget the cached caller themselves: the API sees the new clock on its next request."""
    h = partner.headers
    assert (await client.get("/v1/sandbox/clock", headers=h)).json()["offsetSeconds"] == 0
    assert len(_state(client).callers) == 1  # the key is cached, with offset 0
    async with client_for(app) as browser:
        await partner_signs_in(browser, partner)
        advanced = await submit(
            browser,
            "/console/partner/clock",
            "/console/partner/clock/advance",
            amount="1",
            unit="days",
        )
        assert advanced.status_code == 303
        assert (await client.get("/v1/sandbox/clock", headers=h)).json()["offsetSeconds"] == 86_400
        reset = await submit(browser, "/console/partner/clock", "/console/partner/reset")
        assert reset.status_code == 303
        assert (await client.get("/v1/sandbox/clock", headers=h)).json()["offsetSeconds"] == 0


async def test_another_app_on_the_same_database_sees_rotation_and_changes(
    make_settings: Callable[..., Settings], engine_name: str
) -> None:
    """Two app instances (two workers) on one database: a rotation on the first refuses the
    old key on the second at once, after the second had it cached. On PostgreSQL the second
    learns of it by NOTIFY; on SQLite only one process serves, and the safety net (max age)
    is what a second one would rely on, so this runs on PostgreSQL only."""
    if engine_name != "postgresql":
        pytest.skip("cross-process notification is PostgreSQL's (SQLite has one server process)")
    settings = make_settings()
    async with running(settings) as (_, first), running(settings) as (_, second):
        partner = await sign_up(first)
        h = partner.headers
        assert (await second.get("/v1/partners/me", headers=h)).status_code == 200
        assert len(_state(second).callers) == 1  # cached on the second app
        rotated = await first.post("/v1/partners/me/keys", headers=h)
        new = {"Authorization": f"Bearer {rotated.json()['apiKey']}"}
        assert await _eventually(lambda: second.get("/v1/partners/me", headers=h), 401)
        assert (await second.get("/v1/partners/me", headers=new)).status_code == 200
        await first.post("/v1/sandbox/clock/advance", json={"seconds": 60}, headers=new)
        assert await _eventually_json(
            lambda: second.get("/v1/sandbox/clock", headers=new), "offsetSeconds", 60
        )
        # a change by another process that is not an app (the CLI, a tool) is announced too
        engine = make_engine(settings)
        from sandbox.partners import store

        with engine.begin() as conn:
            store.update_partner(conn, partner.partner_id, name="Renamed by the CLI")
        engine.dispose()
        assert await _eventually_json(
            lambda: second.get("/v1/partners/me", headers=new), "name", "Renamed by the CLI"
        )


async def test_a_lost_listener_turns_the_cache_off(
    make_settings: Callable[..., Settings], engine_name: str
) -> None:
    if engine_name != "postgresql":
        pytest.skip("the LISTEN connection is PostgreSQL's")
    settings = make_settings()
    async with running(settings) as (_, client):
        partner = await sign_up(client)
        assert (await client.get("/v1/partners/me", headers=partner.headers)).status_code == 200
        state = _state(client)
        assert state.callers.enabled
        assert len(state.callers) == 1
        engine = make_engine(settings)
        with engine.begin() as conn:  # the listener's connection dies
            conn.execute(
                sa.text(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE query LIKE 'LISTEN %' AND pid <> pg_backend_pid()"
                    " AND datname = current_database()"
                )
            )
        engine.dispose()
        for _ in range(100):
            if not state.callers.enabled:
                break
            await asyncio.sleep(0.02)
        assert not state.callers.enabled  # off: every request reads the database
        assert len(state.callers) == 0
        assert (await client.get("/v1/partners/me", headers=partner.headers)).status_code == 200
        for _ in range(200):  # and back on once it listens again
            if state.callers.enabled:
                break
            await asyncio.sleep(0.02)
        assert state.callers.enabled


async def _eventually(call: Callable[[], Any], status: int) -> bool:
    """The notification arrives at the other app within a moment (it is asynchronous)."""
    for _ in range(100):
        if (await call()).status_code == status:
            return True
        await asyncio.sleep(0.01)
    return False


async def _eventually_json(call: Callable[[], Any], field: str, value: Any) -> bool:
    for _ in range(100):
        if (await call()).json()[field] == value:
            return True
        await asyncio.sleep(0.01)
    return False
