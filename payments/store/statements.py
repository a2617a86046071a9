"""Statements: an account with its holder, and its ledger lines over a time range.

Read-only. An account's balance after an entry is its ``opening_balance`` plus every entry up to
and including that one (entries in ``id`` order: the ledger is append-only), the same rule the
``account_balances`` view states for the current balance.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from sandbox.storage.schema import accounts, banks, ledger_entries, residents, upi_transactions
from sandbox.storage.scoped import WorldStore

_A, _R, _B, _L, _T = accounts, residents, banks, ledger_entries, upi_transactions

_ACCOUNT_COLUMNS = (
    _A.c.number,
    _A.c.resident_uid,
    _A.c.bank_code,
    _B.c.name.label("bank_name"),
    _A.c.ifsc,
    _A.c.type,
    _A.c.currency,
    _A.c.opening_balance,
    _A.c.status,
    _A.c.opened_us,
    _R.c.name.label("holder_name"),
    _R.c.dob.label("holder_dob"),
    _R.c.mobile.label("holder_mobile"),
    _R.c.email.label("holder_email"),
    _R.c.address.label("holder_address"),
)


class StatementsStore(WorldStore):
    def _accounts(self) -> sa.Select[Any]:
        return (
            self.select(_A, *_ACCOUNT_COLUMNS)
            .join(_R, sa.and_(_R.c.world_id == _A.c.world_id, _R.c.uid == _A.c.resident_uid))
            .join(_B, sa.and_(_B.c.world_id == _A.c.world_id, _B.c.code == _A.c.bank_code))
        )

    def statement_accounts(self, resident_uid: str) -> list[Any]:
        """The resident's accounts with their holder and bank, by account number."""
        query = self._accounts().where(_A.c.resident_uid == resident_uid).order_by(_A.c.number)
        return list(self.conn.execute(query).all())

    def statement_account(self, number: str) -> Any | None:
        return self.conn.execute(self._accounts().where(_A.c.number == number)).first()

    def entries_total_before(self, number: str, before_us: int) -> int:
        """The sum of the account's ledger entries made before ``before_us``."""
        query = self.select(_L, sa.func.coalesce(sa.func.sum(_L.c.amount), 0)).where(
            _L.c.account == number, _L.c.created_us < before_us
        )
        return int(self.conn.execute(query).scalar() or 0)

    def entries_by_day(self, number: str, from_us: int, to_us: int, day_us: int) -> list[Any]:
        """Per day (``created_us // day_us``) with entries in ``[from_us, to_us)``: ``day``,
        ``count``, ``last_id`` (the highest entry id) and ``total`` (their sum), by day."""
        day = (_L.c.created_us // day_us).label("day")
        query = (
            self.select(
                _L,
                day,
                sa.func.count().label("count"),
                sa.func.max(_L.c.id).label("last_id"),
                sa.func.sum(_L.c.amount).label("total"),
            )
            .where(_L.c.account == number, _L.c.created_us >= from_us, _L.c.created_us < to_us)
            .group_by(day)
            .order_by(day)
        )
        return list(self.conn.execute(query).all())

    def entries_between(self, number: str, from_us: int, to_us: int) -> list[Any]:
        """The account's ledger entries made in ``[from_us, to_us)``, in ledger order, each with
        its UPI transaction (``rrn``, ``type``, the parties and the note)."""
        query = (
            self.select(
                _L,
                _L.c.id,
                _L.c.txn_id,
                _L.c.leg,
                _L.c.amount,
                _L.c.created_us,
                _T.c.rrn,
                _T.c.type,
                _T.c.payer_vpa,
                _T.c.payee_vpa,
                _T.c.note,
            )
            .join(
                _T,
                sa.and_(_T.c.world_id == _L.c.world_id, _T.c.txn_id == _L.c.txn_id),
                isouter=True,
            )
            .where(_L.c.account == number, _L.c.created_us >= from_us, _L.c.created_us < to_us)
            .order_by(_L.c.id)
        )
        return list(self.conn.execute(query).all())
