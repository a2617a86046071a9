"""All SQL of the AUA signing certificates (``aua_certificates``), keyed by partner."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sandbox.storage.schema import aua_certificates


def put(conn: Connection, partner_id: str, **values: Any) -> None:
    """Register a certificate, replacing the partner's previous one."""
    t = aua_certificates
    conn.execute(sa.delete(t).where(t.c.partner_id == partner_id))
    conn.execute(sa.insert(t).values(partner_id=partner_id, **values))


def get(conn: Connection, partner_id: str) -> Any | None:
    t = aua_certificates
    return conn.execute(sa.select(t).where(t.c.partner_id == partner_id)).first()
