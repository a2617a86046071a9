"""The operator's proof that a world's money is conserved and every debit is matched.

Conservation: the sum of the world's account balances plus what sits in clearing equals the
seeded total (opening balances) plus external inflows (entries against ``EXTERNAL``, the
world's boundary; no flow posts to it yet, so they are zero today). Integrity: every posting
balances, every account's balance equals its opening balance plus its entries, and no final
transaction leaves money in clearing (a debit without its credit or reversal); deemed ones may,
until they settle.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from payments.store import ChecksStore
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext


@dataclass(frozen=True, slots=True)
class LedgerCheck:
    balanced: bool
    seeded_total: int
    external_inflows: int
    accounts_total: int
    in_clearing: int
    unbalanced_postings: list[str]
    account_mismatches: list[tuple[str, int, int]]
    open_debits: list[str]


def check_conn(conn: Connection, world_id: str) -> LedgerCheck:
    store = ChecksStore(conn, world_id)
    totals = store.ledger_totals()
    accounts_total = totals["applied"] + totals["queued"]
    unbalanced = store.unbalanced_postings()
    mismatches = store.account_mismatches()
    open_debits = store.open_debits()
    external = -totals["external"]  # money that came in from outside the world
    conserved = accounts_total + totals["clearing"] == totals["opening"] + external
    return LedgerCheck(
        balanced=conserved and not unbalanced and not mismatches and not open_debits,
        seeded_total=totals["opening"],
        external_inflows=external,
        accounts_total=accounts_total,
        in_clearing=totals["clearing"],
        unbalanced_postings=unbalanced,
        account_mismatches=mismatches,
        open_debits=open_debits,
    )


async def check(db: Database, world: WorldContext) -> LedgerCheck:
    return await db.read(lambda conn: check_conn(conn, world.id))
