"""UPI transactions: add, read, list, the conditional state changes and refund reservations."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from payments.models import Transaction
from payments.store import sql
from sandbox.storage import raw
from sandbox.storage.schema import upi_transactions
from sandbox.storage.scoped import WorldStore

_T = upi_transactions
_COLUMNS = [_T.c[name] for name in sql.TXN_FIELDS]


class TransactionsStore(WorldStore):
    def _txns(self) -> sa.Select[Any]:
        return self.select(_T, *_COLUMNS)

    def add_txn(self, txn: Transaction) -> None:
        params = {name: getattr(txn, name) for name in sql.TXN_FIELDS}
        params["world_id"] = self.world_id
        raw.send(self.conn, sql.ADD_TXN, params)  # a taken txn_id fails the unit at its flush

    def txn(self, txn_id: str) -> Transaction | None:
        row = self.conn.execute(self._txns().where(_T.c.txn_id == txn_id)).first()
        return None if row is None else Transaction(**row._mapping)

    def update_txn_from(self, txn_id: str, current: str, /, **values: Any) -> bool:
        """Change a transaction only if its status is still ``current``: of concurrent changes
        (approve, decline, expiry) exactly one wins; False for the others."""
        result = self.conn.execute(
            self.update(_T).where(_T.c.txn_id == txn_id, _T.c.status == current).values(**values)
        )
        return result.rowcount == 1

    def reserve_refund(self, txn_id: str, amount: int) -> bool:
        """Count ``amount`` as refunded on a SUCCESS payment, unless the refunds would then exceed
        what it paid (conditional update: concurrent refunds can never over-refund)."""
        result = self.conn.execute(
            self.update(_T)
            .where(
                _T.c.txn_id == txn_id,
                _T.c.status == "SUCCESS",
                _T.c.refunded + amount <= _T.c.amount,
            )
            .values(refunded=_T.c.refunded + amount)
        )
        return result.rowcount == 1

    def release_refund(self, txn_id: str, amount: int) -> None:
        """Give back a reservation of ``reserve_refund`` (the refund failed)."""
        self.conn.execute(
            self.update(_T).where(_T.c.txn_id == txn_id).values(refunded=_T.c.refunded - amount)
        )

    def txns(
        self,
        *,
        limit: int,
        before: tuple[int, str] | None,
        vpa: str | None,
        status: str | None,
        type_: str | None,
    ) -> list[Transaction]:
        q = self._txns().order_by(_T.c.created_us.desc(), _T.c.txn_id.desc()).limit(limit)
        if before is not None:
            q = q.where(
                sa.or_(
                    _T.c.created_us < before[0],
                    sa.and_(_T.c.created_us == before[0], _T.c.txn_id < before[1]),
                )
            )
        if vpa is not None:
            q = q.where(sa.or_(_T.c.payer_vpa == vpa, _T.c.payee_vpa == vpa))
        if status is not None:
            q = q.where(_T.c.status == status)
        if type_ is not None:
            q = q.where(_T.c.type == type_)
        return self._all(q)

    def due_deemed(self, now_us: int) -> list[Transaction]:
        return self._all(self._txns().where(_T.c.status == "DEEMED", _T.c.settle_at_us <= now_us))

    def due_collects(self, now_us: int) -> list[Transaction]:
        return self._all(
            self._txns().where(
                _T.c.type == "COLLECT", _T.c.status == "PENDING", _T.c.expires_us <= now_us
            )
        )

    def _all(self, q: sa.Select[Any]) -> list[Transaction]:
        return [Transaction(**row._mapping) for row in self.conn.execute(q)]
