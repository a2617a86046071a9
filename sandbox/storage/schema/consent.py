"""Consent tables (migrations 0009 and 0011): consent requests and their artefacts, each consent's
hash-chained log, each partner's AA settings (its request-signing key, its FIU URL) and the
FI sessions of POST /aa/FI/request (0011).

``consents`` holds one row per consent request (its ``handle``); approval adds the artefact's
``consent_id``, accounts and signed JWS to the same row (ReBIT 2.0.0 answers one artefact per
handle). ``consent_log`` is append-only; each entry's ``hash`` covers the previous entry's hash.
``aa_settings`` belongs to the partner, not its world: a reset keeps it.
"""

from __future__ import annotations

import sqlalchemy as sa

from sandbox.storage.schema.base import metadata

consents = sa.Table(
    "consents",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("handle", sa.String(40), primary_key=True),
    sa.Column("consent_id", sa.String(40)),  # set on approval
    sa.Column("status", sa.String(10), nullable=False),  # PENDING ACTIVE REJECTED PAUSED ...
    sa.Column("txnid", sa.String(64), nullable=False),  # of the POST /aa/Consent that made it
    sa.Column("customer_id", sa.String(255), nullable=False),  # the AA handle
    sa.Column("resident_uid", sa.String(12), nullable=False),
    sa.Column("purpose_code", sa.String(3), nullable=False),
    sa.Column("fetch_type", sa.String(10), nullable=False),
    sa.Column("detail", sa.JSON, nullable=False),  # the requested ConsentDetail, as parsed
    sa.Column("accounts", sa.JSON),  # chosen on approval
    sa.Column("signed_consent", sa.Text),  # compact JWS of the SignedConsentDetail
    sa.Column("start_us", sa.BigInteger, nullable=False),  # world time
    sa.Column("expiry_us", sa.BigInteger, nullable=False),  # world time
    sa.Column("approved_us", sa.BigInteger),  # world time: the artefact's createTimestamp
    sa.Column("use_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("last_use_us", sa.BigInteger),
    sa.Column("created_us", sa.BigInteger, nullable=False),  # world time
    sa.Column("updated_us", sa.BigInteger, nullable=False),  # world time
    sa.UniqueConstraint("world_id", "consent_id"),
    sa.Index(None, "world_id", "created_us"),
    sa.Index(None, "status", "expiry_us"),
)

consent_log = sa.Table(
    "consent_log",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("handle", sa.String(40), primary_key=True),
    sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),  # 1, 2, ...
    sa.Column("at_us", sa.BigInteger, nullable=False),  # world time
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("data", sa.JSON, nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("hash", sa.String(64), nullable=False),
)

aa_settings = sa.Table(
    "aa_settings",
    metadata,
    sa.Column("partner_id", sa.String(40), primary_key=True),
    sa.Column("signing_jwk", sa.JSON),  # public RSA JWK its /aa requests are signed with
    sa.Column("notification_url", sa.String(2048)),  # its FIU base URL
    sa.Column("updated_us", sa.BigInteger, nullable=False),
)

fi_sessions = sa.Table(
    "fi_sessions",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("session_id", sa.String(40), primary_key=True),
    sa.Column("handle", sa.String(40), nullable=False),  # the consent's
    sa.Column("consent_id", sa.String(40), nullable=False),
    sa.Column("txnid", sa.String(64), nullable=False),  # of the POST /aa/FI/request
    sa.Column("status", sa.String(10), nullable=False),  # ACTIVE COMPLETED EXPIRED FAILED
    sa.Column("from_us", sa.BigInteger, nullable=False),  # FIDataRange, world time
    sa.Column("to_us", sa.BigInteger, nullable=False),
    sa.Column("key_material", sa.JSON, nullable=False),  # the FIU's KeyMaterial (public)
    sa.Column("accounts", sa.JSON, nullable=False),  # per account: ids and its FIStatus
    sa.Column("fetch_count", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_us", sa.BigInteger, nullable=False),  # world time
    sa.Column("updated_us", sa.BigInteger, nullable=False),
    sa.Column("expires_us", sa.BigInteger, nullable=False),  # data no longer served after
    sa.Index(None, "world_id", "created_us"),
    sa.Index(None, "world_id", "handle", "status"),
)
