"""account_balances view: the balance rule, stated once

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 14:30:00.000000

An account's balance is its applied balance plus the credits still queued for it (PostgreSQL
queues credits to a hot payee instead of updating its row; see ``payments/store.py``). Every
store that shows or checks a balance reads this view (``schema.payments.account_balances``).
The same SQL runs on SQLite and PostgreSQL; the correlated subquery keeps a lookup of one
account on the ``(world_id, account_number)`` index of ``credit_queue`` on both. ``CAST``:
PostgreSQL's ``SUM(bigint)`` is numeric.

SQLite caveat for later migrations: a batch ``ALTER`` of ``accounts`` or ``credit_queue`` copies
and renames the table, which SQLite refuses while this view names it; drop the view first and
create it again afterwards.
"""

from __future__ import annotations

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

CREATE = """
CREATE VIEW account_balances AS
SELECT a.world_id,
       a.number,
       CAST(a.balance + COALESCE((SELECT SUM(q.amount) FROM credit_queue q
                                  WHERE q.world_id = a.world_id
                                    AND q.account_number = a.number), 0) AS BIGINT) AS balance
FROM accounts a
"""


def upgrade() -> None:
    op.execute(CREATE)


def downgrade() -> None:
    op.execute("DROP VIEW account_balances")
