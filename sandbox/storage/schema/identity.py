"""Identity tables: OTP requests and the record of every authentication (migration 0005), VIDs
and the UID tokens handed out (0006).

All are world-owned (a reset wipes them). Neither holds a full ID number in clear where it can
be avoided: an OTP is stored as a keyed hash, and an auth record keeps the UID token and the last
four digits of the number.
"""

from __future__ import annotations

import sqlalchemy as sa

from sandbox.storage.schema.base import metadata

otp_requests = sa.Table(
    "otp_requests",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("uid", sa.String(12), nullable=False),
    sa.Column("txn", sa.String(50), nullable=False),
    sa.Column("channel", sa.String(2), nullable=False),
    sa.Column("otp_hash", sa.String(64), nullable=False),  # HMAC under SANDBOX_SECRET_KEY
    sa.Column("wrong_tries", sa.Integer, nullable=False, server_default="0"),
    sa.Column("created_us", sa.BigInteger, nullable=False),  # world time
    sa.Column("expires_us", sa.BigInteger, nullable=False),  # world time
    sa.Column("used_us", sa.BigInteger),  # world time of the authentication that consumed it
    sa.Index(None, "world_id", "uid", "created_us"),
)

auth_records = sa.Table(
    "auth_records",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("id", sa.String(40), primary_key=True),  # the answer's ``code``
    sa.Column("txn", sa.String(50), nullable=False),
    # "<txn>|<PID ts>" of a request that was decided; NULL for refusals before the PID was read
    # and for 563 answers. Unique: a concurrent replay fails on it and is answered 563.
    sa.Column("replay_key", sa.String(80)),
    sa.Column("uid_token", sa.String(64)),  # NULL when the number is unknown (998)
    sa.Column("uid_last4", sa.String(4), nullable=False),
    sa.Column("ret", sa.String(1), nullable=False),
    sa.Column("err", sa.String(4)),
    sa.Column("actn", sa.String(8)),
    sa.Column("uses", sa.JSON, nullable=False),
    sa.Column("easy_path", sa.Boolean, nullable=False),
    sa.Column("pid_ts", sa.String(19)),
    sa.Column("created_us", sa.BigInteger, nullable=False),  # world time
    sa.UniqueConstraint("world_id", "replay_key"),
    sa.Index(None, "world_id", "created_us"),
    sa.Index(None, "world_id", "uid_token", "created_us"),
)

# A VID is an identifier like the number it stands for, so it is stored in clear to be looked up.
# One ACTIVE VID per resident: generating another marks the old one REPLACED in the same unit.
vids = sa.Table(
    "vids",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("vid", sa.String(16), primary_key=True),
    sa.Column("uid", sa.String(12), nullable=False),
    sa.Column("status", sa.String(10), nullable=False),  # ACTIVE | REVOKED | REPLACED
    sa.Column("created_us", sa.BigInteger, nullable=False),  # world time, as are the others
    sa.Column("expires_us", sa.BigInteger, nullable=False),
    sa.Column("revoked_us", sa.BigInteger),  # when it was revoked or replaced
    sa.Index(None, "world_id", "uid", "status"),
)

# The UID tokens this world's partner was given (``info.uidToken``): a token is an HMAC of the
# number, so resolving one back (a token sent as ``uid``) needs this record.
uid_tokens = sa.Table(
    "uid_tokens",
    metadata,
    sa.Column("world_id", sa.String(40), primary_key=True),
    sa.Column("token", sa.String(64), primary_key=True),
    sa.Column("uid", sa.String(12), nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),  # world time of the first answer
)

# The signing certificate an AUA registered (POST /v1/partners/me/certificates): once it has
# one, its XML requests must be signed by it (569/570). Keyed by partner, not world: it is the
# partner's configuration, like its webhook URL, and survives a world reset.
aua_certificates = sa.Table(
    "aua_certificates",
    metadata,
    sa.Column("partner_id", sa.String(40), primary_key=True),
    sa.Column("pem", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),  # of the DER, hex
    sa.Column("not_after_us", sa.BigInteger, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
)

# The encryption certificate a KUA registered (POST /v1/partners/me/certificates with use
# "encryption"): once it has one, its eKYC answers carry the resident's data encrypted to that
# key (a JWE for JSON, the eKYC 2.5 kycRes envelope for XML). Keyed by partner, like the signing
# certificate: the partner's configuration, surviving a world reset.
kua_encryption_certificates = sa.Table(
    "kua_encryption_certificates",
    metadata,
    sa.Column("partner_id", sa.String(40), primary_key=True),
    sa.Column("pem", sa.Text, nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),  # of the DER, hex
    sa.Column("not_after_us", sa.BigInteger, nullable=False),
    sa.Column("created_us", sa.BigInteger, nullable=False),
)
