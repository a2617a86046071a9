"""deemed payments carry their settlement from the start

Revision ID: 0004
Revises: 0002
Create Date: 2026-12-02 10:00:00.000000

Until now a deemed (RB) payment's ``settlement`` (TCC or RET) was written only when it settled,
re-derived from the amount (cents .92 settle as RET, anything else as TCC). It is now decided
with the payment and stored at once; this fills it in for deemed payments still waiting.
"""

from __future__ import annotations

from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(
        "UPDATE upi_transactions SET settlement = "
        "CASE WHEN amount % 100 = 92 THEN 'RET' ELSE 'TCC' END "
        "WHERE status = 'DEEMED' AND settlement IS NULL"
    )


def downgrade() -> None:
    op.execute("UPDATE upi_transactions SET settlement = NULL WHERE status = 'DEEMED'")
