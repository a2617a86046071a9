"""Platform tables: partners and their API keys, each world's population (residents, banks,
accounts, VPAs, AA handles), the webhook outbox, the simulated SMS and e-mail inbox, and
idempotency keys, which every domain's writes share (payments, identity; consent next).
"""

from __future__ import annotations

import sqlalchemy as sa

from sandbox.storage.schema.base import KEPT_ON_RESET, metadata

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
    # migration 0005: every OTP of this partner's world is 123456 (for automated tests)
    sa.Column("fixed_otp", sa.Boolean, nullable=False, server_default=sa.false()),
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
    # read only by its primary key (a delivery's event_id): no index by world and time, one
    # index entry less per payment (migration 0013)
    info=KEPT_ON_RESET,
)

webhook_deliveries = sa.Table(
    "webhook_deliveries",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("world_id", sa.String(40), nullable=False),
    sa.Column("event_id", sa.String(40), nullable=False),
    sa.Column("url", sa.String(2048), nullable=False),
    # true: sent to the partner's webhook URL, and follows it when it changes (PATCH, replay);
    # false: a domain addressed it elsewhere (an AA notification to the FIU's notification URL)
    sa.Column("follows_webhook_url", sa.Boolean, nullable=False, server_default=sa.true()),
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("attempts", sa.Integer, nullable=False, server_default="0"),
    sa.Column("next_attempt_us", sa.BigInteger),
    sa.Column("last_status_code", sa.Integer),
    sa.Column("last_error", sa.String(500)),
    sa.Column("created_us", sa.BigInteger, nullable=False),
    sa.Column("updated_us", sa.BigInteger, nullable=False),
    sa.Index(None, "world_id", "created_us"),
    sa.Index(None, "status", "next_attempt_us"),
    info=KEPT_ON_RESET,
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
    info=KEPT_ON_RESET,
)

# Created by migration 0002 with payments, its first user; shared by every domain's writes.
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

# Migration 0005: the world's simulated SMS and e-mail inbox (OTPs land here). World-owned, so a
# reset wipes it with the population.
inbox_messages = sa.Table(
    "inbox_messages",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("to_address", sa.String(320), nullable=False),  # E.164 mobile or lower-case e-mail
    sa.Column("channel", sa.String(8), nullable=False),  # sms | email
    sa.Column("subject", sa.String(200), nullable=False),
    sa.Column("body", sa.String(2000), nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),  # world time
    sa.Index(None, "world_id", "to_address", "created_us"),
    sa.Index(None, "world_id", "created_us"),
)
