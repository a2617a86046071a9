"""The sweeper's one cross-world query: which worlds have time-driven work due."""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from payments.models import MANDATE_LIVE
from sandbox.storage.schema import mandates, partners, upi_transactions


def worlds_with_due_work(conn: Connection, real_now: int) -> list[str]:
    """Worlds (across all partners, for the sweeper) holding a deemed payment due to settle, a
    collect due to expire, or a live mandate past its validUntil, each in its own world time."""
    t, p, m = upi_transactions, partners, mandates
    world_now = real_now + p.c.clock_offset_us
    due_txns = (
        sa.select(t.c.world_id)
        .join(p, p.c.id == t.c.world_id)
        .where(
            sa.or_(
                sa.and_(t.c.status == "DEEMED", t.c.settle_at_us <= world_now),
                sa.and_(
                    t.c.status == "PENDING", t.c.type == "COLLECT", t.c.expires_us <= world_now
                ),
            )
        )
    )
    lapsed = (
        sa.select(m.c.world_id)
        .join(p, p.c.id == m.c.world_id)
        .where(m.c.status.in_(MANDATE_LIVE), m.c.valid_until_us < world_now)
    )
    return sorted({row[0] for row in conn.execute(sa.union(due_txns, lapsed))})
