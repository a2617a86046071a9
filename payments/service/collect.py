"""ReqPay COLLECT: the payee asks for money; the payer approves with the UPI PIN, declines, or
lets the request expire.

NPCI flow (shared/reference/upi.md, "Messages"; ReqPay with type COLLECT): the payee's PSP sends
the request, the switch resolves the payer's address (ReqAuthDetails; ZH when nobody has it) and
the payer's PSP shows it. It stays pending (01) until the payer approves with the PIN (the same
DEBIT and CREDIT legs as a PAY, decided by ``decide.decide_payment``), declines (ZA) or lets it
lapse (U69; 480 s of world time by default, PSPs allow 300 s to 60 days).

A collect is ONE transaction row: PENDING at request, moved to its outcome by a conditional
update (status still PENDING), so of a concurrent approve, decline and expiry exactly one wins.
An expired collect answers U69 to approve and decline whether or not the sweeper
(``sweeper.expire_collect``) got there first; any other final state answers 409 InvalidState.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from payments.errors import InvalidPaymentField, InvalidState, TransactionNotFound
from payments.models import (
    CODES,
    COLLECT_EXPIRY_MAX_SECONDS,
    COLLECT_EXPIRY_MIN_SECONDS,
    COLLECT_EXPIRY_SECONDS,
    MAGIC_PAYEES,
    MAGIC_PAYER_VPA_NO_ACCOUNT,
    Status,
    Transaction,
    new_txn_id,
)
from payments.schemas.collect import CollectIn
from payments.service import idempotency, sweeper
from payments.service.decide import Order, Outcome, decide_payment
from payments.service.transactions import (
    COLLECT_DECLINED,
    COLLECT_REQUESTED,
    announce,
    record,
)
from payments.service.validate import amount_of, check_txn_id, two_parties
from payments.service.views import txn_payload
from payments.store import PaymentsStore
from sandbox.kit.clock import iso
from sandbox.storage.database import Database
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext


@dataclass(frozen=True, slots=True)
class CollectCommand:
    """A validated collect request (amount parsed, fingerprint taken), ready for the unit."""

    txn_id: str
    client_txn_id: str | None
    payer_vpa: str
    payee_vpa: str
    amount: int
    note: str | None
    ref_id: str | None
    expires_in_seconds: int
    fingerprint: str
    idempotency_key: str | None


def prepare(world: WorldContext, body: CollectIn, idempotency_key: str | None) -> CollectCommand:
    """Validate everything that needs no database."""
    txn_id = check_txn_id(body.txn_id) if body.txn_id else new_txn_id(world.real_us)
    payer_vpa, payee_vpa = two_parties(
        body.payer.vpa,
        body.payee.vpa,
        hint="Ask another VPA for the money; a collect needs two parties.",
    )
    expires = body.expires_in_seconds
    if not COLLECT_EXPIRY_MIN_SECONDS <= expires <= COLLECT_EXPIRY_MAX_SECONDS:
        raise InvalidPaymentField(
            "expiresInSeconds",
            "range",
            f"must be {COLLECT_EXPIRY_MIN_SECONDS} to {COLLECT_EXPIRY_MAX_SECONDS} seconds; "
            f"got {expires}",
            hint=f"Omit it for the usual {COLLECT_EXPIRY_SECONDS} s.",
        )
    return CollectCommand(
        txn_id=txn_id,
        client_txn_id=body.txn_id,
        payer_vpa=payer_vpa,
        payee_vpa=payee_vpa,
        amount=amount_of(world, body.amount),
        note=body.note,
        ref_id=body.ref_id,
        expires_in_seconds=expires,
        fingerprint=world.fingerprint("upi.collect", body.model_dump(mode="json", by_alias=True)),
        idempotency_key=idempotency_key,
    )


async def request(
    db: Database, world: WorldContext, cmd: CollectCommand
) -> tuple[dict[str, Any], bool]:
    """Raise the collect request once; returns ``(answer, replayed)``."""

    return await idempotency.write_once(
        db,
        world,
        idempotency_key=cmd.idempotency_key,
        client_txn_id=cmd.client_txn_id,
        fingerprint=cmd.fingerprint,
        operation="POST /v1/upi/collect",
        effect=lambda store: (200, _raise_request(store.conn, store, world, cmd)),
    )


def _raise_request(
    conn: Connection, store: PaymentsStore, world: WorldContext, cmd: CollectCommand
) -> dict[str, Any]:
    order = Order(cmd.txn_id, cmd.payer_vpa, cmd.payee_vpa, cmd.amount, None)
    store.prefetch_parties(cmd.payer_vpa, cmd.payee_vpa)  # PostgreSQL: one round trip
    payer = store.party(cmd.payer_vpa)
    payee = None if cmd.payee_vpa in MAGIC_PAYEES else store.party(cmd.payee_vpa)
    unknown = None
    if payer is None and cmd.payer_vpa != MAGIC_PAYER_VPA_NO_ACCOUNT:
        unknown = f"payer VPA {cmd.payer_vpa} does not exist in this world"
    elif payee is None and cmd.payee_vpa not in MAGIC_PAYEES:
        unknown = f"payee VPA {cmd.payee_vpa} does not exist in this world"
    if unknown is not None:  # ReqAuthDetails found nobody: the request fails at once
        failed = Outcome(Status.FAILURE, "ZH", unknown, None, None)
        txn = record(store, world, "COLLECT", order, failed, note=cmd.note, ref_id=cmd.ref_id)
        return announce(conn, world, txn, failed)
    expires_us = world.now_us + cmd.expires_in_seconds * 1_000_000
    pending = Outcome(
        Status.PENDING,
        "01",
        f"waiting for {cmd.payer_vpa} to approve with the UPI PIN or decline, "
        f"until {iso(expires_us)} (world time)",
        payer.account_number if payer else None,
        payee.account_number if payee else None,
    )
    txn = record(
        store,
        world,
        "COLLECT",
        order,
        pending,
        note=cmd.note,
        ref_id=cmd.ref_id,
        expires_us=expires_us,
    )
    body = txn_payload(txn, world, detail=pending.detail)
    emit(conn, world, COLLECT_REQUESTED, body)
    return body


async def approve(db: Database, world: WorldContext, txn_id: str, pin: str) -> dict[str, Any]:
    """The payer approves with the UPI PIN: the payment is decided like a PAY (same codes)."""
    found = await db.read(lambda conn: PaymentsStore(conn, world.id).txn(txn_id))
    pin_hash = world.pin_hash(_collect(found, txn_id).payer_vpa, pin)  # crypto off the unit

    def unit(conn: Connection) -> dict[str, Any]:
        store = PaymentsStore(conn, world.id)
        txn = _collect(store.txn(txn_id), txn_id)
        for _ in range(2):  # a second pass only if a concurrent change won the claim below
            answer = _unless_pending(store, world, txn, "approved")
            if answer is not None:
                return answer
            # Claim the row (PostgreSQL: its lock) before any money moves; a concurrent
            # decline or expiry waits, then finds it no longer PENDING.
            if store.update_txn_from(txn_id, "PENDING", updated_us=world.now_us):
                return _execute(conn, store, world, txn, pin_hash)
            txn = _collect(store.txn(txn_id), txn_id)
        raise AssertionError(f"collect {txn_id} neither pending nor final")

    return await db.write(unit)


def _execute(
    conn: Connection, store: PaymentsStore, world: WorldContext, txn: Transaction, pin_hash: str
) -> dict[str, Any]:
    order = Order(txn.txn_id, txn.payer_vpa, txn.payee_vpa, txn.amount, pin_hash)
    outcome = decide_payment(store, world, order)
    moved = store.update_txn_from(
        txn.txn_id,
        "PENDING",
        status=outcome.status.value,
        response_code=outcome.code,
        payer_account=outcome.payer_account,
        payee_account=outcome.payee_account,
        settle_at_us=outcome.settle_at_us,
        settlement=outcome.settlement,
        updated_us=world.now_us,
    )
    assert moved, "the claimed collect changed under its claim"
    decided = store.txn(txn.txn_id)
    assert decided is not None
    return announce(conn, world, decided, outcome)


async def decline(db: Database, world: WorldContext, txn_id: str) -> dict[str, Any]:
    """The payer declines: the collect fails with ZA and nothing moves."""

    def unit(conn: Connection) -> dict[str, Any]:
        store = PaymentsStore(conn, world.id)
        txn = _collect(store.txn(txn_id), txn_id)
        for _ in range(2):
            answer = _unless_pending(store, world, txn, "declined")
            if answer is not None:
                return answer
            if store.update_txn_from(
                txn_id, "PENDING", status="FAILURE", response_code="ZA", updated_us=world.now_us
            ):
                declined = _collect(store.txn(txn_id), txn_id)
                body = txn_payload(
                    declined,
                    world,
                    detail=f"{txn.payer_vpa} declined the request of {txn.payee_vpa}; "
                    "nothing was paid",
                )
                emit(conn, world, COLLECT_DECLINED, body)
                return body
            txn = _collect(store.txn(txn_id), txn_id)
        raise AssertionError(f"collect {txn_id} neither pending nor final")

    return await db.write(unit)


def _collect(txn: Transaction | None, txn_id: str) -> Transaction:
    if txn is None or txn.type != "COLLECT":
        what = "no transaction" if txn is None else f"a {txn.type} transaction, not a collect"
        raise TransactionNotFound(
            f"'{txn_id}' is {what} in your world.",
            hint="Use the txnId that POST /v1/upi/collect answered; other partners' "
            "transactions are never visible.",
            responseCode="U04",
        )
    return txn


def _unless_pending(
    store: PaymentsStore, world: WorldContext, txn: Transaction, action: str
) -> dict[str, Any] | None:
    """``None`` when the collect is pending and in time; else the answer: U69 once it expired
    (expiring it now if the sweeper has not yet), 409 for any other state."""
    if txn.status == Status.PENDING:
        if txn.expires_us is None or txn.expires_us > world.now_us:
            return None
        sweeper.expire_collect(store, world, txn)  # conditional: a no-op if something else won
        txn = _collect(store.txn(txn.txn_id), txn.txn_id)
    if txn.response_code == "U69":
        assert txn.expires_us is not None
        return txn_payload(
            txn,
            world,
            detail=f"the collect request expired at {iso(txn.expires_us)} (world time) before "
            f"it was {action}; nothing was paid",
        )
    meaning = CODES[txn.response_code].meaning if txn.response_code in CODES else ""
    raise InvalidState(
        f"Collect {txn.txn_id} is already {txn.status} ({txn.response_code} {meaning}); "
        f"it cannot be {action} any more.",
        hint="Read it with GET /v1/upi/transactions/{txnId}; raise a new collect request to "
        "ask again.",
        currentStatus=txn.status,
        responseCode=txn.response_code,
    )
