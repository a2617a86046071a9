"""identity: OTP requests, auth records, the world inbox and the partner's fixed-OTP switch

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 15:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("fixed_otp", sa.Boolean(), server_default=sa.false(), nullable=False)
        )

    op.create_table(
        "inbox_messages",
        sa.Column("world_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("to_address", sa.String(length=320), nullable=False),
        sa.Column("channel", sa.String(length=8), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("body", sa.String(length=2000), nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("world_id", "id", name=op.f("pk_inbox_messages")),
    )
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_inbox_messages_world_id_to_address_created_us"),
            ["world_id", "to_address", "created_us"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_inbox_messages_world_id_created_us"),
            ["world_id", "created_us"],
            unique=False,
        )

    op.create_table(
        "otp_requests",
        sa.Column("world_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("uid", sa.String(length=12), nullable=False),
        sa.Column("txn", sa.String(length=50), nullable=False),
        sa.Column("channel", sa.String(length=2), nullable=False),
        sa.Column("otp_hash", sa.String(length=64), nullable=False),
        sa.Column("wrong_tries", sa.Integer(), server_default="0", nullable=False),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.Column("expires_us", sa.BigInteger(), nullable=False),
        sa.Column("used_us", sa.BigInteger(), nullable=True),
        sa.PrimaryKeyConstraint("world_id", "id", name=op.f("pk_otp_requests")),
    )
    with op.batch_alter_table("otp_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_otp_requests_world_id_uid_created_us"),
            ["world_id", "uid", "created_us"],
            unique=False,
        )

    op.create_table(
        "auth_records",
        sa.Column("world_id", sa.String(length=40), nullable=False),
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("txn", sa.String(length=50), nullable=False),
        sa.Column("replay_key", sa.String(length=80), nullable=True),
        sa.Column("uid_token", sa.String(length=64), nullable=True),
        sa.Column("uid_last4", sa.String(length=4), nullable=False),
        sa.Column("ret", sa.String(length=1), nullable=False),
        sa.Column("err", sa.String(length=4), nullable=True),
        sa.Column("actn", sa.String(length=8), nullable=True),
        sa.Column("uses", sa.JSON(), nullable=False),
        sa.Column("easy_path", sa.Boolean(), nullable=False),
        sa.Column("pid_ts", sa.String(length=19), nullable=True),
        sa.Column("created_us", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("world_id", "id", name=op.f("pk_auth_records")),
        sa.UniqueConstraint(
            "world_id", "replay_key", name=op.f("uq_auth_records_world_id_replay_key")
        ),
    )
    with op.batch_alter_table("auth_records", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_auth_records_world_id_created_us"),
            ["world_id", "created_us"],
            unique=False,
        )
        batch_op.create_index(
            batch_op.f("ix_auth_records_world_id_uid_token_created_us"),
            ["world_id", "uid_token", "created_us"],
            unique=False,
        )


def downgrade() -> None:
    with op.batch_alter_table("auth_records", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_auth_records_world_id_uid_token_created_us"))
        batch_op.drop_index(batch_op.f("ix_auth_records_world_id_created_us"))
    op.drop_table("auth_records")
    with op.batch_alter_table("otp_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_otp_requests_world_id_uid_created_us"))
    op.drop_table("otp_requests")
    with op.batch_alter_table("inbox_messages", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_inbox_messages_world_id_created_us"))
        batch_op.drop_index(batch_op.f("ix_inbox_messages_world_id_to_address_created_us"))
    op.drop_table("inbox_messages")
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_column("fixed_otp")
