"""All SQL of OTP requests (``otp_requests``, world-owned)."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection

from identity.models import OtpChannel, OtpRequest
from sandbox.storage.schema import otp_requests, partners
from sandbox.storage.scoped import WorldStore


def _otp(row: Any) -> OtpRequest:
    return OtpRequest(
        id=row.id,
        uid=row.uid,
        txn=row.txn,
        channel=OtpChannel(row.channel),
        otp_hash=row.otp_hash,
        wrong_tries=row.wrong_tries,
        created_us=row.created_us,
        expires_us=row.expires_us,
        used_us=row.used_us,
    )


class OtpStore(WorldStore):
    def add(self, otp: OtpRequest) -> None:
        self.insert(
            otp_requests,
            {
                "id": otp.id,
                "uid": otp.uid,
                "txn": otp.txn,
                "channel": otp.channel.value,
                "otp_hash": otp.otp_hash,
                "wrong_tries": otp.wrong_tries,
                "created_us": otp.created_us,
                "expires_us": otp.expires_us,
                "used_us": otp.used_us,
            },
        )

    def latest(self, uid: str) -> OtpRequest | None:
        """The newest OTP sent for ``uid``: the one an OTP authentication is checked against."""
        o = otp_requests
        row = self.conn.execute(
            self.select(o)
            .where(o.c.uid == uid)
            .order_by(o.c.created_us.desc(), o.c.id.desc())
            .limit(1)
        ).first()
        return None if row is None else _otp(row)

    def count_wrong_try(self, otp_id: str) -> int:
        """One more wrong try of this OTP; the new count."""
        o = otp_requests
        self.conn.execute(
            self.update(o).where(o.c.id == otp_id).values(wrong_tries=o.c.wrong_tries + 1)
        )
        tries: int = self.conn.execute(
            self.select(o, o.c.wrong_tries).where(o.c.id == otp_id)
        ).scalar_one()
        return tries

    def use(self, otp_id: str, now_us: int) -> bool:
        """Consume the OTP (once: False when a concurrent authentication was first)."""
        o = otp_requests
        done = self.conn.execute(
            self.update(o).where(o.c.id == otp_id, o.c.used_us.is_(None)).values(used_us=now_us)
        )
        return done.rowcount == 1

    def delete_expired(self, before_us: int) -> int:
        """Delete the OTPs that expired before ``before_us`` (world time); how many.

        Safe for ``latest``: every OTP lives the same time, so a number's older OTPs expire
        no later than its newest, and the one a request is checked against is never left behind
        an older one that is still valid."""
        o = otp_requests
        done = self.conn.execute(self.delete(o).where(o.c.expires_us < before_us))
        return int(done.rowcount)


def worlds_with_expired_otps(conn: Connection, real_now: int, keep_us: int) -> list[str]:
    """The OTP sweeper's one cross-world query: worlds holding an OTP that expired more than
    ``keep_us`` ago in the world's own time (real time plus its clock offset)."""
    o, p = otp_requests, partners
    query = (
        sa.select(o.c.world_id)
        .distinct()
        .join(p, p.c.id == o.c.world_id)
        .where(o.c.expires_us + keep_us < real_now + p.c.clock_offset_us)
    )
    return sorted(row[0] for row in conn.execute(query))
