"""The partner's audit trail: its authentications, newest first, filtered by UID token and time."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.engine import Connection

from identity.errors import AuthRecordNotFound
from identity.models import AuthRecord
from identity.store import AuthStore
from sandbox.kit.pagination import cursor_pattern, page, parse_cursor
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext

CURSOR_ID = r"[0-9a-f]{32}"  # the ids its cursors carry (stated in the OpenAPI)
_CURSOR = cursor_pattern(CURSOR_ID)


@dataclass(frozen=True, slots=True)
class RecordPage:
    records: list[AuthRecord]
    next_cursor: str | None


async def list_records(
    db: Database,
    world: WorldContext,
    *,
    limit: int,
    cursor: str | None,
    uid_token: str | None,
    since_us: int | None,
    until_us: int | None,
) -> RecordPage:
    before = parse_cursor(cursor, _CURSOR)

    def unit(conn: Connection) -> list[AuthRecord]:
        return AuthStore(conn, world.id).page(
            limit=limit + 1,
            before=before,
            uid_token=uid_token,
            since_us=since_us,
            until_us=until_us,
        )

    rows, nxt = page(await db.read(unit), limit, lambda r: (r.created_us, r.id))
    return RecordPage(rows, nxt)


async def get_record(db: Database, world: WorldContext, code: str) -> AuthRecord:
    record = await db.read(lambda conn: AuthStore(conn, world.id).get(code))
    if record is None:
        raise AuthRecordNotFound(
            f"No authentication with code '{code}' in your world.",
            hint="Use the `code` of an answer of POST /v1/identity/auth, or list them with "
            "GET /v1/identity/auth-records.",
        )
    return record
