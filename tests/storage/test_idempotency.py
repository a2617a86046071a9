"""The platform's write_once without HTTP: one effect per key, the operation in the fingerprint,
refusals that commit what they wrote, twins that replay instead of running twice, and a reused
key's 409 that says where the key was first used."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sandbox.errors import IdempotencyConflict, NotFound, SandboxError
from sandbox.kit.clock import ManualClock
from sandbox.partners import store as partner_store
from sandbox.partners.models import Partner
from sandbox.settings import Settings
from sandbox.storage.database import Database, open_database
from sandbox.storage.idempotency import Raced, keys_for, write_once
from sandbox.storage.schema import idempotency_keys
from sandbox.world.context import WorldContext

pytestmark = pytest.mark.anyio
CLOCK = ManualClock(1_800_000_000_000_000)
PARTNER = Partner("prt_idem", "Team Idem", "idem@example.com", None, "whsec_x", "IN", 1, 0, 0, 0)


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = open_database(settings)
    database.start()
    await database.write(lambda conn: partner_store.insert_partner(conn, PARTNER))
    try:
        yield database
    finally:
        database.close()


def world() -> WorldContext:
    return WorldContext.of(PARTNER, "test-secret", CLOCK)


async def run(db: Database, op: str, body: dict[str, Any], calls: list[str], **kw: Any) -> Any:
    w = world()

    def effect(conn: Connection) -> tuple[int, dict[str, Any]] | SandboxError:
        calls.append(op)
        return 201, {"op": op, "n": len(calls)}

    return await write_once(
        db,
        w.id,
        keys=keys_for(kw.get("key", "k1"), kw.get("client_id")),
        fingerprint=w.fingerprint(op, body),
        operation=f"POST /v1/{op}",
        now_us=w.now_us,
        effect=kw.get("effect", effect),
    )


async def test_a_key_runs_its_effect_once_and_replays_the_answer(db: Database) -> None:
    calls: list[str] = []
    first = await run(db, "demo.create", {"a": 1}, calls)
    again = await run(db, "demo.create", {"a": 1}, calls)
    assert (first.status, first.replayed) == (201, False)
    assert (again.status, again.body, again.replayed) == (201, first.body, True)
    assert calls == ["demo.create"]


async def test_the_same_key_and_body_on_another_operation_is_a_conflict(db: Database) -> None:
    calls: list[str] = []
    await run(db, "demo.create", {"a": 1}, calls)
    with pytest.raises(IdempotencyConflict) as refused:
        await run(db, "demo.delete", {"a": 1}, calls)
    assert "Idempotency-Key" in refused.value.detail
    assert calls == ["demo.create"]


async def test_a_key_reused_on_another_route_names_both_and_the_way_out(db: Database) -> None:
    await run(db, "demo.create", {"a": 1}, [], key="order-42")
    with pytest.raises(IdempotencyConflict) as refused:
        await run(db, "demo.delete", {"a": 2}, [], key="order-42")
    assert refused.value.detail == (
        "Idempotency-Key 'order-42' was first used for POST /v1/demo.create, not "
        "POST /v1/demo.delete: a key names one request of your world across every route; "
        "nothing was done."
    )
    assert refused.value.hint == (
        "Give each new request a new Idempotency-Key; to read the first answer, resend the "
        "first request to POST /v1/demo.create unchanged."
    )


async def test_a_key_reused_with_another_body_on_its_route_says_so(db: Database) -> None:
    await run(db, "demo.create", {"a": 1}, [], key="order-43")
    with pytest.raises(IdempotencyConflict) as refused:
        await run(db, "demo.create", {"a": 2}, [], key="order-43")
    assert refused.value.detail == (
        "Idempotency-Key 'order-43' was already used for POST /v1/demo.create with a different "
        "body; nothing was done."
    )


async def test_a_key_stored_before_operations_were_kept_still_replays_and_refuses(
    db: Database,
) -> None:
    """Rows written by an earlier release hold the bare answer and no operation."""
    w = world()
    row = {
        "world_id": w.id,
        "key": "idem:old-key",
        "fingerprint": w.fingerprint("demo.create", {"a": 1}),
        "status_code": 201,
        "response": {"op": "demo.create", "n": 7},
        "created_us": w.now_us,
    }
    await db.write(lambda conn: conn.execute(sa.insert(idempotency_keys), row))
    calls: list[str] = []
    again = await run(db, "demo.create", {"a": 1}, calls, key="old-key")
    assert (again.status, again.body, again.replayed) == (201, {"op": "demo.create", "n": 7}, True)
    with pytest.raises(IdempotencyConflict) as refused:
        await run(db, "demo.delete", {"a": 1}, calls, key="old-key")
    assert "'old-key' was already used for a different request" in refused.value.detail
    assert calls == []


async def test_a_refusal_commits_what_the_effect_wrote_and_stores_no_key(db: Database) -> None:
    def effect(conn: Connection) -> SandboxError:
        conn.execute(sa.text("UPDATE partners SET name = 'Renamed' WHERE id = 'prt_idem'"))
        return NotFound("gone", hint="try another")

    with pytest.raises(NotFound):
        await run(db, "demo.create", {"a": 1}, [], effect=effect)

    def read(conn: Connection) -> tuple[str, int]:
        name = conn.execute(sa.text("SELECT name FROM partners WHERE id = 'prt_idem'")).scalar()
        keys = conn.execute(sa.select(sa.func.count()).select_from(idempotency_keys)).scalar()
        return str(name), int(keys or 0)

    assert await db.read(read) == ("Renamed", 0)


async def test_an_effect_that_finds_its_twin_runs_again_then_conflicts(db: Database) -> None:
    tries: list[int] = []

    def effect(conn: Connection) -> tuple[int, dict[str, Any]]:
        tries.append(1)
        raise Raced("txnId")

    with pytest.raises(IdempotencyConflict) as refused:
        await run(db, "demo.create", {"a": 1}, [], key=None, client_id="T1", effect=effect)
    assert len(tries) == 2
    assert "txnId" in refused.value.detail
