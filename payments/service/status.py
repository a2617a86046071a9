"""ReqChkTxn: a transaction's status and a filterable list (``sweeper`` moves time-driven
states forward)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from payments.errors import TransactionNotFound
from payments.service.views import txn_payload
from payments.store import PaymentsStore
from sandbox.kit.pagination import cursor_pattern, page, parse_cursor
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext

CURSOR_ID = r"[A-Za-z0-9]{1,35}"  # the ids its cursors carry (stated in the OpenAPI)
_CURSOR = cursor_pattern(CURSOR_ID)  # txnIds


async def get(db: Database, world: WorldContext, txn_id: str) -> dict[str, Any]:
    def unit(conn: Connection) -> dict[str, Any]:
        row = PaymentsStore(conn, world.id).txn(txn_id)
        if row is None:
            raise TransactionNotFound(
                f"No transaction '{txn_id}' in your world.",
                hint="Use the txnId a pay or collect call answered; other partners' "
                "transactions are never visible.",
                responseCode="U04",
            )
        return txn_payload(row, world)

    return await db.read(unit)


async def list_txns(
    db: Database,
    world: WorldContext,
    *,
    limit: int,
    cursor: str | None,
    vpa: str | None,
    status: str | None,
    type_: str | None,
) -> tuple[list[dict[str, Any]], str | None]:
    before = parse_cursor(cursor, _CURSOR)

    def unit(conn: Connection) -> tuple[list[dict[str, Any]], str | None]:
        rows = PaymentsStore(conn, world.id).txns(
            limit=limit + 1,
            before=before,
            vpa=vpa.lower() if vpa else None,
            status=status,
            type_=type_,
        )
        kept, nxt = page(rows, limit, lambda r: (r.created_us, r.txn_id))
        return [txn_payload(r, world) for r in kept], nxt

    return await db.read(unit)
