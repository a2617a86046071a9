"""All SQL of payments, one module per aggregate, combined into ``PaymentsStore``.

- ``parties``: a VPA with its account, bank and holder; the UPI PIN and its wrong tries;
- ``ledger``: balances, the append-only ledger, the payer's daily totals;
- ``transactions``: UPI transactions and refund reservations;
- ``mandates``: AutoPay mandates and their pre-debit notices;
- ``keys``: the world's merchant signing keys;
- ``checks``: the ledger check's queries;
- ``statements``: an account's holder and its ledger lines over a time range (read-only);
- ``due``: which worlds the sweeper has work in (the one cross-world query);
- ``sql``: the payment path's statements as SQL text.

Each part is a ``WorldStore`` of its own and can be used alone; a use case that spans them
takes ``PaymentsStore``. The payment decision needs only ``decide.SwitchBooks``, a port that
``PaymentsStore`` satisfies.
"""

from __future__ import annotations

from payments.models import Party
from payments.store.checks import ChecksStore
from payments.store.due import worlds_with_due_work
from payments.store.keys import KeysStore
from payments.store.ledger import LedgerStore, UnbalancedPosting
from payments.store.mandates import MandatesStore
from payments.store.parties import PartiesStore
from payments.store.statements import StatementsStore
from payments.store.transactions import TransactionsStore

__all__ = [
    "ChecksStore",
    "KeysStore",
    "LedgerStore",
    "MandatesStore",
    "PartiesStore",
    "Party",
    "PaymentsStore",
    "StatementsStore",
    "TransactionsStore",
    "UnbalancedPosting",
    "worlds_with_due_work",
]


class PaymentsStore(
    PartiesStore, LedgerStore, TransactionsStore, MandatesStore, KeysStore, ChecksStore
):
    """Every payments table of one world, through one connection."""
