"""The sweeper: moves time-driven states forward in every world. Deemed payments settle as TCC
or RET; collect requests expire with U69; AutoPay mandates past their validUntil expire.

A final state (SUCCESS, FAILURE) never changes: every state change is a conditional update
from a non-final state, so the sweeper and a concurrent request never both move one.
"""

from __future__ import annotations

from sqlalchemy.engine import Connection

from payments.models import Status, Transaction, world_day
from payments.service import ledger, mandate
from payments.service.transactions import COLLECT_EXPIRED, SETTLED_EVENT
from payments.service.views import txn_payload
from payments.store import PaymentsStore, worlds_with_due_work
from sandbox.kit.clock import Clock
from sandbox.partners.store import get_partner
from sandbox.storage.database import Database
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext


def settle_deemed(store: PaymentsStore, world: WorldContext, txn: Transaction) -> bool:
    """TCC (credit confirmed) or RET (returned), as decided with the payment, once it is due."""
    settlement = txn.settlement
    if settlement not in ("TCC", "RET"):
        raise AssertionError(f"deemed {txn.txn_id} has no settlement ({settlement!r})")
    tcc = settlement == "TCC"
    if not store.update_txn_from(
        txn.txn_id,
        "DEEMED",
        status=(Status.SUCCESS if tcc else Status.FAILURE).value,
        response_code="00" if tcc else "RB",
        updated_us=world.now_us,
    ):
        return False
    target = txn.payee_account if tcc else txn.payer_account
    assert target is not None  # a deemed payment was debited and had a payee
    ledger.release(store, txn.txn_id, settlement, target, txn.amount, world.now_us)
    if not tcc:  # returned like a reversal: the payer's limits and any refund reserve
        assert txn.payer_account is not None
        store.add_debited(txn.payer_account, world_day(txn.created_us), -txn.amount)
        if txn.type == "REFUND" and txn.original_txn_id:
            store.release_refund(txn.original_txn_id, txn.amount)
    settled = store.txn(txn.txn_id)
    assert settled is not None
    emit(store.conn, world, SETTLED_EVENT, txn_payload(settled, world))
    return True


def expire_collect(store: PaymentsStore, world: WorldContext, txn: Transaction) -> bool:
    moved = store.update_txn_from(
        txn.txn_id, "PENDING", status="FAILURE", response_code="U69", updated_us=world.now_us
    )
    if moved:
        expired = store.txn(txn.txn_id)
        assert expired is not None
        emit(store.conn, world, COLLECT_EXPIRED, txn_payload(expired, world))
    return moved


async def sweep(db: Database, secret_key: str, clock: Clock) -> int:
    """Settle due deemed payments, expire due collects and lapsed mandates in every world;
    returns how many."""
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
            n = sum(settle_deemed(store, world, t) for t in store.due_deemed(world.now_us))
            n += sum(expire_collect(store, world, t) for t in store.due_collects(world.now_us))
            n += mandate.expire_lapsed(store, world)
            return n

        done += await db.write(unit)
    return done
