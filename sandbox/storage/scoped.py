"""``WorldStore``: the base of every store over world-owned tables.

A store is bound to one connection and one world id, and builds its statements through
``select``/``update``/``delete``/``insert`` here, which add the world filter themselves: a query
cannot forget the tenant because nobody types the filter by hand.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sqlalchemy as sa
from sqlalchemy.engine import Connection


class WorldStore:
    def __init__(self, conn: Connection, world_id: str) -> None:
        self.conn = conn
        self.world_id = world_id

    def select(self, table: sa.Table, *columns: Any) -> sa.Select[Any]:
        cols = columns or (table,)
        return sa.select(*cols).where(table.c.world_id == self.world_id)

    def update(self, table: sa.Table) -> sa.Update:
        return sa.update(table).where(table.c.world_id == self.world_id)

    def delete(self, table: sa.Table) -> sa.Delete:
        return sa.delete(table).where(table.c.world_id == self.world_id)

    def insert(
        self, table: sa.Table, rows: Mapping[str, Any] | Sequence[Mapping[str, Any]]
    ) -> None:
        if isinstance(rows, Mapping):
            self.conn.execute(table.insert().values(**rows, world_id=self.world_id))
            return
        if rows:
            self.conn.execute(table.insert(), [{**r, "world_id": self.world_id} for r in rows])
