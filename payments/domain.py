"""Payments as the platform wires it (``sandbox.domains.Domain``): its routes and its sweeper."""

from __future__ import annotations

from payments.api import hot_routers, routers
from payments.models import CODES, magic_table
from payments.service.sweeper import sweep
from sandbox.domains import Domain, Magic, MagicRow
from sandbox.kit.clock import Clock
from sandbox.ops.periodic import Periodic
from sandbox.settings import Settings
from sandbox.storage.database import Database


def jobs(db: Database, settings: Settings, clock: Clock) -> list[Periodic]:
    """The sweeper: settles deemed payments, expires collects and mandates as world time passes."""
    if settings.sweep_seconds <= 0:
        return []
    return [
        Periodic(
            "payments-sweeper",
            settings.sweep_seconds,
            lambda: sweep(db, settings.secret_key, clock),
        )
    ]


MAGIC = Magic(
    rows=[MagicRow(m.kind, m.value, m.code, m.description) for m in magic_table()],
    codes={c.code: c.meaning for c in CODES.values()},
)

DOMAIN = Domain(
    name="payments",
    routers=routers,
    jobs=jobs,
    magic=MAGIC,
    hot=hot_routers,
)
