"""Use cases of webhooks: emit an event (inside the caller's unit of work), list, replay, test.

``emit`` is called by other services *inside* their unit of work, so the event and the change it
announces commit together (transactional outbox); the dispatcher delivers it afterwards.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from sandbox.kit.clock import iso
from sandbox.kit.ids import ordered_id
from sandbox.kit.pagination import cursor_pattern, page, parse_cursor
from sandbox.partners.models import Partner
from sandbox.storage.database import Database
from sandbox.webhooks.errors import DeliveryNotFound, NoWebhookUrl
from sandbox.webhooks.store import WebhookStore
from sandbox.world.context import WorldContext

CURSOR_ID = r"whd_[0-9a-z]{1,36}"  # the ids its cursors carry (stated in the OpenAPI)
_CURSOR = cursor_pattern(CURSOR_ID)


def emit(
    conn: Connection,
    world: WorldContext,
    event_type: str,
    data: dict[str, Any],
    *,
    world_us: int | None = None,
    url: str | None = None,
) -> str:
    """Record an event of ``world`` and queue its delivery to ``url``, by default the partner's
    webhook URL (none: recorded, not delivered); returns the event id.

    ``createdAt`` is the world time of the change the event announces: ``world.now_us``, the
    time every change of the request is stamped with, unless the change moves the world's clock
    itself (an advance, a reset), whose event gives the clock's new reading as ``world_us``.
    """
    partner = world.partner
    now_us = world.real_us
    world_us = world.now_us if world_us is None else world_us
    event_id = ordered_id("evt", now_us)  # time-ordered: its insert appends (sandbox.kit.ids)
    payload = {
        "id": event_id,
        "type": event_type,
        "createdAt": iso(world_us),
        "partnerId": partner.id,
        "data": data,
    }
    store = WebhookStore(conn, partner.world_id)
    store.add_event(
        event_id=event_id, type=event_type, payload=payload, now_us=now_us, world_time_us=world_us
    )
    target = url or partner.webhook_url
    if target:
        store.add_delivery(
            delivery_id=ordered_id("whd", now_us),
            event_id=event_id,
            url=target,
            now_us=now_us,
            follows=url is None,
        )
    return event_id


@dataclass(frozen=True, slots=True)
class DeliveryPage:
    rows: list[Any]
    next_cursor: str | None


async def list_deliveries(
    db: Database, partner: Partner, *, limit: int, cursor: str | None, status: str | None
) -> DeliveryPage:
    """A page of the partner's deliveries, newest first; ``cursor`` continues a listing."""
    before = parse_cursor(cursor, _CURSOR)

    def unit(conn: Connection) -> list[Any]:
        return WebhookStore(conn, partner.world_id).deliveries(
            limit=limit + 1, before=before, status=status
        )

    rows, nxt = page(await db.read(unit), limit, lambda r: (r.created_us, r.id))
    return DeliveryPage(rows, nxt)


async def get_delivery(db: Database, partner: Partner, delivery_id: str) -> tuple[Any, list[Any]]:
    def unit(conn: Connection) -> tuple[Any, list[Any]]:
        store = WebhookStore(conn, partner.world_id)
        row = store.delivery(delivery_id)
        if row is None:
            raise _not_found(delivery_id)
        return row, store.attempts(delivery_id)

    return await db.read(unit)


async def replay(db: Database, world: WorldContext, delivery_id: str) -> tuple[Any, list[Any]]:
    """Queue a delivery again now, whatever its state, with a fresh retry budget (its earlier
    attempts stay in the log): to the partner's webhook URL of now, or, for one a domain
    addressed elsewhere (an AA notification), to that same address."""
    webhook_url = world.partner.webhook_url

    def unit(conn: Connection) -> tuple[Any, list[Any]]:
        store = WebhookStore(conn, world.id)
        row = store.delivery(delivery_id)
        if row is None:
            raise _not_found(delivery_id)
        url = webhook_url if row.follows_webhook_url else row.url
        if not url:
            raise _no_url("replay this delivery")
        store.requeue(delivery_id, url, world.real_us)
        return store.delivery(delivery_id), store.attempts(delivery_id)

    return await db.write(unit)


def retarget(conn: Connection, world: WorldContext, url: str | None) -> int:
    """The partner's webhook URL becomes ``url`` (inside the unit that stores it): queued
    deliveries go there instead, due now with a fresh retry budget; with no URL they are
    ``cancelled``, the reason in their ``lastError``. Returns how many moved."""
    store = WebhookStore(conn, world.id)
    if url:
        return store.retarget_pending(url, world.real_us)
    return store.cancel_pending(CLEARED_REASON, world.real_us)


CLEARED_REASON = (
    "Not sent: the webhook URL was cleared (PATCH /v1/partners/me) while this delivery was "
    "queued. Set a URL, then replay it."
)


async def send_test(db: Database, world: WorldContext) -> str:
    if not world.partner.webhook_url:
        raise _no_url("send the test event")

    def unit(conn: Connection) -> str:
        return emit(conn, world, "sandbox.ping", {"message": "Webhook delivery works."})

    return await db.write(unit)


def _no_url(to: str) -> NoWebhookUrl:
    return NoWebhookUrl(
        f"This partner has no webhook URL, so there is nowhere to {to}.",
        hint='Set one with PATCH /v1/partners/me {"webhookUrl": "https://..."}.',
    )


def _not_found(delivery_id: str) -> DeliveryNotFound:
    return DeliveryNotFound(
        f"No webhook delivery '{delivery_id}' in your world.",
        hint="List yours with GET /v1/sandbox/webhooks/deliveries.",
    )
