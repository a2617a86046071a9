"""Statements for other domains: an account's holder and its ledger lines over a time range.

Consent's FIPs build FI data (ReBIT deposit schema) from these; they reach the ledger only
through this module (import-linter: "Identity and consent reach payments only through its
service"). The functions run on the caller's connection, so a consent use case reads its own
tables and the statement in one snapshot (``db.read``).

Every line is one ledger entry of the account: a DEBIT leg (money out), or CREDIT, REVERSAL, TCC
or RET (money in), with the UPI transaction that made it (its ``txnId`` and 12-digit RRN).
``balance_after`` chains from the account's opening balance: the balance before the first line
plus the line amounts equals the balance after the last.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from payments.store import StatementsStore


@dataclass(frozen=True, slots=True)
class StatementAccount:
    """A ledger account with its bank and holder (the bank's KYC record of her)."""

    number: str
    resident_uid: str
    bank_code: str
    bank_name: str
    ifsc: str
    type: str  # SAVINGS, CURRENT
    currency: str
    opening_balance: int  # minor units, at the world's creation: where the ledger starts
    status: str  # ACTIVE, FROZEN, DORMANT, ...
    opened_us: int
    holder_name: str
    holder_dob: str  # YYYY-MM-DD
    holder_mobile: str | None  # E.164
    holder_email: str | None
    holder_address: dict[str, Any]


@dataclass(frozen=True, slots=True)
class StatementLine:
    """One ledger entry of the account. ``amount`` is signed (+ credit, - debit), minor units."""

    entry_id: int
    txn_id: str
    rrn: str | None
    leg: str  # DEBIT, CREDIT, REVERSAL, TCC, RET
    upi_type: str | None  # PAY, COLLECT, REFUND, MANDATE
    amount: int
    balance_after: int
    created_us: int  # world time
    payer_vpa: str | None
    payee_vpa: str | None
    note: str | None


@dataclass(frozen=True, slots=True)
class Statement:
    account: StatementAccount
    from_us: int
    to_us: int
    balance_before: int  # at ``from_us``
    balance_after: int  # at ``to_us``
    lines: tuple[StatementLine, ...]


def _account(row: Any) -> StatementAccount:
    return StatementAccount(
        number=row.number,
        resident_uid=row.resident_uid,
        bank_code=row.bank_code,
        bank_name=row.bank_name,
        ifsc=row.ifsc,
        type=row.type,
        currency=row.currency,
        opening_balance=int(row.opening_balance),
        status=row.status,
        opened_us=int(row.opened_us),
        holder_name=row.holder_name,
        holder_dob=row.holder_dob,
        holder_mobile=row.holder_mobile,
        holder_email=row.holder_email,
        holder_address=dict(row.holder_address or {}),
    )


def accounts_of(conn: Connection, world_id: str, resident_uid: str) -> list[StatementAccount]:
    """The resident's ledger accounts (deposit accounts: SAVINGS and CURRENT), by number."""
    return [_account(r) for r in StatementsStore(conn, world_id).statement_accounts(resident_uid)]


def account(conn: Connection, world_id: str, number: str) -> StatementAccount | None:
    row = StatementsStore(conn, world_id).statement_account(number)
    return None if row is None else _account(row)


def statement(
    conn: Connection, world_id: str, number: str, from_us: int, to_us: int
) -> Statement | None:
    """The account's ledger lines made in ``[from_us, to_us)`` (world time) with running
    balances; None if the account does not exist in this world."""
    store = StatementsStore(conn, world_id)
    row = store.statement_account(number)
    if row is None:
        return None
    holder = _account(row)
    balance = holder.opening_balance + store.entries_total_before(number, from_us)
    before = balance
    lines = []
    for entry in store.entries_between(number, from_us, to_us) if to_us > from_us else []:
        balance += int(entry.amount)
        lines.append(
            StatementLine(
                entry_id=int(entry.id),
                txn_id=entry.txn_id,
                rrn=entry.rrn,
                leg=entry.leg,
                upi_type=entry.type,
                amount=int(entry.amount),
                balance_after=balance,
                created_us=int(entry.created_us),
                payer_vpa=entry.payer_vpa,
                payee_vpa=entry.payee_vpa,
                note=entry.note,
            )
        )
    return Statement(holder, from_us, to_us, before, balance, tuple(lines))


@dataclass(frozen=True, slots=True)
class LedgerDay:
    """One day (UTC, ``day * day_us`` to the next) of an account's ledger: how many entries,
    the highest entry id, and the balance at the day's start. The ledger is append-only, so the
    three change whenever an entry of that day or before it is added."""

    day: int
    count: int
    last_id: int
    balance_before: int


def ledger_days(
    conn: Connection, world_id: str, number: str, from_us: int, to_us: int, day_us: int
) -> list[LedgerDay]:
    """The days with entries of the account from the day of ``from_us`` to ``to_us``, oldest
    first; empty if the account does not exist in this world."""
    store = StatementsStore(conn, world_id)
    row = store.statement_account(number)
    if row is None or to_us <= from_us:
        return []
    start = from_us // day_us * day_us
    balance = int(row.opening_balance) + store.entries_total_before(number, start)
    out = []
    for day in store.entries_by_day(number, start, to_us, day_us):
        out.append(LedgerDay(int(day.day), int(day.count), int(day.last_id), balance))
        balance += int(day.total)
    return out
