"""webhooks: drop ix_webhook_events_world_id_created_us, an index no query reads

Every payment inserts a webhook event, and each index of ``webhook_events`` is one more index
entry to write (and its WAL) per payment. Events are only ever read by their primary key (a
delivery's ``event_id``: the delivery listing, one delivery, the dispatcher's claim), and a
reset keeps them (``KEPT_ON_RESET``), so nothing filters them by world and time: ``EXPLAIN`` of
every query on both engines picks the primary key with or without this index, and
``pg_stat_user_indexes`` counted no scan of it after 2000 payments (docs/decisions/README.md,
"Fewer indexes per payment"). ``ix_upi_transactions_world_id_created_us`` stays: the
transaction listing without a VPA reads it (without it, a scan and sort of the world's rows).

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-30 07:00:00.000000
"""

from __future__ import annotations

from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

INDEX = "ix_webhook_events_world_id_created_us"


def upgrade() -> None:
    op.drop_index(INDEX, table_name="webhook_events")


def downgrade() -> None:
    op.create_index(INDEX, "webhook_events", ["world_id", "created_us"], unique=False)
