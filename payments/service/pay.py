"""ReqPay PAY: a payer pushes money to a payee, authorised with the payer's UPI PIN."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from payments.models import Status, new_rrn, new_txn_id
from payments.schemas.pay import PayIn
from payments.service import idempotency
from payments.service.decide import Order, Outcome, execute
from payments.service.validate import amount_of, check_txn_id, two_parties
from payments.service.views import Row, txn_payload
from payments.store import PaymentsStore
from sandbox.storage.database import Database
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext

EVENT_FOR_STATUS = {
    Status.SUCCESS: "payment.succeeded",
    Status.FAILURE: "payment.failed",
    Status.DEEMED: "payment.deemed",
    Status.PENDING: "payment.pending",
}


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
    txn_id = check_txn_id(body.txn_id) if body.txn_id else new_txn_id()
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
        outcome = execute(store, world, order)
        row = record(store, world, "PAY", order, outcome, note=cmd.note, ref_id=cmd.ref_id)
        return 200, announce(store.conn, world, row, outcome)

    return await idempotency.write_once(
        db,
        world,
        idempotency_key=cmd.idempotency_key,
        client_txn_id=cmd.client_txn_id,
        fingerprint=cmd.fingerprint,
        effect=effect,
    )


def record(
    store: PaymentsStore,
    world: WorldContext,
    type_: str,
    order: Order,
    outcome: Outcome,
    **extra: Any,
) -> Row:
    """Insert the transaction row for a decided order and return it."""
    values: dict[str, Any] = {
        "txn_id": order.txn_id,
        "rrn": new_rrn(world.now_us),
        "type": type_,
        "status": outcome.status.value,
        "response_code": outcome.code,
        "payer_vpa": order.payer_vpa,
        "payer_account": outcome.payer_account,
        "payee_vpa": order.payee_vpa,
        "payee_account": outcome.payee_account,
        "amount": order.amount,
        "currency": world.country.currency,
        "settle_at_us": outcome.settle_at_us,
        "created_us": world.now_us,
        "updated_us": world.now_us,
        "refunded": 0,
        **extra,
    }
    store.add_txn(values)
    return Row(**values)


def announce(conn: Connection, world: WorldContext, row: Any, outcome: Outcome) -> dict[str, Any]:
    """The answer for a decided transaction, and its webhook events (same transaction)."""
    body = txn_payload(row, world, detail=outcome.detail)
    prefix = "refund" if row.type == "REFUND" else "payment"
    event = EVENT_FOR_STATUS[outcome.status].replace("payment", prefix)
    emit(conn, world, event, body)
    if outcome.reversed:
        emit(conn, world, f"{prefix}.reversed", body)
    return body
