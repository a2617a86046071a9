"""UPI AutoPay mandates and their pre-debit notices."""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import fields
from typing import Any

import sqlalchemy as sa

from payments.models import MANDATE_LIVE, Mandate, MandateStatus, Notice
from sandbox.storage.schema import mandate_notices, mandates
from sandbox.storage.scoped import WorldStore

_M, _N = mandates, mandate_notices
_MANDATE_COLUMNS = [_M.c[f.name] for f in fields(Mandate)]
_NOTICE_COLUMNS = [_N.c[f.name] for f in fields(Notice)]


class MandatesStore(WorldStore):
    def add_mandate(self, mandate: Mandate) -> None:
        self.insert(_M, {f.name: getattr(mandate, f.name) for f in fields(Mandate)})

    def mandate(self, umn: str, *, lock: bool = False) -> Mandate | None:
        """The mandate ``umn``; ``lock`` holds its row to the end of the unit (PostgreSQL), so
        executions and state changes of one mandate run one after the other."""
        q = self.select(_M, *_MANDATE_COLUMNS).where(_M.c.umn == umn)
        row = self.conn.execute(q.with_for_update() if lock else q).first()
        return None if row is None else Mandate(**row._mapping)

    def mandates(
        self,
        *,
        limit: int,
        before: tuple[int, str] | None,
        vpa: str | None,
        status: str | None,
        now_us: int,
        payer_vpas: Collection[str] | None = None,
    ) -> list[Mandate]:
        """Newest first. A live mandate past its ``valid_until_us`` counts as EXPIRED.
        ``payer_vpas`` keeps those whose payer is one of them (a resident's own mandates)."""
        q = (
            self.select(_M, *_MANDATE_COLUMNS)
            .order_by(_M.c.created_us.desc(), _M.c.umn.desc())
            .limit(limit)
        )
        if before is not None:
            q = q.where(
                sa.or_(
                    _M.c.created_us < before[0],
                    sa.and_(_M.c.created_us == before[0], _M.c.umn < before[1]),
                )
            )
        if vpa is not None:
            q = q.where(sa.or_(_M.c.payer_vpa == vpa, _M.c.payee_vpa == vpa))
        if payer_vpas is not None:
            q = q.where(_M.c.payer_vpa.in_(sorted(payer_vpas)))
        lapsed = sa.and_(_M.c.status.in_(MANDATE_LIVE), _M.c.valid_until_us < now_us)
        if status == MandateStatus.EXPIRED:
            q = q.where(sa.or_(_M.c.status == status, lapsed))
        elif status in MANDATE_LIVE:
            q = q.where(_M.c.status == status, _M.c.valid_until_us >= now_us)
        elif status is not None:
            q = q.where(_M.c.status == status)
        return self._mandates(q)

    def set_mandate_status(self, umn: str, before: frozenset[str], after: str, now_us: int) -> bool:
        """Move ``umn`` to ``after`` only from one of ``before``: a final state never regresses."""
        moved = self.conn.execute(
            self.update(_M)
            .where(_M.c.umn == umn, _M.c.status.in_(before))
            .values(status=after, updated_us=now_us)
        ).rowcount
        return bool(moved)

    def lapsed_mandates(self, now_us: int) -> list[Mandate]:
        return self._mandates(
            self.select(_M, *_MANDATE_COLUMNS).where(
                _M.c.status.in_(MANDATE_LIVE), _M.c.valid_until_us < now_us
            )
        )

    def _mandates(self, q: sa.Select[Any]) -> list[Mandate]:
        return [Mandate(**row._mapping) for row in self.conn.execute(q)]

    # -- pre-debit notices -------------------------------------------------------------------
    def add_notice(self, notice: Notice) -> None:
        self.insert(_N, {f.name: getattr(notice, f.name) for f in fields(Notice)})

    def notice(self, umn: str, notice_id: str) -> Notice | None:
        row = self.conn.execute(
            self.select(_N, *_NOTICE_COLUMNS).where(_N.c.umn == umn, _N.c.id == notice_id)
        ).first()
        return None if row is None else Notice(**row._mapping)

    def pending_notices(self, umns: Collection[str]) -> list[Notice]:
        """The notices of ``umns`` no execution honoured yet, earliest debit first."""
        if not umns:
            return []
        q = (
            self.select(_N, *_NOTICE_COLUMNS)
            .where(_N.c.umn.in_(sorted(umns)), _N.c.txn_id.is_(None))
            .order_by(_N.c.execute_after_us, _N.c.seq_number)
        )
        return [Notice(**row._mapping) for row in self.conn.execute(q)]

    def next_notice_seq(self, umn: str) -> int:
        last = self.conn.execute(
            self.select(_N, sa.func.max(_N.c.seq_number)).where(_N.c.umn == umn)
        ).scalar()
        return int(last or 0) + 1

    def last_honoured_notice(self, umn: str) -> Notice | None:
        row = self.conn.execute(
            self.select(_N, *_NOTICE_COLUMNS)
            .where(_N.c.umn == umn, _N.c.txn_id.is_not(None))
            .order_by(_N.c.executed_us.desc())
            .limit(1)
        ).first()
        return None if row is None else Notice(**row._mapping)

    def honour_notice(self, umn: str, notice_id: str, txn_id: str, now_us: int) -> bool:
        """Mark a notice honoured by ``txn_id``, unless another execution got there first."""
        moved = self.conn.execute(
            self.update(_N)
            .where(_N.c.umn == umn, _N.c.id == notice_id, _N.c.txn_id.is_(None))
            .values(txn_id=txn_id, executed_us=now_us)
        ).rowcount
        return bool(moved)
