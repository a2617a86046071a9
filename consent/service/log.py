"""The consent log: per consent, an append-only, hash-chained record of its artefact, every
status change and (from the FI part) every use, served at ``ConsentUse.logUri``.

``append_log`` is what the FI part calls inside its unit of work, e.g.
``append_log(conn, world, consent.handle, "FI_REQUEST", {"sessionId": ..., "range": ...})``;
``read_log`` returns the entries with the chain recomputed (``models.verify_log``).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from consent.errors import ConsentNotFound
from consent.models import LogCheck, LogEntry, verify_log
from consent.store import ConsentStore
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext


def append(
    store: ConsentStore, world: WorldContext, handle: str, kind: str, data: dict[str, Any]
) -> LogEntry:
    return store.append_log(handle, world.now_us, kind, data)


def append_log(
    conn: Connection, world: WorldContext, handle: str, kind: str, data: dict[str, Any]
) -> LogEntry:
    """Add an entry to the log of consent ``handle`` (world time), inside the caller's unit."""
    return append(ConsentStore(conn, world.id), world, handle, kind, data)


async def read_log(
    db: Database, world: WorldContext, handle: str
) -> tuple[Any, list[LogEntry], LogCheck]:
    """The consent row, its log oldest first, and the chain's check; ConsentNotFound if the
    handle is not of this world."""

    def unit(conn: Connection) -> tuple[Any, list[LogEntry], LogCheck]:
        store = ConsentStore(conn, world.id)
        row = store.by_handle(handle)
        if row is None:
            raise ConsentNotFound(
                f"No consent with handle '{handle[:64]}' in your world.",
                hint="Use the ConsentHandle POST /aa/Consent answered (GET /v1/consents lists "
                "them).",
            )
        entries = store.log(handle)
        return row, entries, verify_log(entries)

    return await db.read(unit)
