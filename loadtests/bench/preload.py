"""``sandbox bench --preload N``: the benchmark world's ledger filled with N past payments
before the phases, through the store (``payments.service.history``), not through HTTP.

The server is stopped while the store is written to (the SQLite writer keeps hot state in its
memory, loaded at start), and started again on the same data. P2P rps with the preload is
compared with an empty ledger's: one more P2P phase, on a second server whose world has no
history (same settings, same residents).
"""

from __future__ import annotations

import time
from typing import Any

from loadtests.bench.server import BenchServer
from loadtests.config import check_amount

WITHIN = 0.10
"""P2P rps with the preload is "within" the empty ledger's when it is at least 90% of it."""


def fill(server: BenchServer, partner_id: str, payments: int, *, amount: str) -> dict[str, Any]:
    """Stop ``server``, write the payments into ``partner_id``'s world, start it again."""
    from payments.service import history
    from sandbox.kit.clock import SYSTEM_CLOCK
    from sandbox.settings import Settings
    from sandbox.storage.database import open_database

    server.stop()
    settings = Settings(data_dir=server.data_dir, database_url=server.database_url)
    db = open_database(settings)
    db.start()
    started = time.monotonic()
    try:
        written = history.fill(
            db,
            partner_id,
            payments=payments,
            now_us=SYSTEM_CLOCK.now_us(),
            amount=check_amount(amount),
            currency="INR",
            min_balance=1000 * 100,
        )
    finally:
        db.close()
    seconds = time.monotonic() - started
    server.start()
    return {"payments": written, "asked": payments, "fillSeconds": round(seconds, 1)}


def compare(preloaded_rps: float, empty_rps: float) -> dict[str, Any]:
    """P2P rps with the preload against an empty ledger's."""
    ratio = preloaded_rps / empty_rps if empty_rps else None
    return {
        "p2pRps": preloaded_rps,
        "p2pRpsEmptyLedger": empty_rps,
        "preloadedToEmptyRps": ratio,
        "within10Percent": None if ratio is None else ratio >= 1.0 - WITHIN,
    }
