"""Refunds: the payee of a successful payment sends (part of) it back to the payer.

A refund is a new transaction (type REFUND, ``original_txn_id`` set) from the original payee to
the original payer, decided by ``decide.decide_payment`` like any payment but without a PIN (the
merchant-initiated refund of UPI needs none). So a payee without the funds, a frozen account,
an offline bank... give a processed FAILURE refund with their code (Z9, YE, XY...).

What may still be refunded is ``amount - refunded`` on the original; the refund reserves its
amount with a conditional update (``refunded + amount <= amount``) before any money moves, so
concurrent refunds can never add up to more than was paid; a refund that fails gives its
reservation back.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from payments.errors import NotRefundable, TransactionNotFound
from payments.models import Status, Transaction, new_txn_id
from payments.schemas.refund import RefundIn
from payments.service import idempotency
from payments.service.decide import Order, decide_payment
from payments.service.transactions import announce, record
from payments.service.validate import amount_of, check_txn_id
from payments.store import PaymentsStore
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext

REFUNDABLE_TYPES = ("PAY", "COLLECT", "MANDATE")


@dataclass(frozen=True, slots=True)
class RefundCommand:
    txn_id: str
    client_txn_id: str | None
    original_txn_id: str
    amount: int | None  # None: everything not yet refunded
    note: str | None
    fingerprint: str
    idempotency_key: str | None


def prepare(world: WorldContext, body: RefundIn, idempotency_key: str | None) -> RefundCommand:
    return RefundCommand(
        txn_id=check_txn_id(body.txn_id) if body.txn_id else new_txn_id(world.real_us),
        client_txn_id=body.txn_id,
        original_txn_id=check_txn_id(body.original_txn_id, "originalTxnId"),
        amount=None if body.amount is None else amount_of(world, body.amount),
        note=body.note,
        fingerprint=world.fingerprint("upi.refund", body.model_dump(mode="json", by_alias=True)),
        idempotency_key=idempotency_key,
    )


async def refund(
    db: Database, world: WorldContext, cmd: RefundCommand
) -> tuple[dict[str, Any], bool]:
    """Refund once; returns ``(answer, replayed)``."""

    return await idempotency.write_once(
        db,
        world,
        idempotency_key=cmd.idempotency_key,
        client_txn_id=cmd.client_txn_id,
        fingerprint=cmd.fingerprint,
        operation="POST /v1/upi/refunds",
        effect=lambda store: (200, _refund(store.conn, store, world, cmd)),
    )


def _refund(
    conn: Connection, store: PaymentsStore, world: WorldContext, cmd: RefundCommand
) -> dict[str, Any]:
    original = _refundable(store.txn(cmd.original_txn_id), cmd.original_txn_id)
    remaining = original.amount - original.refunded
    amount = remaining if cmd.amount is None else cmd.amount
    if amount > remaining or not store.reserve_refund(original.txn_id, amount):
        raise NotRefundable(
            f"A refund of {world.money(amount)} is more than the {world.money(remaining)} "
            f"left of {original.txn_id} ({world.money(original.amount)} paid, "
            f"{world.money(original.refunded)} refunded); nothing was moved.",
            hint=f"Refund at most {world.money(remaining)}, or omit amount to refund all of it.",
            reason="exceeds_remaining",
            remainingAmount=world.money(remaining),
        )
    order = Order(cmd.txn_id, original.payee_vpa, original.payer_vpa, amount, None)
    outcome = decide_payment(store, world, order)
    if outcome.status == Status.FAILURE:
        store.release_refund(original.txn_id, amount)
    row = record(
        store,
        world,
        "REFUND",
        order,
        outcome,
        note=cmd.note,
        ref_id=original.ref_id,
        original_txn_id=original.txn_id,
    )
    return announce(conn, world, row, outcome)


def _refundable(original: Transaction | None, txn_id: str) -> Transaction:
    if original is None:
        raise TransactionNotFound(
            f"No transaction '{txn_id}' in your world to refund.",
            hint="Send the txnId of a successful payment in your world as originalTxnId.",
            responseCode="U04",
        )
    if original.type not in REFUNDABLE_TYPES:
        raise NotRefundable(
            f"{txn_id} is a {original.type}; only a PAY, COLLECT or MANDATE payment can be "
            "refunded.",
            hint="Refund the original payment instead (see originalTxnId of this refund).",
            reason="not_a_payment",
        )
    if original.status != Status.SUCCESS:
        raise NotRefundable(
            f"{txn_id} is {original.status} ({original.response_code}): only a SUCCESS payment "
            "moved money that could be sent back.",
            hint="Nothing to refund; a DEEMED payment can be refunded once it settles as TCC.",
            reason="not_successful",
        )
    if original.refunded >= original.amount:
        raise NotRefundable(
            f"{txn_id} is already fully refunded.",
            hint="List its refunds with GET /v1/upi/transactions?type=REFUND.",
            reason="fully_refunded",
        )
    return original
