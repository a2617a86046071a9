"""The outbox without HTTP: events commit with the change they announce; claims hold a lease."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sandbox.kit.clock import SYSTEM_CLOCK
from sandbox.partners import store as partner_store
from sandbox.partners.models import Partner
from sandbox.settings import Settings
from sandbox.storage.database import Database, open_database
from sandbox.storage.schema import webhook_attempts, webhook_deliveries, webhook_events
from sandbox.webhooks import service
from sandbox.webhooks.store import WebhookStore, claim_due, record_attempt
from sandbox.world.context import WorldContext

pytestmark = pytest.mark.anyio
LEASE_US = 60_000_000


def _partner(partner_id: str, webhook_url: str | None) -> Partner:
    return Partner(
        id=partner_id,
        name="Team Outbox",
        contact_email="outbox@example.com",
        webhook_url=webhook_url,
        webhook_secret="whsec_outbox_test",
        country="IN",
        world_seed=1,
        world_residents=0,
        clock_offset_us=0,
        created_us=SYSTEM_CLOCK.now_us(),
    )


def _world(partner: Partner) -> WorldContext:
    return WorldContext.of(partner, "test-secret")


@pytest.fixture
async def db(settings: Settings) -> AsyncIterator[Database]:
    database = open_database(settings)
    database.start()
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
async def hooked(db: Database) -> Partner:
    """A stored partner with a webhook URL (the dispatcher joins partners for the secret)."""
    partner = _partner("prt_outbox", "http://127.0.0.1:9/hooks")
    await db.write(lambda conn: partner_store.insert_partner(conn, partner))
    return partner


def _counts(world_id: str) -> Any:
    def unit(conn: Connection) -> tuple[int, int]:
        events = conn.execute(
            sa.select(sa.func.count()).where(webhook_events.c.world_id == world_id)
        ).scalar_one()
        deliveries = conn.execute(
            sa.select(sa.func.count()).where(webhook_deliveries.c.world_id == world_id)
        ).scalar_one()
        return events, deliveries

    return unit


class ChangeFailed(Exception):
    pass


async def test_an_event_commits_with_its_change(db: Database, hooked: Partner) -> None:
    def unit(conn: Connection) -> str:
        partner_store.update_partner(conn, hooked.id, name="Renamed")
        return service.emit(conn, _world(hooked), "sandbox.ping", {"n": 1})

    event_id = await db.write(unit)
    assert await db.read(_counts(hooked.id)) == (1, 1)
    stored = await db.read(lambda conn: partner_store.get_partner(conn, hooked.id))
    assert stored is not None
    assert stored.name == "Renamed"
    [delivery] = await db.read(
        lambda conn: WebhookStore(conn, hooked.id).deliveries(limit=10, before=None, status=None)
    )
    assert delivery.event_id == event_id
    assert delivery.status == "pending"
    assert delivery.url == hooked.webhook_url


async def test_a_unit_that_raises_leaves_no_event_and_no_delivery(
    db: Database, hooked: Partner
) -> None:
    def unit(conn: Connection) -> None:
        partner_store.update_partner(conn, hooked.id, name="Never")
        service.emit(conn, _world(hooked), "sandbox.ping", {"n": 1})
        raise ChangeFailed("the change fails after the event was emitted")

    with pytest.raises(ChangeFailed):
        await db.write(unit)
    assert await db.read(_counts(hooked.id)) == (0, 0)
    stored = await db.read(lambda conn: partner_store.get_partner(conn, hooked.id))
    assert stored is not None
    assert stored.name == "Team Outbox"
    # and the dispatcher has nothing to send
    assert (
        await db.write(lambda c: claim_due(c, now_us=SYSTEM_CLOCK.now_us(), lease_us=1, limit=10))
        == []
    )


async def test_without_a_webhook_url_the_event_is_kept_but_not_delivered(db: Database) -> None:
    quiet = _partner("prt_quiet", None)
    await db.write(lambda conn: service.emit(conn, _world(quiet), "sandbox.ping", {}))
    assert await db.read(_counts(quiet.id)) == (1, 0)


async def test_a_claimed_delivery_is_leased_to_one_dispatcher(
    db: Database, hooked: Partner
) -> None:
    await db.write(lambda conn: service.emit(conn, _world(hooked), "sandbox.ping", {}))
    now = SYSTEM_CLOCK.now_us()
    [claimed] = await db.write(lambda c: claim_due(c, now_us=now, lease_us=LEASE_US, limit=10))
    assert claimed.secret == hooked.webhook_secret
    assert claimed.attempts == 0
    assert claimed.lease_until_us == now + LEASE_US
    assert await db.write(lambda c: claim_due(c, now_us=now, lease_us=LEASE_US, limit=10)) == []
    later = now + LEASE_US
    [again] = await db.write(lambda c: claim_due(c, now_us=later, lease_us=LEASE_US, limit=10))
    assert again.id == claimed.id  # the lease expired: another dispatcher may retry


async def test_a_replay_during_an_attempt_is_not_lost(db: Database, hooked: Partner) -> None:
    await db.write(lambda conn: service.emit(conn, _world(hooked), "sandbox.ping", {}))
    now = SYSTEM_CLOCK.now_us()
    [claimed] = await db.write(lambda c: claim_due(c, now_us=now, lease_us=LEASE_US, limit=10))

    # the partner replays it while the attempt is in flight ...
    url = hooked.webhook_url or ""
    assert await db.write(lambda c: WebhookStore(c, hooked.id).requeue(claimed.id, url, now + 1))

    # ... then the attempt finishes and would mark it succeeded
    def finish(conn: Connection) -> None:
        record_attempt(
            conn,
            delivery=claimed,
            attempted_us=now + 2,
            status_code=200,
            error=None,
            duration_ms=1,
            new_status="succeeded",
            next_attempt_us=None,
        )

    await db.write(finish)
    row = await db.read(lambda c: WebhookStore(c, hooked.id).delivery(claimed.id))
    assert row is not None
    assert row.status == "pending"  # the replay still stands
    assert row.next_attempt_us == now + 1
    assert row.attempts == 1  # the attempt is counted and logged all the same
    assert row.last_status_code == 200
    attempts = await db.read(lambda c: WebhookStore(c, hooked.id).attempts(claimed.id))
    assert [a.status_code for a in attempts] == [200]
    [redo] = await db.write(lambda c: claim_due(c, now_us=now + 3, lease_us=LEASE_US, limit=10))
    assert redo.id == claimed.id


async def test_an_attempt_settles_the_delivery_while_its_lease_holds(
    db: Database, hooked: Partner
) -> None:
    await db.write(lambda conn: service.emit(conn, _world(hooked), "sandbox.ping", {}))
    now = SYSTEM_CLOCK.now_us()
    [claimed] = await db.write(lambda c: claim_due(c, now_us=now, lease_us=LEASE_US, limit=10))

    def finish(conn: Connection) -> None:
        record_attempt(
            conn,
            delivery=claimed,
            attempted_us=now + 2,
            status_code=500,
            error="receiver answered HTTP 500",
            duration_ms=3,
            new_status="pending",
            next_attempt_us=now + 5,
        )

    await db.write(finish)
    row = await db.read(lambda c: WebhookStore(c, hooked.id).delivery(claimed.id))
    assert row is not None
    assert (row.status, row.attempts, row.next_attempt_us) == ("pending", 1, now + 5)
    assert row.last_error == "receiver answered HTTP 500"
    logged = await db.read(
        lambda c: c.execute(
            sa.select(webhook_attempts.c.world_id, webhook_attempts.c.duration_ms)
        ).all()
    )
    assert [tuple(r) for r in logged] == [(hooked.id, 3)]
