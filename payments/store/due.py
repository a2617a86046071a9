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
    # literals, not bound parameters: SQLite uses a partial index (migration 0012) only when
    # the query's terms match the index's WHERE as written
    deemed = sa.literal_column("'DEEMED'", sa.String)
    pending = sa.literal_column("'PENDING'", sa.String)
    collect = sa.literal_column("'COLLECT'", sa.String)
    # one SELECT per partial index: SQLite does not combine two partial indexes across an OR
    deemed_due = (
        sa.select(t.c.world_id)
        .join(p, p.c.id == t.c.world_id)
        .where(t.c.status == deemed, t.c.settle_at_us <= world_now)
    )
    collects_due = (
        sa.select(t.c.world_id)
        .join(p, p.c.id == t.c.world_id)
        .where(t.c.status == pending, t.c.type == collect, t.c.expires_us <= world_now)
    )
    lapsed = (
        sa.select(m.c.world_id)
        .join(p, p.c.id == m.c.world_id)
        .where(m.c.status.in_(MANDATE_LIVE), m.c.valid_until_us < world_now)
    )
    return sorted({row[0] for row in conn.execute(sa.union(deemed_due, collects_due, lapsed))})
