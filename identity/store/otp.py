"""All SQL of OTP requests (``otp_requests``, world-owned)."""

from __future__ import annotations

from typing import Any

from identity.models import OtpChannel, OtpRequest
from sandbox.storage.schema import otp_requests
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
