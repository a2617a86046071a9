"""consent: consent requests and artefacts, the hash-chained consent log, partners' AA settings

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 18:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "consents",
        sa.Column("world_id", sa.String(length=40), nullable=False),
        sa.Column("handle", sa.String(length=40), nullable=False),
        sa.Column("consent_id", sa.String(length=40), nullable=True),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("txnid", sa.String(length=64), nullable=False),
        sa.Column("customer_id", sa.String(length=255), nullable=False),
        sa.Column("resident_uid", sa.String(length=12), nullable=False),
        sa.Column("purpose_code", sa.String(length=3), nullable=False),
        sa.Column("fetch_type", sa.String(length=10), nullable=False),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("accounts", sa.JSON(), nullable=True),
        sa.Column("signed_consent", sa.Text(), nullable=True),
        sa.Column("start_us", sa.BigInteger(), nullable=False),
        sa.Column("expiry_us", sa.BigInteger(), nullable=False),
        sa.Column("approved_us", sa.BigInteger(), nullable=True),
        sa.Column("use_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("last_use_us", sa.BigInteger(), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("world_id", "handle", name=op.f("pk_consents")),
        sa.UniqueConstraint("world_id", "consent_id", name=op.f("uq_consents_world_id_consent_id")),
    )
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_consents_world_id_created_us"), ["world_id", "created_us"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_consents_status_expiry_us"), ["status", "expiry_us"], unique=False
        )

    op.create_table(
        "consent_log",
        sa.Column("world_id", sa.String(length=40), nullable=False),
        sa.Column("handle", sa.String(length=40), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("at_us", sa.BigInteger(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(length=64), nullable=False),
        sa.Column("hash", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("world_id", "handle", "seq", name=op.f("pk_consent_log")),
    )

    op.create_table(
        "aa_settings",
        sa.Column("partner_id", sa.String(length=40), nullable=False),
        sa.Column("signing_jwk", sa.JSON(), nullable=True),
        sa.Column("notification_url", sa.String(length=2048), nullable=True),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("partner_id", name=op.f("pk_aa_settings")),
    )


def downgrade() -> None:
    op.drop_table("aa_settings")
    op.drop_table("consent_log")
    with op.batch_alter_table("consents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_consents_status_expiry_us"))
        batch_op.drop_index(batch_op.f("ix_consents_world_id_created_us"))
    op.drop_table("consents")
