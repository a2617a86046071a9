"""The payment path's statements as SQL text (see ``sandbox/storage/raw.py`` for why).

Every statement names ``world_id = :world_id`` (or inserts it); the stores pass their own.
"""

from __future__ import annotations

from dataclasses import fields

from payments.models import Transaction
from sandbox.storage.raw import Raw

_PARTY_COLUMNS = """
    v.vpa, v.pin_hash, v.registered_us, v.is_merchant, v.merchant_category,
    a.number, a.type, a.status, a.bank_code, a.ifsc, b.online, r.name
"""
_PARTY_JOINS = """
    FROM vpas v
    LEFT JOIN accounts a ON a.world_id = v.world_id AND a.number = v.account_number
    LEFT JOIN banks b ON b.world_id = a.world_id AND b.code = a.bank_code
    LEFT JOIN residents r ON r.world_id = a.world_id AND r.uid = a.resident_uid
"""
PARTY = Raw(f"SELECT {_PARTY_COLUMNS} {_PARTY_JOINS} WHERE v.world_id = :world_id AND v.vpa = :vpa")
# PostgreSQL: payer and payee with their PIN tries, one round trip (``prefetch_parties``).
# The PIN tries as a LATERAL lookup of at most one row, not a join: psycopg prepares the
# statement and PostgreSQL soon plans it once for any parameters (a generic plan), and before
# ``pin_state`` was first sampled that plan read every PIN row of the world (an index scan on
# ``world_id`` alone, materialised and filtered per party). ``LIMIT 1`` keeps the subquery
# from being pulled up into a join, so its plan is one primary-key lookup per party whatever
# the statistics say (tests/payments/test_plans.py).
PARTIES_WITH_PINS = Raw(  # columns and joins are this module's constants, never input
    f"SELECT {_PARTY_COLUMNS}, p.failures, p.locked_until_us {_PARTY_JOINS}"  # noqa: S608
    " LEFT JOIN LATERAL (SELECT failures, locked_until_us FROM pin_state"
    " WHERE world_id = v.world_id AND vpa = v.vpa LIMIT 1) p ON true"
    " WHERE v.world_id = :world_id AND v.vpa IN (:a, :b)"
)
PIN_STATE = Raw(
    "SELECT failures, locked_until_us FROM pin_state WHERE world_id = :world_id AND vpa = :vpa"
)
SAVE_PIN_STATE = Raw("""
    INSERT INTO pin_state (world_id, vpa, failures, locked_until_us)
    VALUES (:world_id, :vpa, :failures, :locked_until_us)
    ON CONFLICT (world_id, vpa)
    DO UPDATE SET failures = :failures, locked_until_us = :locked_until_us
""")
# PostgreSQL: the payer's hold, its limits and the debit in one statement (``debit_within``).
# The day row's upsert raises the total only within the cap; ON CONFLICT DO UPDATE locks the
# row until the unit ends whether or not its WHERE holds, and reads its latest committed version
# even at READ COMMITTED, so a payment that waited for a concurrent one adds to that one's
# total. The debit runs only if the total was raised (the account's row is re-read at its
# latest version as it is updated). Returns the new total (NULL: over the cap, nothing changed)
# and whether the debit happened; one version of the day row per payment.
_DEBIT_WITHIN_CTES = """
    WITH day AS (
        INSERT INTO daily_debits (world_id, account_number, day, total)
        SELECT :world_id, :number, :day, :amount WHERE :amount <= :cap
        ON CONFLICT (world_id, account_number, day)
        DO UPDATE SET total = daily_debits.total + :amount
        WHERE daily_debits.total + :amount <= :cap
        RETURNING total
    ), taken AS (
        UPDATE accounts SET balance = balance - :amount
        WHERE world_id = :world_id AND number = :number AND balance >= :amount
        AND EXISTS (SELECT FROM day)
        RETURNING number
    )
"""
DEBIT_WITHIN = Raw(  # constants only, no input: hence the noqa
    _DEBIT_WITHIN_CTES + "    SELECT (SELECT total FROM day), EXISTS (SELECT FROM taken)\n"  # noqa: S608
)
# ``DEBIT_WITHIN`` sent before its answer is needed (``pg_queue.guard``): it takes the same
# hold and changes the same rows, and divides by zero when the amount was not taken (over the
# cap, or short of funds), so that the writes sent after it in its round trip, and the
# COMMIT, are skipped and the unit is run again the usual way.
DEBIT_GUARDED = Raw(  # constants only, no input: hence the noqa
    _DEBIT_WITHIN_CTES + "    SELECT 1 / (SELECT count(*) FROM taken)::int\n"  # noqa: S608
)
DEBIT = Raw("""
    UPDATE accounts SET balance = balance - :amount
    WHERE world_id = :world_id AND number = :number AND balance >= :amount
""")
CREDIT = Raw("""
    UPDATE accounts SET balance = balance + :amount
    WHERE world_id = :world_id AND number = :number
""")
QUEUE_CREDIT = Raw("""
    INSERT INTO credit_queue (world_id, account_number, amount)
    VALUES (:world_id, :number, :amount)
""")
POST = Raw("""
    INSERT INTO ledger_entries (world_id, posting_id, txn_id, leg, account, amount, created_us)
    VALUES (:world_id, :posting_id, :txn_id, :leg, :account, :amount, :created_us)
""")
DEBITED_ON = Raw("""
    SELECT total FROM daily_debits
    WHERE world_id = :world_id AND account_number = :number AND day = :day
""")
ADD_DEBITED = Raw("""
    INSERT INTO daily_debits (world_id, account_number, day, total)
    VALUES (:world_id, :number, :day, :amount)
    ON CONFLICT (world_id, account_number, day) DO UPDATE SET total = daily_debits.total + :amount
""")
TXN_FIELDS = tuple(f.name for f in fields(Transaction))  # the columns of upi_transactions
_TXN_COLUMNS = ("world_id", *TXN_FIELDS)
ADD_TXN = Raw(  # column names from the domain type, never from input
    f"INSERT INTO upi_transactions ({', '.join(_TXN_COLUMNS)}) "  # noqa: S608
    f"VALUES ({', '.join(':' + c for c in _TXN_COLUMNS)})"
)
