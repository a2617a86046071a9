"""PostgreSQL connections: several workers' pools fitted within the server's ``max_connections``.

Each worker opens up to ``pg_pool_size + pg_max_overflow`` connections for requests and
``pg_sync_pool_size + pg_sync_max_overflow`` for background and CLI work (55 at the defaults).
Four workers at the defaults may open 220 against PostgreSQL's default ``max_connections`` of
100, and the request that asks for the 98th gets ``FATAL: sorry, too many clients already``: a
500. ``sandbox serve`` therefore fits the pools it was not told to use into the server's
budget before its workers start (docs/deploy-postgresql.md, "Connections"): it takes from the
background pools first (down to 2 kept and 1 more at a peak), then splits what is left for
requests two to one between the pool and its overflow. The overflow is never 0: write units
hold up to the pool's size of connections between units, and reads check out beside them.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

CLI_RESERVE = 15
"""Connections left for one ``sandbox`` CLI command beside the server (its sync pool, 5 + 10)."""

FIELDS = ("pg_pool_size", "pg_max_overflow", "pg_sync_pool_size", "pg_sync_max_overflow")
SYNC_LEAST = (("pg_sync_max_overflow", 1), ("pg_sync_pool_size", 2))
"""What the background pools give up first, and down to what."""
REQUESTS_LEAST = 3
"""A worker's request connections at the least: a pool of 2 and an overflow of 1."""


class TooManyWorkers(ValueError):
    """Not even the least pools fit: fewer workers, or a larger ``max_connections``."""


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
    when they already fit. ``TooManyWorkers`` when the least of them does not."""
    each = budget.for_workers // workers
    need = sum(pools[name] for name in FIELDS) - each
    if need <= 0:
        return None
    least = REQUESTS_LEAST + sum(floor for _, floor in SYNC_LEAST)
    if each < least:
        raise TooManyWorkers(
            f"{workers} workers need at least {least * workers} PostgreSQL connections besides "
            f"{CLI_RESERVE} for a CLI command, and the server allows "
            f"{budget.max_connections} ({budget.reserved} reserved for superusers): use fewer "
            "workers (--workers) or raise max_connections"
        )
    out = dict(pools)
    for name, floor in SYNC_LEAST:
        taken = max(0, min(need, out[name] - floor))
        out[name] -= taken
        need -= taken
    if need > 0:
        requests = out["pg_pool_size"] + out["pg_max_overflow"] - need
        out["pg_pool_size"] = min(out["pg_pool_size"], max(2, requests * 2 // 3))
        out["pg_max_overflow"] = requests - out["pg_pool_size"]
    return out
