"""All SQL of partners and API keys (platform tables, keyed by partner id)."""

from __future__ import annotations

import dataclasses
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from sandbox.partners.cache import CHANNEL
from sandbox.partners.models import Partner
from sandbox.storage import raw
from sandbox.storage.raw import Raw
from sandbox.storage.schema import api_keys, partners

_PARTNER_COLUMNS = list(partners.c)


def _partner(row: Any) -> Partner:
    return Partner(
        id=row.id,
        name=row.name,
        contact_email=row.contact_email,
        webhook_url=row.webhook_url,
        webhook_secret=row.webhook_secret,
        country=row.country,
        world_seed=row.world_seed,
        world_residents=row.world_residents,
        clock_offset_us=row.clock_offset_us,
        created_us=row.created_us,
        fixed_otp=bool(row.fixed_otp),
    )


def insert_partner(conn: Connection, partner: Partner) -> None:
    conn.execute(
        partners.insert().values(
            id=partner.id,
            name=partner.name,
            contact_email=partner.contact_email,
            webhook_url=partner.webhook_url,
            webhook_secret=partner.webhook_secret,
            country=partner.country,
            world_seed=partner.world_seed,
            world_residents=partner.world_residents,
            clock_offset_us=partner.clock_offset_us,
            created_us=partner.created_us,
            fixed_otp=partner.fixed_otp,
        )
    )


def insert_key(
    conn: Connection, *, key_id: str, partner_id: str, key_hash: str, prefix: str, now_us: int
) -> None:
    conn.execute(
        api_keys.insert().values(
            id=key_id, partner_id=partner_id, key_hash=key_hash, prefix=prefix, created_us=now_us
        )
    )


_FIELDS = tuple(f.name for f in dataclasses.fields(Partner))
_FIND_BY_KEY_HASH = Raw(
    # on every request: SQL text on the cursor (see sandbox/storage/raw.py)
    f"SELECT k.id, {', '.join('p.' + f for f in _FIELDS)} "  # noqa: S608 - names from code
    "FROM api_keys k JOIN partners p ON p.id = k.partner_id "
    "WHERE k.key_hash = :key_hash AND k.revoked_us IS NULL"
)


def find_by_key_hash(conn: Connection, key_hash: str) -> tuple[Partner, str] | None:
    """The partner owning an active key with this hash, and the key's id."""
    row = raw.fetchone(conn, _FIND_BY_KEY_HASH, {"key_hash": key_hash})
    if row is None:
        return None
    partner = Partner(*row[1:])
    return dataclasses.replace(partner, fixed_otp=bool(partner.fixed_otp)), row[0]


def get_partner(conn: Connection, partner_id: str) -> Partner | None:
    row = conn.execute(sa.select(partners).where(partners.c.id == partner_id)).first()
    return None if row is None else _partner(row)


def partner_with_active_key(conn: Connection, partner_id: str, key_id: str) -> Partner | None:
    """The partner when its key ``key_id`` is still active (a console session rides on it)."""
    active = conn.execute(
        sa.select(api_keys.c.id).where(
            api_keys.c.id == key_id,
            api_keys.c.partner_id == partner_id,
            api_keys.c.revoked_us.is_(None),
        )
    ).first()
    return None if active is None else get_partner(conn, partner_id)


def partners_with_id_prefix(conn: Connection, prefix: str) -> list[Partner]:
    """Partners whose id starts with ``prefix`` (an AUA code finds its partner this way)."""
    query = sa.select(partners).where(partners.c.id.startswith(prefix, autoescape=True))
    return [_partner(row) for row in conn.execute(query)]


def touch(conn: Connection) -> None:
    """Tell the other processes' key caches (``sandbox.partners.cache``) that a partner or a
    key changed: on PostgreSQL a NOTIFY, delivered when this transaction commits (and never if
    it rolls back). Every statement below that changes a partner or a key calls it; this
    process's own cache is invalidated by the service function once the write has committed."""
    if conn.dialect.name == "postgresql":
        conn.exec_driver_sql(f"NOTIFY {CHANNEL}")


def revoke_keys(conn: Connection, partner_id: str, now_us: int, *, except_id: str) -> int:
    touch(conn)
    result = conn.execute(
        sa.update(api_keys)
        .where(
            api_keys.c.partner_id == partner_id,
            api_keys.c.revoked_us.is_(None),
            api_keys.c.id != except_id,
        )
        .values(revoked_us=now_us)
    )
    return result.rowcount


def update_partner(conn: Connection, partner_id: str, **values: Any) -> None:
    touch(conn)
    conn.execute(sa.update(partners).where(partners.c.id == partner_id).values(**values))


def advance_clock(conn: Connection, partner_id: str, by_us: int) -> int:
    """Move the world's clock forward atomically and return the new offset."""
    touch(conn)
    conn.execute(
        sa.update(partners)
        .where(partners.c.id == partner_id)
        .values(clock_offset_us=partners.c.clock_offset_us + by_us)
    )
    offset: int = conn.execute(
        sa.select(partners.c.clock_offset_us).where(partners.c.id == partner_id)
    ).scalar_one()
    return offset
