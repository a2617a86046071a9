"""Payments tables: the UPI-like switch over a double-entry ledger (migration 0002), and the
``account_balances`` view (migration 0003).
"""

from __future__ import annotations

import sqlalchemy as sa

from sandbox.storage.schema.base import KEPT_ON_RESET, metadata, views

upi_transactions = sa.Table(
    "upi_transactions",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("txn_id", sa.String(35), primary_key=True),
    sa.Column("rrn", sa.String(12), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),  # PAY, COLLECT, REFUND, MANDATE
    sa.Column("status", sa.String(16), nullable=False),  # PENDING, SUCCESS, FAILURE, DEEMED
    sa.Column("response_code", sa.String(4), nullable=False),
    sa.Column("payer_vpa", sa.String(255), nullable=False),
    sa.Column("payer_account", sa.String(20)),
    sa.Column("payee_vpa", sa.String(255), nullable=False),
    sa.Column("payee_account", sa.String(20)),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("note", sa.String(50)),
    sa.Column("ref_id", sa.String(35)),
    sa.Column("original_txn_id", sa.String(35)),  # refunds: the payment refunded
    sa.Column("refunded", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("mandate_id", sa.String(40)),
    sa.Column("settle_at_us", sa.BigInteger),  # deemed: when TCC/RET happens (world time)
    sa.Column("settlement", sa.String(3)),  # deemed: TCC or RET, decided with the payment
    sa.Column("expires_us", sa.BigInteger),  # collect: world time it lapses (U69)
    sa.Column("created_us", sa.BigInteger, nullable=False),  # world time
    sa.Column("updated_us", sa.BigInteger, nullable=False),  # world time
    sa.Index(None, "world_id", "created_us"),
    sa.Index(None, "world_id", "payer_vpa", "created_us"),
    sa.Index(None, "world_id", "payee_vpa", "created_us"),
    # The sweeper's due work (payments/store/due.py), every second across all worlds: partial
    # indexes hold only the few DEEMED payments and PENDING collects, so the scan does not grow
    # with the ledger and a SUCCESS payment's insert does not touch them (migration 0012).
    sa.Index(
        "ix_upi_transactions_deemed_due",
        "settle_at_us",
        sqlite_where=sa.text("status = 'DEEMED'"),
        postgresql_where=sa.text("status = 'DEEMED'"),
    ),
    sa.Index(
        "ix_upi_transactions_collect_due",
        "expires_us",
        sqlite_where=sa.text("status = 'PENDING' AND type = 'COLLECT'"),
        postgresql_where=sa.text("status = 'PENDING' AND type = 'COLLECT'"),
    ),
)

ledger_entries = sa.Table(
    "ledger_entries",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("world_id", sa.String(40), nullable=False),
    sa.Column("posting_id", sa.String(48), nullable=False),
    sa.Column("txn_id", sa.String(35), nullable=False),
    sa.Column("leg", sa.String(12), nullable=False),  # DEBIT, CREDIT, REVERSAL, TCC, RET
    sa.Column("account", sa.String(20), nullable=False),  # an account number, or CLEARING
    sa.Column("amount", sa.BigInteger, nullable=False),  # signed: + credit, - debit
    sa.Column("created_us", sa.BigInteger, nullable=False),
    # Read by account (statements, the ledger check) and by world (a reset). No index by
    # ``txn_id``: no query reads entries by their transaction, and it was four index entries per
    # payment (migration 0014).
    sa.Index(None, "world_id", "account"),
)

credit_queue = sa.Table(
    "credit_queue",
    metadata,
    sa.Column(
        "id",
        sa.BigInteger().with_variant(sa.Integer, "sqlite"),
        primary_key=True,
        autoincrement=True,
    ),
    sa.Column("world_id", sa.String(40), nullable=False),
    sa.Column("account_number", sa.String(20), nullable=False),
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Index(None, "world_id", "account_number"),
)

daily_debits = sa.Table(
    "daily_debits",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("account_number", sa.String(20), primary_key=True),
    sa.Column("day", sa.Integer, primary_key=True),  # world days since the epoch
    sa.Column("total", sa.BigInteger, nullable=False),
    # SQLite: the primary key is the only access path, so the row lives in its B-tree; one
    # B-tree (and one leaf per payment) instead of a rowid table and its key (migration 0014).
    sqlite_with_rowid=False,
)

pin_state = sa.Table(
    "pin_state",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("vpa", sa.String(255), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("locked_until_us", sa.BigInteger),  # world time
)

mandates = sa.Table(
    "mandates",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("umn", sa.String(40), primary_key=True),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("payer_vpa", sa.String(255), nullable=False),
    sa.Column("payee_vpa", sa.String(255), nullable=False),
    sa.Column("amount_limit", sa.BigInteger, nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("recurrence", sa.String(16), nullable=False),
    sa.Column("purpose", sa.String(50)),
    sa.Column("valid_from_us", sa.BigInteger, nullable=False),
    sa.Column("valid_until_us", sa.BigInteger, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("updated_us", sa.BigInteger, nullable=False),
    sa.Index(None, "world_id", "created_us"),
)

mandate_notices = sa.Table(
    "mandate_notices",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("umn", sa.String(40), nullable=False),
    sa.Column("seq_number", sa.Integer, nullable=False),  # NPCI seqNumber: 1, 2, ... per mandate
    sa.Column("amount", sa.BigInteger, nullable=False),
    sa.Column("notified_us", sa.BigInteger, nullable=False),
    sa.Column("execute_after_us", sa.BigInteger, nullable=False),
    sa.Column("txn_id", sa.String(35)),  # set once honoured (the execution succeeded or is deemed)
    sa.Column("executed_us", sa.BigInteger),  # world time it was honoured
    sa.Index(None, "world_id", "umn", "seq_number", unique=True),
)

merchant_keys = sa.Table(
    "merchant_keys",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("kid", sa.String(40), primary_key=True),
    sa.Column("private_key", sa.Text, nullable=False),  # PKCS#8 PEM, never returned
    sa.Column("public_key", sa.Text, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    info=KEPT_ON_RESET,
)

account_balances = sa.Table(
    "account_balances",
    views,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("number", sa.String(20), primary_key=True),
    sa.Column("balance", sa.BigInteger, nullable=False),
)
"""The one statement of the balance rule: an account's balance is its applied balance
(``accounts.balance``) plus the credits still queued for it (``credit_queue``, PostgreSQL's
hot-payee path; empty on SQLite). A view created by migration 0003, read-only; every store that
shows or checks a balance reads it here instead of summing the queue itself."""
