"""All SQL of payments: parties, the ledger, transactions, limits, PIN state, mandates, keys.

Balances: ``accounts.balance`` is the applied balance; debits apply at once with a conditional
update (``balance >= amount``), so no account is ever overdrawn. On PostgreSQL credits are
appended to ``credit_queue`` instead of updating the payee's row, so a busy merchant's row is
never a lock everyone queues on; queued credits roll up into the balance when the account is
debited or read. On SQLite the single writer applies credits directly (the queue stays empty).
The ledger (``ledger_entries``) is append-only and balanced per posting; the applied balance plus
queued credits always equals the opening balance plus the account's entries.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects import postgresql
from sqlalchemy.engine import Connection

from payments.models import CLEARING, MANDATE_LIVE, MandateStatus
from sandbox.storage import raw
from sandbox.storage.raw import Raw
from sandbox.storage.schema import (
    accounts,
    credit_queue,
    ledger_entries,
    mandate_notices,
    mandates,
    merchant_keys,
    partners,
    pin_state,
    upi_transactions,
    vpas,
)
from sandbox.storage.scoped import WorldStore

# -- the payment path's statements, as SQL text (see sandbox/storage/raw.py for why) ----------
_PARTY = Raw("""
    SELECT v.vpa, v.pin_hash, v.registered_us, v.is_merchant, v.merchant_category,
           a.number, a.type, a.status, a.bank_code, a.ifsc, b.online, r.name
    FROM vpas v
    LEFT JOIN accounts a ON a.world_id = v.world_id AND a.number = v.account_number
    LEFT JOIN banks b ON b.world_id = a.world_id AND b.code = a.bank_code
    LEFT JOIN residents r ON r.world_id = a.world_id AND r.uid = a.resident_uid
    WHERE v.world_id = :world_id AND v.vpa = :vpa
""")
_PIN_STATE = Raw(
    "SELECT failures, locked_until_us FROM pin_state WHERE world_id = :world_id AND vpa = :vpa"
)
_LOCK_ACCOUNT = Raw(
    "SELECT number FROM accounts WHERE world_id = :world_id AND number = :number FOR UPDATE"
)
_DEBIT = Raw("""
    UPDATE accounts SET balance = balance - :amount
    WHERE world_id = :world_id AND number = :number AND balance >= :amount
""")
_CREDIT = Raw("""
    UPDATE accounts SET balance = balance + :amount
    WHERE world_id = :world_id AND number = :number
""")
_QUEUE_CREDIT = Raw("""
    INSERT INTO credit_queue (world_id, account_number, amount)
    VALUES (:world_id, :number, :amount)
""")
_POST = Raw("""
    INSERT INTO ledger_entries (world_id, posting_id, txn_id, leg, account, amount, created_us)
    VALUES (:world_id, :posting_id, :txn_id, :leg, :account, :amount, :created_us)
""")
_DEBITED_ON = Raw("""
    SELECT total FROM daily_debits
    WHERE world_id = :world_id AND account_number = :number AND day = :day
""")
_ADD_DEBITED = Raw("""
    INSERT INTO daily_debits (world_id, account_number, day, total)
    VALUES (:world_id, :number, :day, :amount)
    ON CONFLICT (world_id, account_number, day) DO UPDATE SET total = daily_debits.total + :amount
""")
_TXN_COLUMNS = tuple(c.name for c in upi_transactions.c)
_ADD_TXN = Raw(  # column names from the schema, never from input
    f"INSERT INTO upi_transactions ({', '.join(_TXN_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(':' + c for c in _TXN_COLUMNS)})"
)


@dataclass(frozen=True, slots=True)
class Party:
    vpa: str
    name: str
    account_number: str | None
    account_type: str | None
    account_status: str | None
    bank_code: str | None
    bank_online: bool
    ifsc: str | None
    pin_hash: str | None
    registered_us: int
    is_merchant: bool
    merchant_category: str | None


class UnbalancedPosting(AssertionError):
    """A posting whose legs do not sum to zero: a bug, never a user error."""


class PaymentsStore(WorldStore):
    # -- parties ---------------------------------------------------------------------------
    def party(self, vpa: str) -> Party | None:
        row = raw.fetchone(self.conn, _PARTY, {"world_id": self.world_id, "vpa": vpa.lower()})
        if row is None:
            return None
        (
            vpa_,
            pin_hash_,
            registered,
            merchant,
            mcc,
            number,
            type_,
            status,
            bank,
            ifsc,
            online,
            name,
        ) = row
        return Party(
            vpa=vpa_,
            name=name or "",
            account_number=number,
            account_type=type_,
            account_status=status,
            bank_code=bank,
            bank_online=bool(online),
            ifsc=ifsc,
            pin_hash=pin_hash_,
            registered_us=registered,
            is_merchant=bool(merchant),
            merchant_category=mcc,
        )

    def set_pin_hash(self, vpa: str, pin_hash: str) -> None:
        self.conn.execute(self.update(vpas).where(vpas.c.vpa == vpa).values(pin_hash=pin_hash))

    # -- PIN attempts ----------------------------------------------------------------------
    def pin_state(self, vpa: str) -> tuple[int, int | None]:
        row = raw.fetchone(self.conn, _PIN_STATE, {"world_id": self.world_id, "vpa": vpa})
        return (0, None) if row is None else (int(row[0]), row[1])

    def locked_pin_state(self, vpa: str) -> tuple[int, int | None]:
        """``pin_state`` read under its row lock (made first if missing), so that concurrent
        wrong PINs of one VPA are counted one after another (PostgreSQL: without the lock two
        guesses read the same count and both write it plus one). SQLite has one writer."""
        if self.conn.dialect.name == "sqlite":
            return self.pin_state(vpa)
        self.conn.execute(
            postgresql.insert(pin_state)
            .values(world_id=self.world_id, vpa=vpa, failures=0, locked_until_us=None)
            .on_conflict_do_nothing()
        )
        row = self.conn.execute(
            self.select(pin_state, pin_state.c.failures, pin_state.c.locked_until_us)
            .where(pin_state.c.vpa == vpa)
            .with_for_update()
        ).one()
        return row.failures, row.locked_until_us

    def save_pin_state(self, vpa: str, failures: int, locked_until_us: int | None) -> None:
        updated = self.conn.execute(
            self.update(pin_state)
            .where(pin_state.c.vpa == vpa)
            .values(failures=failures, locked_until_us=locked_until_us)
        )
        if updated.rowcount == 0:
            self.insert(
                pin_state, {"vpa": vpa, "failures": failures, "locked_until_us": locked_until_us}
            )

    # -- balances and the ledger -------------------------------------------------------------
    def lock_account(self, account: str) -> None:
        """Hold ``account``'s row until the unit ends (PostgreSQL), so that what it already paid
        today is read, checked against the limits and raised one payment at a time: without
        the lock, concurrent payments all read the same daily total and all pass (ZU and the
        new-VPA cap bypassed). SQLite's single writer already runs them one at a time."""
        if self.conn.dialect.name == "sqlite":
            return
        raw.fetchone(self.conn, _LOCK_ACCOUNT, {"world_id": self.world_id, "number": account})

    def debit(self, account: str, amount: int) -> bool:
        """Take ``amount`` from ``account`` unless that would overdraw it."""
        if self._take(account, amount):
            return True
        if self.conn.dialect.name != "sqlite" and self._roll_up(account):
            return self._take(account, amount)
        return False

    def _take(self, account: str, amount: int) -> bool:
        params = {"world_id": self.world_id, "number": account, "amount": amount}
        return raw.execute(self.conn, _DEBIT, params) == 1

    def credit(self, account: str, amount: int) -> None:
        params = {"world_id": self.world_id, "number": account, "amount": amount}
        if self.conn.dialect.name == "sqlite":
            raw.execute(self.conn, _CREDIT, params)
        else:  # append-only: no lock on the payee's row (hot merchants)
            raw.execute(self.conn, _QUEUE_CREDIT, params)

    def _roll_up(self, account: str) -> int:
        """Fold queued credits of ``account`` into its balance; returns the amount folded."""
        rows = self.conn.execute(
            self.delete(credit_queue)
            .where(credit_queue.c.account_number == account)
            .returning(credit_queue.c.amount)
        ).all()
        total = sum(r.amount for r in rows)
        if total:
            self.conn.execute(
                self.update(accounts)
                .where(accounts.c.number == account)
                .values(balance=accounts.c.balance + total)
            )
        return int(total)

    def balance(self, account: str) -> int | None:
        applied = self.conn.execute(
            self.select(accounts, accounts.c.balance).where(accounts.c.number == account)
        ).scalar()
        if applied is None:
            return None
        queued = self.conn.execute(
            self.select(
                credit_queue, sa.func.coalesce(sa.func.sum(credit_queue.c.amount), 0)
            ).where(credit_queue.c.account_number == account)
        ).scalar_one()
        return int(applied) + int(queued)

    def post(
        self, *, posting_id: str, txn_id: str, leg: str, legs: list[tuple[str, int]], now_us: int
    ) -> None:
        """Write one balanced posting (its legs sum to zero) to the append-only ledger."""
        if sum(amount for _, amount in legs) != 0:
            raise UnbalancedPosting(f"posting {posting_id} legs {legs} do not balance")
        raw.executemany(
            self.conn,
            _POST,
            [
                {
                    "world_id": self.world_id,
                    "posting_id": posting_id,
                    "txn_id": txn_id,
                    "leg": leg,
                    "account": account,
                    "amount": amount,
                    "created_us": now_us,
                }
                for account, amount in legs
            ],
        )

    # -- daily limits ------------------------------------------------------------------------
    def debited_on(self, account: str, day: int) -> int:
        row = raw.fetchone(
            self.conn, _DEBITED_ON, {"world_id": self.world_id, "number": account, "day": day}
        )
        return 0 if row is None else int(row[0])

    def add_debited(self, account: str, day: int, amount: int) -> None:
        params = {"world_id": self.world_id, "number": account, "day": day, "amount": amount}
        raw.execute(self.conn, _ADD_DEBITED, params)

    # -- transactions ------------------------------------------------------------------------
    def add_txn(self, row: dict[str, Any]) -> None:
        params = {c: row.get(c) for c in _TXN_COLUMNS}
        params["world_id"] = self.world_id
        params["refunded"] = row.get("refunded", 0)
        raw.execute(self.conn, _ADD_TXN, params)

    def txn(self, txn_id: str) -> Any | None:
        return self.conn.execute(
            self.select(upi_transactions).where(upi_transactions.c.txn_id == txn_id)
        ).first()

    def update_txn(self, txn_id: str, **values: Any) -> None:
        self.conn.execute(
            self.update(upi_transactions)
            .where(upi_transactions.c.txn_id == txn_id)
            .values(**values)
        )

    def update_txn_from(self, txn_id: str, current: str, /, **values: Any) -> bool:
        """Change a transaction only if its status is still ``current``: of concurrent changes
        (approve, decline, expiry) exactly one wins; False for the others."""
        result = self.conn.execute(
            self.update(upi_transactions)
            .where(upi_transactions.c.txn_id == txn_id, upi_transactions.c.status == current)
            .values(**values)
        )
        return result.rowcount == 1

    def reserve_refund(self, txn_id: str, amount: int) -> bool:
        """Count ``amount`` as refunded on a SUCCESS payment, unless the refunds would then exceed
        what it paid (conditional update: concurrent refunds can never over-refund)."""
        t = upi_transactions
        result = self.conn.execute(
            self.update(t)
            .where(
                t.c.txn_id == txn_id,
                t.c.status == "SUCCESS",
                t.c.refunded + amount <= t.c.amount,
            )
            .values(refunded=t.c.refunded + amount)
        )
        return result.rowcount == 1

    def release_refund(self, txn_id: str, amount: int) -> None:
        """Give back a reservation of ``reserve_refund`` (the refund failed)."""
        t = upi_transactions
        self.conn.execute(
            self.update(t).where(t.c.txn_id == txn_id).values(refunded=t.c.refunded - amount)
        )

    def txns(
        self,
        *,
        limit: int,
        before: tuple[int, str] | None,
        vpa: str | None,
        status: str | None,
        type_: str | None,
    ) -> list[Any]:
        t = upi_transactions
        q = self.select(t).order_by(t.c.created_us.desc(), t.c.txn_id.desc()).limit(limit)
        if before is not None:
            q = q.where(
                sa.or_(
                    t.c.created_us < before[0],
                    sa.and_(t.c.created_us == before[0], t.c.txn_id < before[1]),
                )
            )
        if vpa is not None:
            q = q.where(sa.or_(t.c.payer_vpa == vpa, t.c.payee_vpa == vpa))
        if status is not None:
            q = q.where(t.c.status == status)
        if type_ is not None:
            q = q.where(t.c.type == type_)
        return list(self.conn.execute(q))

    def due_deemed(self, now_us: int) -> list[Any]:
        t = upi_transactions
        return list(
            self.conn.execute(
                self.select(t).where(t.c.status == "DEEMED", t.c.settle_at_us <= now_us)
            )
        )

    def due_collects(self, now_us: int) -> list[Any]:
        t = upi_transactions
        return list(
            self.conn.execute(
                self.select(t).where(
                    t.c.type == "COLLECT", t.c.status == "PENDING", t.c.expires_us <= now_us
                )
            )
        )

    # -- mandates (UPI AutoPay) -------------------------------------------------------------
    def add_mandate(self, row: dict[str, Any]) -> None:
        self.insert(mandates, row)

    def mandate(self, umn: str, *, lock: bool = False) -> Any | None:
        """The mandate ``umn``; ``lock`` holds its row to the end of the unit (PostgreSQL), so
        executions and state changes of one mandate run one after the other."""
        q = self.select(mandates).where(mandates.c.umn == umn)
        return self.conn.execute(q.with_for_update() if lock else q).first()

    def mandates(
        self,
        *,
        limit: int,
        before: tuple[int, str] | None,
        vpa: str | None,
        status: str | None,
        now_us: int,
    ) -> list[Any]:
        """Newest first. A live mandate past its ``valid_until_us`` counts as EXPIRED."""
        m = mandates
        q = self.select(m).order_by(m.c.created_us.desc(), m.c.umn.desc()).limit(limit)
        if before is not None:
            q = q.where(
                sa.or_(
                    m.c.created_us < before[0],
                    sa.and_(m.c.created_us == before[0], m.c.umn < before[1]),
                )
            )
        if vpa is not None:
            q = q.where(sa.or_(m.c.payer_vpa == vpa, m.c.payee_vpa == vpa))
        lapsed = sa.and_(m.c.status.in_(MANDATE_LIVE), m.c.valid_until_us < now_us)
        if status == MandateStatus.EXPIRED:
            q = q.where(sa.or_(m.c.status == status, lapsed))
        elif status in MANDATE_LIVE:
            q = q.where(m.c.status == status, m.c.valid_until_us >= now_us)
        elif status is not None:
            q = q.where(m.c.status == status)
        return list(self.conn.execute(q))

    def set_mandate_status(self, umn: str, before: frozenset[str], after: str, now_us: int) -> bool:
        """Move ``umn`` to ``after`` only from one of ``before``: a final state never regresses."""
        moved = self.conn.execute(
            self.update(mandates)
            .where(mandates.c.umn == umn, mandates.c.status.in_(before))
            .values(status=after, updated_us=now_us)
        ).rowcount
        return bool(moved)

    def lapsed_mandates(self, now_us: int) -> list[Any]:
        m = mandates
        return list(
            self.conn.execute(
                self.select(m).where(m.c.status.in_(MANDATE_LIVE), m.c.valid_until_us < now_us)
            )
        )

    def add_notice(self, row: dict[str, Any]) -> None:
        self.insert(mandate_notices, row)

    def notice(self, umn: str, notice_id: str) -> Any | None:
        n = mandate_notices
        return self.conn.execute(self.select(n).where(n.c.umn == umn, n.c.id == notice_id)).first()

    def next_notice_seq(self, umn: str) -> int:
        n = mandate_notices
        last = self.conn.execute(
            self.select(n, sa.func.max(n.c.seq_number)).where(n.c.umn == umn)
        ).scalar()
        return int(last or 0) + 1

    def last_honoured_notice(self, umn: str) -> Any | None:
        n = mandate_notices
        return self.conn.execute(
            self.select(n)
            .where(n.c.umn == umn, n.c.txn_id.is_not(None))
            .order_by(n.c.executed_us.desc())
            .limit(1)
        ).first()

    def honour_notice(self, umn: str, notice_id: str, txn_id: str, now_us: int) -> bool:
        """Mark a notice honoured by ``txn_id``, unless another execution got there first."""
        n = mandate_notices
        moved = self.conn.execute(
            self.update(n)
            .where(n.c.umn == umn, n.c.id == notice_id, n.c.txn_id.is_(None))
            .values(txn_id=txn_id, executed_us=now_us)
        ).rowcount
        return bool(moved)

    # -- merchant signing keys (signed intents and QR codes) ---------------------------------
    def merchant_public_keys(self) -> list[Any]:
        """The world's merchant keys, oldest first, without their private halves."""
        k = merchant_keys
        return list(
            self.conn.execute(
                self.select(k, k.c.kid, k.c.public_key, k.c.created_us).order_by(
                    k.c.created_us, k.c.kid
                )
            )
        )

    def merchant_signing_key(self) -> tuple[str, str] | None:
        """``(kid, private PEM)`` of the oldest key: the one that signs. Never leaves the
        service that signs with it."""
        k = merchant_keys
        row = self.conn.execute(
            self.select(k, k.c.kid, k.c.private_key).order_by(k.c.created_us, k.c.kid).limit(1)
        ).first()
        return None if row is None else (row.kid, row.private_key)

    def add_merchant_key(self, kid: str, private_pem: str, public_pem: str, now_us: int) -> None:
        self.insert(
            merchant_keys,
            {
                "kid": kid,
                "private_key": private_pem,
                "public_key": public_pem,
                "created_us": now_us,
            },
        )

    # -- the ledger check --------------------------------------------------------------------
    def ledger_totals(self) -> dict[str, int]:
        """Sums over the world: opening, applied, queued, entries by kind, clearing."""
        a, q, e = accounts, credit_queue, ledger_entries
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
        clearing = self.conn.execute(
            self.select(e, sa.func.coalesce(sa.func.sum(e.c.amount), 0)).where(
                e.c.account == CLEARING
            )
        ).scalar_one()
        external = self.conn.execute(
            self.select(e, sa.func.coalesce(sa.func.sum(e.c.amount), 0)).where(
                e.c.account == "EXTERNAL"
            )
        ).scalar_one()
        return {
            "opening": int(opening),
            "applied": int(applied),
            "queued": int(queued),
            "clearing": int(clearing),
            "external": int(external),
        }

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
        """Accounts whose balance (applied + queued) differs from opening + their entries."""
        a, q, e = accounts, credit_queue, ledger_entries
        entries = (
            sa.select(e.c.account, sa.func.sum(e.c.amount).label("total"))
            .where(e.c.world_id == self.world_id)
            .group_by(e.c.account)
            .subquery()
        )
        queued = (
            sa.select(q.c.account_number, sa.func.sum(q.c.amount).label("total"))
            .where(q.c.world_id == self.world_id)
            .group_by(q.c.account_number)
            .subquery()
        )
        rows = self.conn.execute(
            self.select(
                a,
                a.c.number,
                (a.c.balance + sa.func.coalesce(queued.c.total, 0)).label("balance"),
                (a.c.opening_balance + sa.func.coalesce(entries.c.total, 0)).label("expected"),
            )
            .outerjoin(entries, entries.c.account == a.c.number)
            .outerjoin(queued, queued.c.account_number == a.c.number)
            .where(
                a.c.balance + sa.func.coalesce(queued.c.total, 0)
                != a.c.opening_balance + sa.func.coalesce(entries.c.total, 0)
            )
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


def worlds_with_due_work(conn: Connection, real_now: int) -> list[str]:
    """Worlds (across all partners, for the sweeper) holding a deemed payment due to settle, a
    collect due to expire, or a live mandate past its validUntil, each in its own world time."""
    t, p, m = upi_transactions, partners, mandates
    world_now = real_now + p.c.clock_offset_us
    due_txns = (
        sa.select(t.c.world_id)
        .join(p, p.c.id == t.c.world_id)
        .where(
            sa.or_(
                sa.and_(t.c.status == "DEEMED", t.c.settle_at_us <= world_now),
                sa.and_(
                    t.c.status == "PENDING", t.c.type == "COLLECT", t.c.expires_us <= world_now
                ),
            )
        )
    )
    lapsed = (
        sa.select(m.c.world_id)
        .join(p, p.c.id == m.c.world_id)
        .where(m.c.status.in_(MANDATE_LIVE), m.c.valid_until_us < world_now)
    )
    return sorted({row[0] for row in conn.execute(sa.union(due_txns, lapsed))})
