"""FI sessions as of now, and the partner's view of them (GET /v1/fi/sessions). A session:

    ACTIVE --every account fetched--> COMPLETED
    ACTIVE --24 h of world time after the request--> EXPIRED  (FI/fetch: DataGone)

A read that finds an ACTIVE session past its window marks it EXPIRED (and notifies), so reads
run as writes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from consent import errors
from consent.models import (
    SessionStatus,
)
from consent.service import notify
from consent.store import FiSessionStore
from sandbox.kit.pagination import Before, cursor_pattern, keyset_page
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext

CURSOR_ID = r"[0-9a-f-]{36}"  # the ids its cursors carry (stated in the OpenAPI)
_CURSOR = cursor_pattern(CURSOR_ID)


def current_session(sessions: FiSessionStore, world: WorldContext, row: Any) -> Any:
    """The session as of now: an ACTIVE one past its window is marked EXPIRED (and notified)."""
    if row.status == SessionStatus.ACTIVE and row.expires_us <= world.now_us:
        if sessions.set_status(
            row.session_id, [SessionStatus.ACTIVE], SessionStatus.EXPIRED, world.now_us
        ):
            row = sessions.get(row.session_id)
            notify.fi_notification(sessions.conn, world, row, "expired")
        else:
            row = sessions.get(row.session_id)
    return row


def session_not_found(session_id: str) -> errors.FiSessionNotFound:
    return errors.FiSessionNotFound(
        f"No FI session '{session_id[:64]}' in your world.",
        hint="Use the sessionId POST /aa/FI/request answered (GET /v1/fi/sessions lists them).",
    )


async def list_sessions(
    db: Database, world: WorldContext, *, limit: int, cursor: str | None, status: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the world's FI sessions, newest first (lapsed ones read EXPIRED)."""

    def read(conn: Connection, before: Before, n: int) -> list[Any]:
        sessions = FiSessionStore(conn, world.id)
        rows = sessions.page(limit=n, before=before, status=status)
        return [current_session(sessions, world, r) for r in rows]

    rows, nxt = await keyset_page(
        db.write, read, cursor=cursor, pattern=_CURSOR, limit=limit, key=_key
    )
    return [notify.session_payload(r) for r in rows], nxt


def _key(row: Any) -> tuple[int, str]:
    return row.created_us, row.session_id


async def get_session(db: Database, world: WorldContext, session_id: str) -> dict[str, Any]:
    def unit(conn: Connection) -> dict[str, Any]:
        sessions = FiSessionStore(conn, world.id)
        row = sessions.get(session_id)
        if row is None:
            raise session_not_found(session_id)
        return notify.session_payload(current_session(sessions, world, row))

    return await db.write(unit)
