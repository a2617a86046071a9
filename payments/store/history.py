"""Past payments in bulk (``sandbox bench --preload``): the accounts that may take part, and one
``executemany`` per table for a chunk of settled payments and their ledger legs."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa

from payments.store import sql
from sandbox.storage import raw
from sandbox.storage.schema import accounts, vpas
from sandbox.storage.scoped import WorldStore


class HistoryStore(WorldStore):
    def funded_vpas(self, min_balance: int) -> list[tuple[str, str, int]]:
        """(VPA, account, balance) of every ACTIVE account holding at least ``min_balance``,
        one VPA per account (its first by name), in account order."""
        a, v = accounts, vpas
        rows = self.conn.execute(
            self.select(a, a.c.number, a.c.balance, sa.func.min(v.c.vpa).label("vpa"))
            .join(v, (v.c.world_id == a.c.world_id) & (v.c.account_number == a.c.number))
            .where(a.c.status == "ACTIVE", a.c.balance >= min_balance)
            .group_by(a.c.number, a.c.balance)
            .order_by(a.c.number)
        )
        return [(r.vpa, r.number, int(r.balance)) for r in rows]

    def add_past(
        self, txns: Sequence[Mapping[str, Any]], legs: Sequence[Mapping[str, Any]]
    ) -> None:
        """Insert transactions (every ``Transaction`` column) and ledger legs, ``world_id``
        added here."""
        raw.executemany(self.conn, sql.ADD_TXN, [{**t, "world_id": self.world_id} for t in txns])
        raw.executemany(self.conn, sql.POST, [{**e, "world_id": self.world_id} for e in legs])

    def shift_balances(self, deltas: Mapping[str, int]) -> None:
        """Add each signed amount to its account's applied balance (one ``executemany``).

        Through SQLAlchemy, not ``raw``: a write to ``accounts`` from outside the payment path
        makes the SQLite writer forget what it holds in memory (``writer_memory``)."""
        rows = [{"n": number, "delta": amount} for number, amount in deltas.items() if amount]
        if rows:
            self.conn.execute(
                self.update(accounts)
                .where(accounts.c.number == sa.bindparam("n"))
                .values(balance=accounts.c.balance + sa.bindparam("delta")),
                rows,
            )
