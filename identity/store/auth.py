"""All SQL of authentication records (``auth_records``, world-owned)."""

from __future__ import annotations

import json
from typing import Any

import sqlalchemy as sa

from identity.models import AuthRecord
from identity.store import sql
from sandbox.storage import raw
from sandbox.storage.schema import auth_records
from sandbox.storage.scoped import WorldStore


def _record(row: Any) -> AuthRecord:
    return AuthRecord(
        id=row.id,
        txn=row.txn,
        uid_token=row.uid_token,
        uid_last4=row.uid_last4,
        ret=row.ret,
        err=row.err,
        actn=row.actn,
        uses=dict(row.uses),
        easy_path=bool(row.easy_path),
        pid_ts=row.pid_ts,
        created_us=row.created_us,
        replay_key=row.replay_key,
    )


class AuthStore(WorldStore):
    def add(self, record: AuthRecord) -> None:
        # on every auth: SQL text on the cursor (see sandbox/storage/raw.py)
        raw.execute(
            self.conn,
            sql.ADD_AUTH_RECORD,
            {
                "world_id": self.world_id,
                "id": record.id,
                "txn": record.txn,
                "replay_key": record.replay_key,
                "uid_token": record.uid_token,
                "uid_last4": record.uid_last4,
                "ret": record.ret,
                "err": record.err,
                "actn": record.actn,
                "uses": json.dumps(record.uses, separators=(",", ":")),
                "easy_path": record.easy_path,
                "pid_ts": record.pid_ts,
                "created_us": record.created_us,
            },
        )

    def seen(self, replay_key: str) -> bool:
        """Whether a request with this (txn, PID ts) was already decided (563 otherwise)."""
        params = {"world_id": self.world_id, "replay_key": replay_key}
        return raw.fetchone(self.conn, sql.REPLAY_SEEN, params) is not None

    def get(self, record_id: str) -> AuthRecord | None:
        a = auth_records
        row = self.conn.execute(self.select(a).where(a.c.id == record_id)).first()
        return None if row is None else _record(row)

    def page(
        self,
        *,
        limit: int,
        before: tuple[int, str] | None,
        uid_token: str | None,
        since_us: int | None,
        until_us: int | None,
    ) -> list[AuthRecord]:
        """Newest first; ``before`` is the (created_us, id) of the last record already seen;
        ``since_us`` inclusive, ``until_us`` exclusive (world time)."""
        a = auth_records
        query = self.select(a).order_by(a.c.created_us.desc(), a.c.id.desc()).limit(limit)
        if uid_token is not None:
            query = query.where(a.c.uid_token == uid_token)
        if since_us is not None:
            query = query.where(a.c.created_us >= since_us)
        if until_us is not None:
            query = query.where(a.c.created_us < until_us)
        if before is not None:
            created_us, record_id = before
            query = query.where(
                sa.or_(
                    a.c.created_us < created_us,
                    sa.and_(a.c.created_us == created_us, a.c.id < record_id),
                )
            )
        return [_record(r) for r in self.conn.execute(query)]
