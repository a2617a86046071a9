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
        optimistic=kw.get("optimistic", False),
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


# -- the optimistic first try (SQLite: keys read only when one is already used) --------------


def _renames(calls: list[str]) -> Any:
    """An effect that writes in its unit (a partner's name) and answers 201."""

    def effect(conn: Connection) -> tuple[int, dict[str, Any]]:
        calls.append("ran")
        conn.execute(sa.text("UPDATE partners SET name = name || '+' WHERE id = 'prt_idem'"))
        return 201, {"n": len(calls)}

    return effect


async def _name(db: Database) -> str:
    return str(
        await db.read(
            lambda conn: conn.execute(
                sa.text("SELECT name FROM partners WHERE id = 'prt_idem'")
            ).scalar()
        )
    )


def _key_reads(db: Database) -> list[str]:
    """The SELECTs of idempotency_keys the SQLite writer runs from now on."""
    seen: list[str] = []
    raw = db._connection().connection.dbapi_connection  # type: ignore[attr-defined]
    raw.set_trace_callback(
        lambda sql: seen.append(sql) if sql.lstrip().startswith("SELECT fingerprint") else None
    )
    return seen


async def test_optimistic_a_new_key_runs_once_without_reading_keys(db: Database) -> None:
    calls: list[str] = []
    reads = _key_reads(db) if db.is_sqlite else []
    first = await run(db, "demo.create", {"a": 1}, calls, effect=_renames(calls), optimistic=True)
    assert (first.status, first.body, first.replayed) == (201, {"n": 1}, False)
    assert await _name(db) == "Team Idem+"
    assert reads == []


async def test_optimistic_a_used_key_replays_and_its_try_is_rolled_back(db: Database) -> None:
    calls: list[str] = []
    first = await run(db, "demo.create", {"a": 1}, calls, effect=_renames(calls), optimistic=True)
    again = await run(db, "demo.create", {"a": 1}, calls, effect=_renames(calls), optimistic=True)
    assert (again.status, again.body, again.replayed) == (201, first.body, True)
    assert await _name(db) == "Team Idem+"  # the second try's write did not stay
    with pytest.raises(IdempotencyConflict) as refused:
        await run(db, "demo.create", {"a": 2}, calls, effect=_renames(calls), optimistic=True)
    assert "with a different body; nothing was done" in refused.value.detail
    assert await _name(db) == "Team Idem+"


async def test_optimistic_a_used_key_replays_where_the_effect_would_refuse(db: Database) -> None:
    """A refusal (or an exception) in the optimistic try is decided again with the keys read
    first: the stored answer, not the refusal, and what the try wrote is gone."""
    await run(db, "demo.create", {"a": 1}, [], optimistic=True)

    def refuses(conn: Connection) -> SandboxError:
        conn.execute(sa.text("UPDATE partners SET name = 'Renamed' WHERE id = 'prt_idem'"))
        return NotFound("gone", hint="try another")

    def fails(conn: Connection) -> tuple[int, dict[str, Any]]:
        conn.execute(sa.text("UPDATE partners SET name = 'Renamed' WHERE id = 'prt_idem'"))
        raise RuntimeError("boom")

    for effect in (refuses, fails):
        again = await run(db, "demo.create", {"a": 1}, [], effect=effect, optimistic=True)
        assert (again.status, again.body, again.replayed) == (
            201,
            {"op": "demo.create", "n": 1},
            True,
        )
    assert await _name(db) == "Team Idem"


async def test_optimistic_a_refusal_without_a_used_key_is_the_usual_one(db: Database) -> None:
    def refuses(conn: Connection) -> SandboxError:
        conn.execute(sa.text("UPDATE partners SET name = 'Renamed' WHERE id = 'prt_idem'"))
        return NotFound("gone", hint="try another")

    with pytest.raises(NotFound):
        await run(db, "demo.create", {"a": 1}, [], effect=refuses, optimistic=True)
    assert await _name(db) == "Renamed"  # kept, as without the optimistic try
    tries: list[int] = []

    def raced(conn: Connection) -> tuple[int, dict[str, Any]]:
        tries.append(1)
        raise Raced("txnId")

    with pytest.raises(IdempotencyConflict):
        await run(db, "demo.x", {}, [], key=None, client_id="T2", effect=raced, optimistic=True)
    assert len(tries) == 3 if db.is_sqlite else 2  # the optimistic try, then the usual two
