"""Identity as the platform wires it (``sandbox.domains.Domain``): its routes, its magic rows
and the OTP sweeper."""

from __future__ import annotations

from identity import magic
from identity.api import hot_routers, routers
from identity.service.sweeper import sweep_otps
from sandbox.domains import Domain, Magic, MagicRow
from sandbox.kit.clock import Clock
from sandbox.ops.periodic import Periodic
from sandbox.settings import Settings
from sandbox.storage.database import Database


def jobs(db: Database, settings: Settings, clock: Clock) -> list[Periodic]:
    """The OTP sweeper (``SANDBOX_OTP_SWEEP_SECONDS``; 0: none)."""
    if settings.otp_sweep_seconds <= 0:
        return []
    return [
        Periodic("identity-otp-sweeper", settings.otp_sweep_seconds, lambda: sweep_otps(db, clock))
    ]


MAGIC = Magic(
    rows=[MagicRow("identity", value, code, text) for value, code, text in magic.ROWS],
    codes=magic.codes(),
)

DOMAIN = Domain(
    name="identity",
    routers=routers,
    jobs=jobs,
    magic=MAGIC,
    # matched before every other router: ~20% of an auth's CPU went into trying the routes
    # of the platform and of payments first (issue 7 item 10)
    hot=hot_routers,
)
