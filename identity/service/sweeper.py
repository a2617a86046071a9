"""The OTP sweeper: deletes OTPs an hour (world time) after they expired, so ``otp_requests``
holds only the OTPs of the last ~70 minutes of each world instead of growing with every request.

Each world's own time decides (a partner that moved its clock sees its OTPs swept sooner). An
OTP kept for an hour past its expiry still answers a late try with "expired at ..." (403); after
that the number has no OTP waiting (403 too, "none sent, used or expired").
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from identity.models import OTP_KEEP_AFTER_EXPIRY_US
from identity.store import OtpStore
from identity.store.otp import worlds_with_expired_otps
from sandbox.kit.clock import Clock
from sandbox.partners.store import get_partner
from sandbox.storage.database import Database


async def sweep_otps(db: Database, clock: Clock) -> int:
    """Delete every world's OTPs that expired more than an hour ago (its world time); how
    many."""
    real_now = clock.now_us()
    keep = OTP_KEEP_AFTER_EXPIRY_US
    worlds = await db.read(lambda conn: worlds_with_expired_otps(conn, real_now, keep))
    done = 0
    for world_id in worlds:

        def unit(conn: Connection, world_id: str = world_id) -> int:
            partner = get_partner(conn, world_id)
            if partner is None:
                return 0
            world_now = real_now + partner.clock_offset_us
            return OtpStore(conn, world_id).delete_expired(world_now - keep)

        done += await db.write(unit)
    return done
