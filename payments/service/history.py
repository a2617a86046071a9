"""A world's ledger filled with past payments, fast (``sandbox bench --preload N``): what a
payment costs once the world has a long history.

Each past payment is what a settled P2P payment writes (a SUCCESS ``PAY`` transaction, its
DEBIT and CREDIT postings through clearing, built by the one rule in ``service/ledger.py``), at
a world time spread over the ``days`` before today, between ACTIVE accounts holding at least
``min_balance``. A chunk of payments is one unit of work: one ``executemany`` per table and one
balance update per touched account. Balances are followed in memory, so no payer is ever
overdrawn; the ledger check stays balanced. Today's totals (``daily_debits``) are not touched:
the payments are in earlier days, where no limit looks.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from payments.models import DAY_US, Status, txn_id_at
from payments.service import ledger
from payments.store.history import HistoryStore
from payments.store.ledger import posting_rows
from sandbox.storage.database import Database

CHUNK = 20_000
"""Payments per unit of work."""


@dataclass
class _Books:
    """``ledger.Postings`` in memory: balances followed, legs and balance changes collected."""

    balances: dict[str, int]
    legs: list[dict[str, Any]] = field(default_factory=list)
    deltas: dict[str, int] = field(default_factory=dict)

    def debit(self, account: str, amount: int) -> bool:
        if self.balances[account] < amount:
            return False
        self.balances[account] -= amount
        self.deltas[account] = self.deltas.get(account, 0) - amount
        return True

    def credit(self, account: str, amount: int) -> None:
        self.balances[account] += amount
        self.deltas[account] = self.deltas.get(account, 0) + amount

    def post(
        self, *, posting_id: str, txn_id: str, leg: str, legs: list[tuple[str, int]], now_us: int
    ) -> None:
        self.legs += posting_rows(
            posting_id=posting_id, txn_id=txn_id, leg=leg, legs=legs, now_us=now_us
        )


def _txn_id(rng: random.Random, at_us: int) -> str:
    """35 alphanumerics shaped as ``new_txn_id`` makes them at ``at_us`` (SBX, the time, then
    random digits), the random part from ``rng``."""
    return txn_id_at(at_us, rng.getrandbits(120))


def _rrn(rng: random.Random, at_us: int) -> str:
    t = time.gmtime(at_us // 1_000_000)
    return f"{t.tm_year % 10}{t.tm_yday:03d}{t.tm_hour:02d}{rng.randrange(10**6):06d}"


def fill(
    db: Database,
    world_id: str,
    *,
    payments: int,
    now_us: int,
    amount: int,
    currency: str,
    min_balance: int,
    days: int = 30,
    seed: int = 0,
    progress: Callable[[int], None] | None = None,
) -> int:
    """Write up to ``payments`` past P2P payments of ``amount`` into the world (fewer only if
    payers run dry); returns how many were written."""
    parties = db.read_sync(lambda conn: HistoryStore(conn, world_id).funded_vpas(min_balance))
    if len(parties) < 2:
        raise ValueError(f"the world has {len(parties)} accounts with {min_balance}: need 2")
    rng = random.Random(seed)
    balances = {account: balance for _, account, balance in parties}
    start = now_us // DAY_US * DAY_US - days * DAY_US  # midnight, ``days`` before today
    span = days * DAY_US
    done = written = 0
    while done < payments:
        size = min(CHUNK, payments - done)
        books = _Books(balances)
        txns: list[dict[str, Any]] = []
        for i in range(done, done + size):
            at = start + i * span // payments
            pick = rng.randrange(len(parties))
            other = rng.randrange(len(parties) - 1)  # anyone else: skip the payer's own index
            payer_vpa, payer, _ = parties[pick]
            payee_vpa, payee, _ = parties[other + (other >= pick)]
            txn_id = _txn_id(rng, at)
            if not ledger.debit(books, txn_id, payer, amount, at):
                continue  # this payer ran dry: the history has one payment fewer
            ledger.release(books, txn_id, "CREDIT", payee, amount, at)
            txns.append(_settled(txn_id, _rrn(rng, at), payer_vpa, payer, payee_vpa, payee, at))
            txns[-1].update(amount=amount, currency=currency)

        def write(conn: Any, txns: list[dict[str, Any]] = txns, books: _Books = books) -> None:
            store = HistoryStore(conn, world_id)
            store.add_past(txns, books.legs)
            store.shift_balances(books.deltas)

        db.write_sync(write)
        done += size
        written += len(txns)
        if progress is not None:
            progress(done)
    return written


def _settled(
    txn_id: str, rrn: str, payer_vpa: str, payer: str, payee_vpa: str, payee: str, at: int
) -> dict[str, Any]:
    """A settled PAY's columns (``Transaction``'s fields), amount and currency left out."""
    return {
        "txn_id": txn_id,
        "rrn": rrn,
        "type": "PAY",
        "status": Status.SUCCESS.value,
        "response_code": "00",
        "payer_vpa": payer_vpa,
        "payer_account": payer,
        "payee_vpa": payee_vpa,
        "payee_account": payee,
        "note": "past payment (preload)",
        "ref_id": None,
        "original_txn_id": None,
        "refunded": 0,
        "mandate_id": None,
        "settle_at_us": None,
        "settlement": None,
        "expires_us": None,
        "created_us": at,
        "updated_us": at,
    }
