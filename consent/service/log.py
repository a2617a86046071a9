"""The consent log: per consent, an append-only, hash-chained record of its artefact, every
status change and (from the FI part) every use, served at ``ConsentUse.logUri``.

``append_log`` is what the FI part calls inside its unit of work, e.g.
``append_log(conn, world, consent.handle, "FI_REQUEST", {"sessionId": ..., "range": ...})``;
``read_log_page`` returns the chain's check (``models.verify_log``, over every entry) with one
page of the entries, oldest first: the API's ``GET /v1/consents/{handle}/log`` and the console's
consent page.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from consent.errors import ConsentNotFound
from consent.models import LogCheck, LogEntry, verify_log
from consent.service.reads import CURSOR_ID
from consent.store import ConsentStore
from sandbox.errors import InvalidRequest
from sandbox.kit.pagination import cursor_pattern, page, parse_cursor
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext

_CURSOR = cursor_pattern(CURSOR_ID)  # ``<seq>.<handle>`` of the last entry seen


def append(
    store: ConsentStore, world: WorldContext, handle: str, kind: str, data: dict[str, Any]
) -> LogEntry:
    return store.append_log(handle, world.now_us, kind, data)


def append_log(
    conn: Connection, world: WorldContext, handle: str, kind: str, data: dict[str, Any]
) -> LogEntry:
    """Add an entry to the log of consent ``handle`` (world time), inside the caller's unit."""
    return append(ConsentStore(conn, world.id), world, handle, kind, data)


async def read_log_page(
    db: Database, world: WorldContext, handle: str, *, limit: int, cursor: str | None
) -> tuple[Any, list[LogEntry], LogCheck, str | None]:
    """The consent row, the ``limit`` entries after ``cursor`` (``<seq>.<handle>``, as the
    previous page answered; None: from the first), the check of the whole chain, and the next
    cursor (None on the last page). ConsentNotFound if the handle is not of this world."""
    after = parse_cursor(cursor, _CURSOR)

    def unit(conn: Connection) -> tuple[Any, list[LogEntry], LogCheck, str | None]:
        # the handle first: an unknown consent is a 404 whatever cursor came with it
        row, entries, check = _checked(ConsentStore(conn, world.id), handle)
        if after is not None and after[1] != handle:
            raise InvalidRequest(
                "query.cursor",
                "cursor",
                f"is a cursor of the log of consent {after[1]}, not of {handle[:64]}",
                hint="Pass the cursor this log's previous page linked to, unchanged.",
            )
        seen = 0 if after is None else after[0]
        shown, nxt = page([e for e in entries if e.seq > seen], limit, lambda e: (e.seq, handle))
        return row, shown, check, nxt

    return await db.read(unit)


def _checked(store: ConsentStore, handle: str) -> tuple[Any, list[LogEntry], LogCheck]:
    row = store.by_handle(handle)
    if row is None:
        raise ConsentNotFound(
            f"No consent with handle '{handle[:64]}' in your world.",
            hint="Use the ConsentHandle POST /aa/Consent answered (GET /v1/consents lists them).",
        )
    entries = store.log(handle)
    return row, entries, verify_log(entries)
