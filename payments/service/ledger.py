"""Moving money: the debit, credit and reversal legs of a payment, and deemed settlement.

Every movement is one balanced posting through the switch's CLEARING account:
DEBIT (payer -> clearing), then CREDIT (clearing -> payee) or REVERSAL (clearing -> payer);
a deemed payment keeps its money in clearing until TCC (-> payee) or RET (-> payer).
"""

from __future__ import annotations

from payments.models import CLEARING
from payments.store import PaymentsStore


def debit(store: PaymentsStore, txn_id: str, account: str, amount: int, now_us: int) -> bool:
    """The DEBIT leg; False (and nothing written) if the account lacks the funds."""
    if not store.debit(account, amount):
        return False
    store.post(
        posting_id=f"{txn_id}:DEBIT",
        txn_id=txn_id,
        leg="DEBIT",
        legs=[(account, -amount), (CLEARING, amount)],
        now_us=now_us,
    )
    return True


def release(
    store: PaymentsStore, txn_id: str, leg: str, account: str, amount: int, now_us: int
) -> None:
    """Move held money out of clearing to ``account``: CREDIT, REVERSAL, TCC or RET."""
    store.post(
        posting_id=f"{txn_id}:{leg}",
        txn_id=txn_id,
        leg=leg,
        legs=[(CLEARING, -amount), (account, amount)],
        now_us=now_us,
    )
    store.credit(account, amount)
