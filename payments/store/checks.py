"""The ledger check's queries: world totals, unbalanced postings, mismatched accounts, money
left in clearing."""

from __future__ import annotations

import sqlalchemy as sa

from payments.models import CLEARING, EXTERNAL
from sandbox.storage.schema import (
    account_balances,
    accounts,
    credit_queue,
    ledger_entries,
    upi_transactions,
)
from sandbox.storage.scoped import WorldStore


class ChecksStore(WorldStore):
    def ledger_totals(self) -> dict[str, int]:
        """Sums over the world: opening, applied, queued, clearing and external entries."""
        a, q = accounts, credit_queue
        opening, applied = self.conn.execute(
            self.select(
                a,
                sa.func.coalesce(sa.func.sum(a.c.opening_balance), 0),
                sa.func.coalesce(sa.func.sum(a.c.balance), 0),
            )
        ).one()
        queued = self.conn.execute(
            self.select(q, sa.func.coalesce(sa.func.sum(q.c.amount), 0))
        ).scalar_one()
        clearing = self._entries_of(CLEARING)
        external = self._entries_of(EXTERNAL)
        return {
            "opening": int(opening),
            "applied": int(applied),
            "queued": int(queued),
            "clearing": clearing,
            "external": external,
        }

    def _entries_of(self, account: str) -> int:
        e = ledger_entries
        total = self.conn.execute(
            self.select(e, sa.func.coalesce(sa.func.sum(e.c.amount), 0)).where(
                e.c.account == account
            )
        ).scalar_one()
        return int(total)

    def unbalanced_postings(self) -> list[str]:
        e = ledger_entries
        rows = self.conn.execute(
            self.select(e, e.c.posting_id)
            .group_by(e.c.posting_id)
            .having(sa.func.sum(e.c.amount) != 0)
            .limit(20)
        )
        return [r.posting_id for r in rows]

    def account_mismatches(self) -> list[tuple[str, int, int]]:
        """Accounts whose balance (``account_balances``) differs from opening + their entries."""
        a, ab, e = accounts, account_balances, ledger_entries
        entries = (
            sa.select(e.c.account, sa.func.sum(e.c.amount).label("total"))
            .where(e.c.world_id == self.world_id)
            .group_by(e.c.account)
            .subquery()
        )
        expected = a.c.opening_balance + sa.func.coalesce(entries.c.total, 0)
        rows = self.conn.execute(
            self.select(a, a.c.number, ab.c.balance, expected.label("expected"))
            .join(ab, (ab.c.world_id == a.c.world_id) & (ab.c.number == a.c.number))
            .outerjoin(entries, entries.c.account == a.c.number)
            .where(ab.c.balance != expected)
            .limit(20)
        )
        return [(r.number, int(r.balance), int(r.expected)) for r in rows]

    def open_debits(self) -> list[str]:
        """Final transactions whose money still sits in clearing (a debit without its credit or
        reversal); deemed ones are allowed to, until they settle."""
        e, t = ledger_entries, upi_transactions
        per_txn = (
            sa.select(e.c.txn_id, sa.func.sum(e.c.amount).label("held"))
            .where(e.c.world_id == self.world_id, e.c.account == CLEARING)
            .group_by(e.c.txn_id)
            .subquery()
        )
        rows = self.conn.execute(
            self.select(t, t.c.txn_id)
            .join(per_txn, per_txn.c.txn_id == t.c.txn_id)
            .where(per_txn.c.held != 0, t.c.status != "DEEMED")
            .limit(20)
        )
        return [r.txn_id for r in rows]
