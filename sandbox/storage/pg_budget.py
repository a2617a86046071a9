"""PostgreSQL connections: several workers' pools fitted within the server's ``max_connections``.

Each worker opens up to ``pg_pool_size + pg_max_overflow`` connections for requests and
``pg_sync_pool_size + pg_sync_max_overflow`` for background and CLI work (55 at the defaults).
Four workers at the defaults may open 220 against PostgreSQL's default ``max_connections`` of
100, and the request that asks for the 98th gets ``FATAL: sorry, too many clients already``: a
500. ``sandbox serve`` therefore fits the pools it was not told to use into the server's
budget before its workers start (docs/deploy-postgresql.md, "Connections"): it takes from the
overflows first (a burst waits for a pooled connection instead of failing), then from the
pools, never below one connection each.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

CLI_RESERVE = 15
"""Connections left for one ``sandbox`` CLI command beside the server (its sync pool, 5 + 10)."""

# the order the fitting takes connections from, and how far: overflows first, pools last
SHRINK = (
    ("pg_max_overflow", 0),
    ("pg_sync_max_overflow", 0),
    ("pg_pool_size", 1),
    ("pg_sync_pool_size", 1),
)
FIELDS = tuple(name for name, _ in SHRINK)


class TooManyWorkers(ValueError):
    """Not even one connection per pool fits: fewer workers, or a larger ``max_connections``."""


@dataclass(frozen=True, slots=True)
class Budget:
    max_connections: int
    reserved: int
    """``superuser_reserved_connections``: slots an ordinary role can never have."""

    @property
    def for_workers(self) -> int:
        """What the workers may open together, a CLI command's share kept aside."""
        return self.max_connections - self.reserved - CLI_RESERVE


def read_budget(engine: sa.Engine) -> Budget:
    with engine.connect() as conn:
        most = conn.exec_driver_sql("SHOW max_connections").scalar_one()
        reserved = conn.exec_driver_sql("SHOW superuser_reserved_connections").scalar_one()
    return Budget(int(most), int(reserved))


def fitted(pools: dict[str, int], workers: int, budget: Budget) -> dict[str, int] | None:
    """``pools`` (by ``FIELDS``) shrunk so that ``workers`` of them fit ``budget``; ``None``
    when they already fit. ``TooManyWorkers`` when one connection per pool does not."""
    each = budget.for_workers // workers
    need = sum(pools[name] for name in FIELDS) - each
    if need <= 0:
        return None
    if workers * sum(least for _, least in SHRINK) > budget.for_workers:
        raise TooManyWorkers(
            f"{workers} workers need at least {2 * workers} PostgreSQL connections besides "
            f"{CLI_RESERVE} for a CLI command, and the server allows "
            f"{budget.max_connections} ({budget.reserved} reserved for superusers): use fewer "
            "workers (--workers) or raise max_connections"
        )
    out = dict(pools)
    for name, least in SHRINK:
        taken = min(need, out[name] - least)
        out[name] -= taken
        need -= taken
    return out
