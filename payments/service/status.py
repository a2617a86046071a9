"""ReqChkTxn: a transaction's status and a filterable list; the sweeper that moves time-driven
states forward (deemed payments settle as TCC or RET; collect requests expire with U69; AutoPay
mandates past their validUntil expire).

A final state (SUCCESS, FAILURE) never changes: every state change is a conditional update
from a non-final state.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from payments.errors import TransactionNotFound
from payments.models import RET_CENTS, Status, world_day
from payments.service import ledger, mandate
from payments.service.views import txn_payload
from payments.store import PaymentsStore, worlds_with_due_work
from sandbox.kit.clock import Clock
from sandbox.kit.pagination import cursor_pattern, make_cursor, parse_cursor
from sandbox.partners.store import get_partner
from sandbox.storage.database import Database
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext

_CURSOR = cursor_pattern(r"[A-Za-z0-9]{1,35}")  # txnIds


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
        more = len(rows) > limit
        rows = rows[:limit]
        nxt = make_cursor(rows[-1].created_us, rows[-1].txn_id) if more else None
        return [txn_payload(r, world) for r in rows], nxt

    return await db.read(unit)


# -- the sweeper -------------------------------------------------------------------------------


def settle_deemed(store: PaymentsStore, world: WorldContext, row: Any) -> bool:
    """TCC (credit confirmed) or RET (returned) for a deemed payment whose time has come."""
    outcome = "RET" if row.amount % 100 == RET_CENTS else "TCC"
    status = Status.SUCCESS if outcome == "TCC" else Status.FAILURE
    if not store.update_txn_from(
        row.txn_id,
        "DEEMED",
        status=status.value,
        settlement=outcome,
        response_code="00" if outcome == "TCC" else "RB",
        updated_us=world.now_us,
    ):
        return False
    target = row.payee_account if outcome == "TCC" else row.payer_account
    ledger.release(store, row.txn_id, outcome, target, row.amount, world.now_us)
    if outcome == "RET":  # returned like a reversal: the payer's limits and any refund reserve
        store.add_debited(row.payer_account, world_day(row.created_us), -row.amount)
        if row.type == "REFUND" and row.original_txn_id:
            store.release_refund(row.original_txn_id, row.amount)
    settled = store.txn(row.txn_id)
    emit(store.conn, world, "payment.settled", txn_payload(settled, world))
    return True


def expire_collect(store: PaymentsStore, world: WorldContext, row: Any) -> bool:
    moved = store.update_txn_from(
        row.txn_id, "PENDING", status="FAILURE", response_code="U69", updated_us=world.now_us
    )
    if moved:
        expired = store.txn(row.txn_id)
        emit(store.conn, world, "collect.expired", txn_payload(expired, world))
    return moved


async def sweep(db: Database, secret_key: str, clock: Clock) -> int:
    """Settle due deemed payments and expire due collects in every world; returns how many."""
    now = clock.now_us()
    worlds = await db.read(lambda conn: worlds_with_due_work(conn, now))
    done = 0
    for world_id in worlds:

        def unit(conn: Connection, world_id: str = world_id) -> int:
            partner = get_partner(conn, world_id)
            if partner is None:
                return 0
            world = WorldContext.of(partner, secret_key, clock)
            store = PaymentsStore(conn, world_id)
            n = sum(settle_deemed(store, world, r) for r in store.due_deemed(world.now_us))
            n += sum(expire_collect(store, world, r) for r in store.due_collects(world.now_us))
            n += mandate.expire_lapsed(store, world)
            return n

        done += await db.write(unit)
    return done
