"""The one schema both engines share (migrations in ``migrations/versions`` create it).

Conventions: every world-owned table carries ``world_id`` first in its primary key or in an index,
so a store can never forget the tenant; times are UTC epoch microseconds in ``*_us`` columns
(world time where the column says so); money is an integer in minor units beside its currency.
"""

from __future__ import annotations

import sqlalchemy as sa

metadata = sa.MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_N_name)s",
        "uq": "uq_%(table_name)s_%(column_0_N_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)

partners = sa.Table(
    "partners",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("contact_email", sa.String(320), nullable=False),
    sa.Column("webhook_url", sa.String(2048)),
    sa.Column("webhook_secret", sa.String(100), nullable=False),
    sa.Column("country", sa.String(2), nullable=False),
    sa.Column("world_seed", sa.BigInteger, nullable=False),
    sa.Column("world_residents", sa.Integer, nullable=False),
    sa.Column("clock_offset_us", sa.BigInteger, nullable=False, server_default="0"),
    sa.Column("created_us", sa.BigInteger, nullable=False),
)

api_keys = sa.Table(
    "api_keys",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("partner_id", sa.String(40), sa.ForeignKey("partners.id"), nullable=False),
    sa.Column("key_hash", sa.String(64), nullable=False, unique=True),
    sa.Column("prefix", sa.String(16), nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("revoked_us", sa.BigInteger),
    sa.Index(None, "partner_id"),
)

residents = sa.Table(
    "residents",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("uid", sa.String(12), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("name_local", sa.String(200)),
    sa.Column("dob", sa.String(10), nullable=False),
    sa.Column("gender", sa.String(1), nullable=False),
    sa.Column("address", sa.JSON, nullable=False),
    sa.Column("mobile", sa.String(20)),
    sa.Column("mobile_verified", sa.Boolean, nullable=False),
    sa.Column("email", sa.String(320)),
    sa.Column("language", sa.String(8), nullable=False),
    sa.Column("biometrics_locked", sa.Boolean, nullable=False),
    sa.Column("persona", sa.String(40)),
)

banks = sa.Table(
    "banks",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("code", sa.String(4), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("psp_handle", sa.String(64), nullable=False),
    sa.Column("online", sa.Boolean, nullable=False),
)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("number", sa.String(20), primary_key=True),
    sa.Column("resident_uid", sa.String(12), nullable=False),
    sa.Column("bank_code", sa.String(4), nullable=False),
    sa.Column("ifsc", sa.String(11), nullable=False),
    sa.Column("type", sa.String(16), nullable=False),
    sa.Column("currency", sa.String(3), nullable=False),
    sa.Column("opening_balance", sa.BigInteger, nullable=False),
    sa.Column("balance", sa.BigInteger, nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("opened_us", sa.BigInteger, nullable=False),
    sa.CheckConstraint("balance >= 0", name="balance_not_negative"),
    sa.Index(None, "world_id", "resident_uid"),
)

vpas = sa.Table(
    "vpas",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("vpa", sa.String(255), primary_key=True),
    sa.Column("account_number", sa.String(20), nullable=False),
    sa.Column("pin_hash", sa.String(64)),
    sa.Column("is_merchant", sa.Boolean, nullable=False),
    sa.Column("merchant_category", sa.String(4)),
    sa.Column("registered_us", sa.BigInteger, nullable=False),
    sa.Index(None, "world_id", "account_number"),
)

aa_handles = sa.Table(
    "aa_handles",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("handle", sa.String(255), primary_key=True),
    sa.Column("resident_uid", sa.String(12), nullable=False),
)

webhook_events = sa.Table(
    "webhook_events",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("world_id", sa.String(40), nullable=False),
    sa.Column("type", sa.String(80), nullable=False),
    sa.Column("payload", sa.JSON, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("world_time_us", sa.BigInteger, nullable=False),
    sa.Index(None, "world_id", "created_us"),
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("world_id", sa.String(40), nullable=False),
    sa.Column("event_id", sa.String(40), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_us", sa.BigInteger),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.String(500)),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("updated_us", sa.BigInteger, nullable=False),
    sa.Index(None, "world_id", "created_us"),
    sa.Index(None, "status", "next_attempt_us"),
)

webhook_attempts = sa.Table(
    "webhook_attempts",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("delivery_id", sa.String(40), nullable=False),
    sa.Column("world_id", sa.String(40), nullable=False),
    sa.Column("attempted_us", sa.BigInteger, nullable=False),
    sa.Column("status_code", sa.Integer),
    sa.Column("error", sa.String(500)),
    sa.Column("duration_ms", sa.Integer, nullable=False),
    sa.Index(None, "delivery_id"),
)

# -- payments (UPI-like switch over a double-entry ledger) -----------------------------------

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
    sa.Index(None, "world_id", "account"),
    sa.Index(None, "world_id", "txn_id"),
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
)

pin_state = sa.Table(
    "pin_state",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("vpa", sa.String(255), primary_key=True),
    sa.Column("failures", sa.Integer, nullable=False),
    sa.Column("locked_until_us", sa.BigInteger),  # world time
)

idempotency_keys = sa.Table(
    "idempotency_keys",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("key", sa.String(300), primary_key=True),
    sa.Column("fingerprint", sa.String(64), nullable=False),
    sa.Column("status_code", sa.Integer, nullable=False),
    sa.Column("response", sa.JSON, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),  # world time
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
)
