"""Recording a decided transaction and announcing it: the row, the answer and its events.

Every flow (pay, collect, refund, mandate execution) records through ``record`` and announces
through ``announce``, so a transaction reads and notifies the same whichever flow made it.
``EVENTS`` lists every webhook event payments sends, for the docs.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from payments.models import APPROVE, CHANGES, Status, Transaction, new_rrn
from payments.service.decide import Order, Outcome
from payments.service.views import txn_payload
from payments.store import PaymentsStore
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext

PAYMENT_TYPES = ("PAY", "COLLECT", "MANDATE")

# The event of a decided transaction, by (type, status). A PENDING collect is announced as
# ``collect.requested`` instead, when it is raised.
EVENT_FOR: dict[tuple[str, Status], str] = {
    **{(type_, Status.SUCCESS): "payment.succeeded" for type_ in PAYMENT_TYPES},
    **{(type_, Status.FAILURE): "payment.failed" for type_ in PAYMENT_TYPES},
    **{(type_, Status.DEEMED): "payment.deemed" for type_ in PAYMENT_TYPES},
    ("REFUND", Status.SUCCESS): "refund.succeeded",
    ("REFUND", Status.FAILURE): "refund.failed",
    ("REFUND", Status.DEEMED): "refund.deemed",
}
# Sent after the failure event when the credit failed and the debit was given back.
REVERSED_EVENT: dict[str, str] = {
    **dict.fromkeys(PAYMENT_TYPES, "payment.reversed"),
    "REFUND": "refund.reversed",
}
SETTLED_EVENT = "payment.settled"  # a deemed payment or refund settled (TCC or RET)
COLLECT_REQUESTED = "collect.requested"
COLLECT_DECLINED = "collect.declined"
COLLECT_EXPIRED = "collect.expired"
MANDATE_CREATED = "mandate.created"
MANDATE_NOTIFIED = "mandate.notified"
MANDATE_EXPIRED = "mandate.expired"

EVENTS: tuple[str, ...] = tuple(
    dict.fromkeys(
        [
            *EVENT_FOR.values(),
            *REVERSED_EVENT.values(),
            SETTLED_EVENT,
            COLLECT_REQUESTED,
            COLLECT_DECLINED,
            COLLECT_EXPIRED,
            MANDATE_CREATED,
            APPROVE.event,
            *(change.event for change in CHANGES.values()),
            MANDATE_NOTIFIED,
            MANDATE_EXPIRED,
        ]
    )
)


def record(
    store: PaymentsStore,
    world: WorldContext,
    type_: str,
    order: Order,
    outcome: Outcome,
    *,
    note: str | None = None,
    ref_id: str | None = None,
    original_txn_id: str | None = None,
    mandate_id: str | None = None,
    expires_us: int | None = None,
) -> Transaction:
    """Insert the transaction of a decided order and return it."""
    txn = Transaction(
        txn_id=order.txn_id,
        rrn=new_rrn(world.now_us),
        type=type_,
        status=outcome.status.value,
        response_code=outcome.code,
        payer_vpa=order.payer_vpa,
        payer_account=outcome.payer_account,
        payee_vpa=order.payee_vpa,
        payee_account=outcome.payee_account,
        amount=order.amount,
        currency=world.country.currency,
        note=note,
        ref_id=ref_id,
        original_txn_id=original_txn_id,
        mandate_id=mandate_id,
        settle_at_us=outcome.settle_at_us,
        settlement=outcome.settlement,
        expires_us=expires_us,
        created_us=world.now_us,
        updated_us=world.now_us,
    )
    store.add_txn(txn)
    return txn


def announce(
    conn: Connection, world: WorldContext, txn: Transaction, outcome: Outcome
) -> dict[str, Any]:
    """The answer for a decided transaction, and its webhook events (same transaction)."""
    body = txn_payload(txn, world, detail=outcome.detail)
    emit(conn, world, EVENT_FOR[txn.type, outcome.status], body)
    if outcome.reversed:
        emit(conn, world, REVERSED_EVENT[txn.type], body)
    return body
