"""All SQL of consent: consents (request + artefact), the consent log, partners' AA settings,
and the reads of the world's population it needs (AA handles, a resident's accounts)."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from consent.models import GENESIS, LogEntry, log_hash
from sandbox.storage.schema import (
    aa_handles,
    aa_settings,
    accounts,
    consent_log,
    consents,
    fi_sessions,
    partners,
)
from sandbox.storage.scoped import WorldStore


class ConsentStore(WorldStore):
    # -- consents --------------------------------------------------------------------------------

    def add(self, row: dict[str, Any]) -> None:
        self.insert(consents, row)

    def by_handle(self, handle: str, *, lock: bool = False) -> Any | None:
        query = self.select(consents).where(consents.c.handle == handle)
        if lock and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return self.conn.execute(query).first()

    def by_consent_id(self, consent_id: str, *, lock: bool = False) -> Any | None:
        query = self.select(consents).where(consents.c.consent_id == consent_id)
        if lock and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return self.conn.execute(query).first()

    def set_status(
        self, handle: str, allowed: Iterable[str], status: str, now_us: int, **values: Any
    ) -> bool:
        """Move ``handle`` to ``status`` if it is in ``allowed`` (a conditional update: of two
        concurrent changes, one wins)."""
        result = self.conn.execute(
            self.update(consents)
            .where(consents.c.handle == handle, consents.c.status.in_(list(allowed)))
            .values(status=status, updated_us=now_us, **values)
        )
        return result.rowcount == 1

    def record_use(self, handle: str, now_us: int) -> None:
        self.conn.execute(
            self.update(consents)
            .where(consents.c.handle == handle)
            .values(use_count=consents.c.use_count + 1, last_use_us=now_us)
        )

    def page(
        self,
        *,
        limit: int,
        before: tuple[int, str] | None,
        status: str | None,
        resident_uid: str | None = None,
    ) -> list[Any]:
        """Newest first; ``before`` is the (created_us, handle) of the last row already seen;
        ``resident_uid`` keeps one customer's (the AA app's view of her consents)."""
        c = consents
        query = self.select(c).order_by(c.c.created_us.desc(), c.c.handle.desc()).limit(limit)
        if before is not None:
            created_us, handle = before
            query = query.where(
                sa.or_(
                    c.c.created_us < created_us,
                    sa.and_(c.c.created_us == created_us, c.c.handle < handle),
                )
            )
        if status is not None:
            query = query.where(c.c.status == status)
        if resident_uid is not None:
            query = query.where(c.c.resident_uid == resident_uid)
        return list(self.conn.execute(query))

    # -- the consent log -------------------------------------------------------------------------

    def log(self, handle: str) -> list[LogEntry]:
        rows = self.conn.execute(
            self.select(consent_log)
            .where(consent_log.c.handle == handle)
            .order_by(consent_log.c.seq)
        )
        return [LogEntry(r.seq, r.at_us, r.kind, dict(r.data), r.prev_hash, r.hash) for r in rows]

    def append_log(self, handle: str, at_us: int, kind: str, data: dict[str, Any]) -> LogEntry:
        """Add the next entry, chained to the last one. Two concurrent appends pick the same
        seq and the second fails on the primary key: the caller's unit is retried or fails,
        never forks the chain."""
        last = self.conn.execute(
            self.select(consent_log, consent_log.c.seq, consent_log.c.hash)
            .where(consent_log.c.handle == handle)
            .order_by(consent_log.c.seq.desc())
            .limit(1)
        ).first()
        seq, prev = (last.seq + 1, last.hash) if last else (1, GENESIS)
        entry = LogEntry(seq, at_us, kind, data, prev, log_hash(prev, seq, at_us, kind, data))
        self.insert(
            consent_log,
            {
                "handle": handle,
                "seq": seq,
                "at_us": at_us,
                "kind": kind,
                "data": data,
                "prev_hash": prev,
                "hash": entry.hash,
            },
        )
        return entry

    def lapsed(self, now_us: int) -> list[str]:
        """Handles of live consents past their consentExpiry at world time ``now_us``."""
        c = consents
        return [
            str(r.handle)
            for r in self.conn.execute(
                self.select(c, c.c.handle).where(
                    c.c.status.in_(["PENDING", "ACTIVE", "PAUSED"]), c.c.expiry_us <= now_us
                )
            )
        ]

    def uses_since(self, handle: str, since_us: int) -> int:
        """FI requests logged for ``handle`` at or after ``since_us`` (world time)."""
        count = self.conn.execute(
            self.select(consent_log, sa.func.count()).where(
                consent_log.c.handle == handle,
                consent_log.c.kind == "FI_REQUEST",
                consent_log.c.at_us >= since_us,
            )
        ).scalar()
        return int(count or 0)

    # -- the world's population ------------------------------------------------------------------

    def resident_of_handle(self, handle: str) -> str | None:
        row = self.conn.execute(
            self.select(aa_handles, aa_handles.c.resident_uid).where(aa_handles.c.handle == handle)
        ).first()
        return None if row is None else str(row.resident_uid)

    def accounts_of(self, resident_uid: str) -> list[Any]:
        a = accounts
        return list(
            self.conn.execute(
                self.select(a, a.c.number, a.c.bank_code, a.c.type, a.c.status)
                .where(a.c.resident_uid == resident_uid)
                .order_by(a.c.number)
            )
        )


class FiSessionStore(WorldStore):
    """FI sessions (POST /aa/FI/request) of one world."""

    def add(self, row: dict[str, Any]) -> None:
        self.insert(fi_sessions, row)

    def get(self, session_id: str, *, lock: bool = False) -> Any | None:
        query = self.select(fi_sessions).where(fi_sessions.c.session_id == session_id)
        if lock and self.conn.dialect.name == "postgresql":
            query = query.with_for_update()
        return self.conn.execute(query).first()

    def active_of(self, handle: str, now_us: int) -> Any | None:
        """The consent's ACTIVE session still inside its fetch window, if any."""
        s = fi_sessions
        return self.conn.execute(
            self.select(s)
            .where(s.c.handle == handle, s.c.status == "ACTIVE", s.c.expires_us > now_us)
            .limit(1)
        ).first()

    def change(self, session_id: str, now_us: int, **values: Any) -> None:
        self.conn.execute(
            self.update(fi_sessions)
            .where(fi_sessions.c.session_id == session_id)
            .values(updated_us=now_us, **values)
        )

    def set_status(self, session_id: str, allowed: Iterable[str], status: str, now_us: int) -> bool:
        result = self.conn.execute(
            self.update(fi_sessions)
            .where(fi_sessions.c.session_id == session_id, fi_sessions.c.status.in_(list(allowed)))
            .values(status=status, updated_us=now_us)
        )
        return result.rowcount == 1

    def page(self, *, limit: int, before: tuple[int, str] | None, status: str | None) -> list[Any]:
        """Newest first; ``before`` is the (created_us, session_id) of the last row seen."""
        s = fi_sessions
        query = self.select(s).order_by(s.c.created_us.desc(), s.c.session_id.desc()).limit(limit)
        if before is not None:
            created_us, session_id = before
            query = query.where(
                sa.or_(
                    s.c.created_us < created_us,
                    sa.and_(s.c.created_us == created_us, s.c.session_id < session_id),
                )
            )
        if status is not None:
            query = query.where(s.c.status == status)
        return list(self.conn.execute(query))


# -- the sweeper works across worlds --------------------------------------------------------------


def worlds_with_lapsed_consents(conn: Connection, real_now_us: int) -> list[str]:
    """Worlds holding a live consent past its consentExpiry in that world's time."""
    c, p = consents, partners
    return [
        str(r.world_id)
        for r in conn.execute(
            sa.select(c.c.world_id)
            .join(p, p.c.id == c.c.world_id)
            .where(
                c.c.status.in_(["PENDING", "ACTIVE", "PAUSED"]),
                c.c.expiry_us <= real_now_us + p.c.clock_offset_us,
            )
            .distinct()
        )
    ]


# -- partners' AA settings (partner-owned, kept on reset) ---------------------------------------


def settings_of(conn: Connection, partner_id: str) -> Any | None:
    return conn.execute(
        sa.select(aa_settings).where(aa_settings.c.partner_id == partner_id)
    ).first()


def save_settings(
    conn: Connection,
    partner_id: str,
    *,
    signing_jwk: dict[str, Any] | None,
    notification_url: str | None,
    now_us: int,
) -> None:
    values = {
        "signing_jwk": signing_jwk,
        "notification_url": notification_url,
        "updated_us": now_us,
    }
    updated = conn.execute(
        sa.update(aa_settings).where(aa_settings.c.partner_id == partner_id).values(**values)
    )
    if updated.rowcount == 0:
        conn.execute(aa_settings.insert().values(partner_id=partner_id, **values))
