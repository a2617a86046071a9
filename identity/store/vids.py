"""All SQL of VIDs (``vids``) and of the UID tokens handed out (``uid_tokens``), world-owned."""

from __future__ import annotations

from typing import Any

from identity.models import Vid, VidStatus
from identity.store import sql
from sandbox.storage import raw, writer_memory
from sandbox.storage.schema import uid_tokens, vids
from sandbox.storage.scoped import WorldStore

# ``TokenStore`` keeps the tokens it stored in the SQLite writer's memory; a reset (SQLAlchemy's
# DELETE of ``uid_tokens``) clears it
writer_memory.watch("uid_tokens")


def _vid(row: Any) -> Vid:
    return Vid(
        vid=row.vid,
        uid=row.uid,
        status=VidStatus(row.status),
        created_us=row.created_us,
        expires_us=row.expires_us,
        revoked_us=row.revoked_us,
    )


class VidStore(WorldStore):
    def add(self, vid: Vid) -> None:
        self.insert(
            vids,
            {
                "vid": vid.vid,
                "uid": vid.uid,
                "status": vid.status.value,
                "created_us": vid.created_us,
                "expires_us": vid.expires_us,
                "revoked_us": vid.revoked_us,
            },
        )

    def get(self, vid: str) -> Vid | None:
        row = self.conn.execute(self.select(vids).where(vids.c.vid == vid)).first()
        return None if row is None else _vid(row)

    def end(self, vid: str, status: VidStatus, now_us: int) -> bool:
        """Revoke or replace an ACTIVE VID; False when it was not active any more."""
        done = self.conn.execute(
            self.update(vids)
            .where(vids.c.vid == vid, vids.c.status == VidStatus.ACTIVE.value)
            .values(status=status.value, revoked_us=now_us)
        )
        return done.rowcount == 1

    def replace_active(self, uid: str, now_us: int) -> None:
        """Mark the resident's ACTIVE VID (if any) REPLACED: one active VID per resident."""
        self.conn.execute(
            self.update(vids)
            .where(vids.c.uid == uid, vids.c.status == VidStatus.ACTIVE.value)
            .values(status=VidStatus.REPLACED.value, revoked_us=now_us)
        )


class TokenStore(WorldStore):
    def keep(self, token: str, uid: str, now_us: int) -> None:
        """Remember a token given out (once; later answers with the same token change nothing)."""
        row = {"world_id": self.world_id, "token": token, "uid": uid, "created_us": now_us}
        raw.execute(self.conn, sql.KEEP_UID_TOKEN, row)  # on every auth (sandbox/storage/raw.py)
        memory = writer_memory.current()
        if memory is not None:
            memory.put(("uid-token", self.world_id, uid), token)

    def kept(self, uid: str) -> str | None:
        """The resident's token when the SQLite writer's memory holds it as stored, else None
        (always None off the writer: the caller computes and keeps it)."""
        memory = writer_memory.current()
        held: str | None = None if memory is None else memory.get(("uid-token", self.world_id, uid))
        return held

    def uid_of(self, token: str) -> str | None:
        t = uid_tokens
        found: str | None = self.conn.execute(
            self.select(t, t.c.uid).where(t.c.token == token)
        ).scalar_one_or_none()
        return found
