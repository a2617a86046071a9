"""ReqPay PAY: a payer pushes money to a payee, authorised with the payer's UPI PIN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from payments.models import new_txn_id
from payments.schemas.pay import PayIn
from payments.service import idempotency
from payments.service.decide import Order, decide_payment
from payments.service.transactions import announce, record
from payments.service.validate import amount_of, check_txn_id, two_parties
from payments.store import PaymentsStore
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext


@dataclass(frozen=True, slots=True)
class PayCommand:
    """A validated pay request: amounts parsed, PIN hashed, fingerprint taken (all off the unit)."""

    txn_id: str
    client_txn_id: str | None
    payer_vpa: str
    pin_hash: str
    payee_vpa: str
    amount: int
    note: str | None
    ref_id: str | None
    fingerprint: str
    idempotency_key: str | None


def prepare(world: WorldContext, body: PayIn, idempotency_key: str | None) -> PayCommand:
    """Validate and precompute everything that needs no database (and all the crypto)."""
    txn_id = check_txn_id(body.txn_id) if body.txn_id else new_txn_id(world.real_us)
    payer_vpa, payee_vpa = two_parties(
        body.payer.vpa,
        body.payee.vpa,
        hint="Pay another VPA; a persona's accounts each have their own VPA.",
    )
    return PayCommand(
        txn_id=txn_id,
        client_txn_id=body.txn_id,
        payer_vpa=payer_vpa,
        pin_hash=world.pin_hash(payer_vpa, body.payer.pin),
        payee_vpa=payee_vpa,
        amount=amount_of(world, body.amount),
        note=body.note,
        ref_id=body.ref_id,
        fingerprint=world.fingerprint("upi.pay", body.model_dump(mode="json", by_alias=True)),
        idempotency_key=idempotency_key,
    )


async def pay(db: Database, world: WorldContext, cmd: PayCommand) -> tuple[dict[str, Any], bool]:
    """Run the payment once; returns ``(answer, replayed)``."""

    def effect(store: PaymentsStore) -> tuple[int, dict[str, Any]]:
        order = Order(cmd.txn_id, cmd.payer_vpa, cmd.payee_vpa, cmd.amount, cmd.pin_hash)
        store.prefetch_parties(cmd.payer_vpa, cmd.payee_vpa)  # PostgreSQL: one round trip
        outcome = decide_payment(store, world, order)
        row = record(store, world, "PAY", order, outcome, note=cmd.note, ref_id=cmd.ref_id)
        return 200, announce(store.conn, world, row, outcome)

    return await idempotency.write_once(
        db,
        world,
        idempotency_key=cmd.idempotency_key,
        client_txn_id=cmd.client_txn_id,
        fingerprint=cmd.fingerprint,
        operation="POST /v1/upi/pay",
        effect=effect,
        optimistic=True,  # the effect writes rows of its unit and the writer's memory only
    )
