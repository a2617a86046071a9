"""All SQL of the partners' registered certificates, keyed by partner: the AUA signing
certificate (``aua_certificates``) and the KUA encryption certificate
(``kua_encryption_certificates``), one of each per partner."""

from __future__ import annotations

from typing import Any, Literal

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sandbox.storage.schema import aua_certificates, kua_encryption_certificates

Use = Literal["signature", "encryption"]

_TABLES = {"signature": aua_certificates, "encryption": kua_encryption_certificates}


def put(conn: Connection, partner_id: str, use: Use = "signature", **values: Any) -> None:
    """Register a certificate, replacing the partner's previous one of that use."""
    t = _TABLES[use]
    conn.execute(sa.delete(t).where(t.c.partner_id == partner_id))
    conn.execute(sa.insert(t).values(partner_id=partner_id, **values))


def get(conn: Connection, partner_id: str, use: Use = "signature") -> Any | None:
    t = _TABLES[use]
    return conn.execute(sa.select(t).where(t.c.partner_id == partner_id)).first()
