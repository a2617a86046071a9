"""identity: VIDs and the UID tokens handed out

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 16:00:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "vids",
        sa.Column("world_id", sa.String(length=40), nullable=False),
        sa.Column("vid", sa.String(length=16), nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=False),
        sa.Column("revoked_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("world_id", "vid", name=op.f("pk_vids")),
    )
    with op.batch_alter_table("vids", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_vids_world_id_uid_status"), ["world_id", "uid", "status"], unique=False
        )

    op.create_table(
        "uid_tokens",
        sa.Column("world_id", sa.String(length=40), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("world_id", "token", name=op.f("pk_uid_tokens")),
    )


def downgrade() -> None:
    op.drop_table("uid_tokens")
    with op.batch_alter_table("vids", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_vids_world_id_uid_status"))
    op.drop_table("vids")
