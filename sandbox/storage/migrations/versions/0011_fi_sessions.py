"""consent: FI sessions (POST /aa/FI/request, /aa/FI/fetch)

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-29 19:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "fi_sessions",
        sa.Column("world_id", sa.String(length=40), nullable=False),
        sa.Column("session_id", sa.String(length=40), nullable=False),
        sa.Column("handle", sa.String(length=40), nullable=False),
        sa.Column("consent_id", sa.String(length=40), nullable=False),
        sa.Column("txnid", sa.String(length=64), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("from_us", sa.BigInteger(), nullable=False),
        sa.Column("to_us", sa.BigInteger(), nullable=False),
        sa.Column("key_material", sa.JSON(), nullable=False),
        sa.Column("accounts", sa.JSON(), nullable=False),
        sa.Column("fetch_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("updated_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("world_id", "session_id", name=op.f("pk_fi_sessions")),
    )
    with op.batch_alter_table("fi_sessions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_fi_sessions_world_id_created_us"),
            ["world_id", "created_us"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_fi_sessions_world_id_handle_status"),
            ["world_id", "handle", "status"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("fi_sessions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_fi_sessions_world_id_handle_status"))
        batch_op.drop_index(batch_op.f("ix_fi_sessions_world_id_created_us"))
    op.drop_table("fi_sessions")
