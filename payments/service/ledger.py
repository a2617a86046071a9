"""Moving money: the debit, credit and reversal legs of a payment, and deemed settlement.

Every movement is one balanced posting through the switch's CLEARING account:
DEBIT (payer -> clearing), then CREDIT (clearing -> payee) or REVERSAL (clearing -> payer);
a deemed payment keeps its money in clearing until TCC (-> payee) or RET (-> payer).
"""

from __future__ import annotations

from typing import Protocol

from payments.models import CLEARING


class Postings(Protocol):
    """What moving money needs of the books: the balance changes and the ledger."""

    def debit(self, account: str, amount: int) -> bool:
        """Take ``amount`` from ``account`` unless that would overdraw it."""

    def credit(self, account: str, amount: int) -> None: ...

    def post(
        self, *, posting_id: str, txn_id: str, leg: str, legs: list[tuple[str, int]], now_us: int
    ) -> None:
        """Write one posting whose legs sum to zero (refuse any other)."""


def debit(books: Postings, txn_id: str, account: str, amount: int, now_us: int) -> bool:
    """The DEBIT leg; False (and nothing written) if the account lacks the funds."""
    if not books.debit(account, amount):
        return False
    post_debit(books, txn_id, account, amount, now_us)
    return True


def post_debit(books: Postings, txn_id: str, account: str, amount: int, now_us: int) -> None:
    """The DEBIT leg's posting, for an amount already taken from ``account``."""
    books.post(
        posting_id=f"{txn_id}:DEBIT",
        txn_id=txn_id,
        leg="DEBIT",
        legs=[(account, -amount), (CLEARING, amount)],
        now_us=now_us,
    )


def release(books: Postings, txn_id: str, leg: str, account: str, amount: int, now_us: int) -> None:
    """Move held money out of clearing to ``account``: CREDIT, REVERSAL, TCC or RET."""
    books.post(
        posting_id=f"{txn_id}:{leg}",
        txn_id=txn_id,
        leg=leg,
        legs=[(CLEARING, -amount), (account, amount)],
        now_us=now_us,
    )
    books.credit(account, amount)
