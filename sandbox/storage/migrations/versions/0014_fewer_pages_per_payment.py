"""payments: fewer pages per payment (drop ix_ledger_entries_world_id_txn_id; SQLite: daily_debits
WITHOUT ROWID)

Each index a payment inserts into is one more page its COMMIT writes (and its checkpoint copies),
and on PostgreSQL one more index insert in the backend (docs/decisions/payment-cost.md, "Fewer
pages per payment: ..."):

- ``ix_ledger_entries_world_id_txn_id`` is read by no query: the statement joins a ledger line to
  its transaction by the transaction's primary key, the ledger check groups the world's entries
  (any index on ``world_id`` serves the world; ``open_debits`` reads clearing's entries by
  account), and a reset deletes by ``world_id`` (``ix_ledger_entries_world_id_account``). Each
  payment wrote four entries into it: about two WAL frames per payment on SQLite (its right-most
  leaf, and the three siblings SQLite rebalances at each split of an index B-tree), four index
  inserts on PostgreSQL.
- On SQLite ``daily_debits`` becomes a ``WITHOUT ROWID`` table: its primary key (world, account,
  day) is its only access path (the upsert, the day's total), so the row lives in the key's
  B-tree instead of a rowid table beside an automatic index: one B-tree instead of two (WAL
  frames per payment alone in its batch 1.8 -> 1.2). PostgreSQL has no such option (a heap
  and its key, unchanged).

Existing rows are kept both ways (SQLite copies the table into its new form).

Revision ID: 0014
Revises: 0013
Create Date: 2026-11-30 12:30:00.000000
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None

INDEX = "ix_ledger_entries_world_id_txn_id"

WITHOUT_ROWID = ("daily_debits",)  # SQLite only: keyed and read by its primary key alone


def upgrade() -> None:
    op.drop_index(INDEX, table_name="ledger_entries")
    for table in WITHOUT_ROWID:
        _rebuild(table, with_rowid=False)


def downgrade() -> None:
    for table in WITHOUT_ROWID:
        _rebuild(table, with_rowid=True)
    op.create_index(INDEX, "ledger_entries", ["world_id", "txn_id"], unique=False)


_SUFFIX = " WITHOUT ROWID"


def _rebuild(table: str, *, with_rowid: bool) -> None:
    """SQLite: copy ``table`` into a table of the same columns and key, with or without a rowid
    (a table's storage cannot be altered in place), with its rows and indexes. Nothing on other
    engines."""
    conn = op.get_bind()
    if conn.dialect.name != "sqlite":
        return
    create = conn.execute(
        sa.text("SELECT sql FROM sqlite_master WHERE type = 'table' AND name = :name"),
        {"name": table},
    ).scalar_one()
    indexes = list(  # named ones; the key's own index comes with the table
        conn.execute(
            sa.text(
                "SELECT sql FROM sqlite_master WHERE type = 'index' AND tbl_name = :name"
                " AND sql IS NOT NULL"
            ),
            {"name": table},
        ).scalars()
    )
    body = create.rstrip()
    if body.upper().endswith(_SUFFIX):
        body = body[: -len(_SUFFIX)]
    if not with_rowid:
        body += _SUFFIX
    staged = f"_{table}_0014"
    columns_and_key = body[body.index("(") :]  # the same columns, in order, and the same key
    conn.exec_driver_sql(f'CREATE TABLE "{staged}" {columns_and_key}')
    conn.exec_driver_sql(f'INSERT INTO "{staged}" SELECT * FROM "{table}"')  # noqa: S608
    conn.exec_driver_sql(f'DROP TABLE "{table}"')
    conn.exec_driver_sql(f'ALTER TABLE "{staged}" RENAME TO "{table}"')
    for index in indexes:
        conn.exec_driver_sql(index)
