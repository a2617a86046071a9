"""All SQL of the webhook outbox: events, deliveries and delivery attempts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from pydantic_core import to_json
from sqlalchemy.engine import Connection

from sandbox.storage import raw
from sandbox.storage.raw import Raw
from sandbox.storage.schema import partners, webhook_attempts, webhook_deliveries, webhook_events
from sandbox.storage.scoped import WorldStore


@dataclass(frozen=True, slots=True)
class DueDelivery:
    id: str
    world_id: str
    url: str
    attempts: int
    event: dict[str, Any]
    secret: str
    lease_until_us: int  # the claim's lease: only the holder may settle the delivery


CANCELLED = "cancelled"  # never sent: the webhook URL was cleared while it was queued

_ADD_EVENT = Raw("""
    INSERT INTO webhook_events (world_id, id, type, payload, created_us, world_time_us)
    VALUES (:world_id, :id, :type, :payload, :created_us, :world_time_us)
""")
_ADD_DELIVERY = Raw("""
    INSERT INTO webhook_deliveries
        (world_id, id, event_id, url, follows_webhook_url, status, attempts, next_attempt_us,
         created_us, updated_us)
    VALUES (:world_id, :id, :event_id, :url, :follows, 'pending', 0, :now_us, :now_us, :now_us)
""")


class WebhookStore(WorldStore):
    def add_event(
        self, *, event_id: str, type: str, payload: dict[str, Any], now_us: int, world_time_us: int
    ) -> None:
        # on every payment: SQL text on the cursor (see sandbox/storage/raw.py), blind
        raw.send(
            self.conn,
            _ADD_EVENT,
            {
                "world_id": self.world_id,
                "id": event_id,
                "type": type,
                "payload": to_json(payload).decode(),  # a JSON column: read back parsed
                "created_us": now_us,
                "world_time_us": world_time_us,
            },
        )

    def add_delivery(
        self, *, delivery_id: str, event_id: str, url: str, now_us: int, follows: bool = True
    ) -> None:
        raw.send(
            self.conn,
            _ADD_DELIVERY,
            {
                "world_id": self.world_id,
                "id": delivery_id,
                "event_id": event_id,
                "url": url,
                "follows": follows,
                "now_us": now_us,
            },
        )

    def deliveries(
        self, *, limit: int, before: tuple[int, str] | None, status: str | None
    ) -> list[Any]:
        """Newest first; ``before`` is the (created_us, id) of the last row already seen."""
        d, e = webhook_deliveries, webhook_events
        query = (
            self.select(d, d, e.c.type.label("event_type"))
            .join(e, e.c.id == d.c.event_id)
            .order_by(d.c.created_us.desc(), d.c.id.desc())
            .limit(limit)
        )
        if before is not None:
            created_us, delivery_id = before
            query = query.where(
                sa.or_(
                    d.c.created_us < created_us,
                    sa.and_(d.c.created_us == created_us, d.c.id < delivery_id),
                )
            )
        if status is not None:
            query = query.where(d.c.status == status)
        return list(self.conn.execute(query))

    def delivery(self, delivery_id: str) -> Any | None:
        d, e = webhook_deliveries, webhook_events
        return self.conn.execute(
            self.select(d, d, e.c.type.label("event_type"), e.c.payload)
            .join(e, e.c.id == d.c.event_id)
            .where(d.c.id == delivery_id)
        ).first()

    def attempts(self, delivery_id: str) -> list[Any]:
        a = webhook_attempts
        return list(
            self.conn.execute(self.select(a).where(a.c.delivery_id == delivery_id).order_by(a.c.id))
        )

    def requeue(self, delivery_id: str, url: str, now_us: int) -> bool:
        """Queue a delivery to ``url``, due now, with a fresh retry budget (``attempts`` counts
        from 0 again; its attempt log keeps every earlier attempt)."""
        result = self.conn.execute(
            self.update(webhook_deliveries)
            .where(webhook_deliveries.c.id == delivery_id)
            .values(
                status="pending", url=url, attempts=0, next_attempt_us=now_us, updated_us=now_us
            )
        )
        return result.rowcount == 1

    def retarget_pending(self, url: str, now_us: int) -> int:
        """Send every queued delivery that follows the webhook URL to ``url`` instead, due now,
        with a fresh retry budget (the failures so far were the old receiver's). One in flight
        may still reach the old URL; its lease no longer matches, so it is sent again: at least
        once, as ever. Deliveries a domain addressed elsewhere stay where they are."""
        d = webhook_deliveries
        result = self.conn.execute(
            self.update(d)
            .where(d.c.status == "pending", d.c.follows_webhook_url)
            .values(url=url, attempts=0, next_attempt_us=now_us, updated_us=now_us)
        )
        return int(result.rowcount)

    def cancel_pending(self, reason: str, now_us: int) -> int:
        """Mark every queued delivery that follows the webhook URL ``cancelled``, with ``reason``
        as its ``last_error``."""
        d = webhook_deliveries
        result = self.conn.execute(
            self.update(d)
            .where(d.c.status == "pending", d.c.follows_webhook_url)
            .values(status=CANCELLED, last_error=reason, next_attempt_us=None, updated_us=now_us)
        )
        return int(result.rowcount)


# -- the dispatcher's side: it works across worlds, by delivery id ----------------------------


def claim_due(conn: Connection, *, now_us: int, lease_us: int, limit: int) -> list[DueDelivery]:
    """Take up to ``limit`` due deliveries for ``lease_us`` (other dispatchers skip them)."""
    d, e = webhook_deliveries, webhook_events
    pick = (
        sa.select(d.c.id)
        .where(d.c.status == "pending", d.c.next_attempt_us <= now_us)
        .order_by(d.c.next_attempt_us)
        .limit(limit)
    )
    if conn.dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    ids = [row.id for row in conn.execute(pick)]
    if not ids:
        return []
    lease_until_us = now_us + lease_us
    conn.execute(sa.update(d).where(d.c.id.in_(ids)).values(next_attempt_us=lease_until_us))
    rows = conn.execute(
        sa.select(
            d.c.id, d.c.world_id, d.c.url, d.c.attempts, e.c.payload, partners.c.webhook_secret
        )
        .join(e, e.c.id == d.c.event_id)
        .join(partners, partners.c.id == d.c.world_id)
        .where(d.c.id.in_(ids))
    )
    return [
        DueDelivery(
            r.id, r.world_id, r.url, r.attempts, r.payload, r.webhook_secret, lease_until_us
        )
        for r in rows
    ]


def record_attempt(
    conn: Connection,
    *,
    delivery: DueDelivery,
    attempted_us: int,
    status_code: int | None,
    error: str | None,
    duration_ms: int,
    new_status: str,
    next_attempt_us: int | None,
) -> None:
    """Log one attempt and settle the delivery, if the claim's lease is still held.

    A replay while the attempt was in flight (``requeue``), or another dispatcher that took the
    delivery after the lease expired, moved ``next_attempt_us``: then the attempt is logged and
    counted, but the status and the next attempt are theirs to decide.
    """
    conn.execute(
        webhook_attempts.insert().values(
            delivery_id=delivery.id,
            world_id=delivery.world_id,
            attempted_us=attempted_us,
            status_code=status_code,
            error=error,
            duration_ms=duration_ms,
        )
    )
    d = webhook_deliveries
    outcome = {
        "attempts": d.c.attempts + 1,
        "last_status_code": status_code,
        "last_error": error,
        "updated_us": attempted_us,
    }
    settled = conn.execute(
        sa.update(d)
        .where(
            d.c.id == delivery.id,
            d.c.status == "pending",
            d.c.next_attempt_us == delivery.lease_until_us,
        )
        .values(**outcome, status=new_status, next_attempt_us=next_attempt_us)
    )
    if settled.rowcount == 0:
        conn.execute(sa.update(d).where(d.c.id == delivery.id).values(**outcome))
