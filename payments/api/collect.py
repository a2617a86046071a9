"""Routes of ReqPay COLLECT: request, approve with the UPI PIN, decline.

A processed request answers 200 with the transaction (its ``responseCode`` says how it ended);
only requests the switch could not process get a 4xx problem.
"""

from __future__ import annotations

from fastapi import APIRouter, Response

from payments.api.common import IdempotencyKey
from payments.schemas.collect import ApproveIn, CollectIn
from payments.schemas.pay import TxnOut
from payments.service import collect
from sandbox.deps import CurrentWorld, Served, State
from sandbox.hot import HotRouter
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/upi/collect", tags=["payments"])
hot_router = HotRouter(prefix="/v1/upi/collect")
"""The lean double of ``POST /v1/upi/collect`` (see ``payments.api.pay.hot_router``)."""


@router.post("", response_model=TxnOut, responses=problems(*AUTHED, 409))
async def request_collect(
    body: CollectIn,
    world: CurrentWorld,
    state: State,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TxnOut:
    """ReqPay COLLECT: the payee asks the payer for money; no PIN from the payee.

    Answers a PENDING transaction (code 01) with `expiresAt`; the payer then approves it with
    the UPI PIN or declines it, or it expires with U69 (480 s of world time by default;
    advance the clock to see it). An unknown payer VPA gives a FAILURE ZH transaction.
    """
    command = collect.prepare(world, body, idempotency_key)
    answer, replayed = await collect.request(state.db, world, command)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return TxnOut(**answer, replayed=replayed)


@hot_router.post("", CollectIn)
async def request_collect_hot(
    body: CollectIn, served: Served, idempotency_key: str | None
) -> Response:
    """``request_collect`` behind the lean request path (``sandbox.hot``), its answer in the
    bytes and header order FastAPI gives the documented route's ``TxnOut`` (Rust dump, then the
    sub-response's headers)."""
    sub = Response()  # as FastAPI makes the route's ``response`` parameter
    del sub.headers["content-length"]
    txn = await request_collect(body, served.world, served.state, sub, idempotency_key)
    response = Response(txn.model_dump_json(by_alias=True), media_type="application/json")
    response.headers.raw.extend(sub.headers.raw)
    return response


@router.post("/{txn_id}/approve", response_model=TxnOut, responses=problems(*AUTHED, 404, 409))
async def approve_collect(
    txn_id: str, body: ApproveIn, world: CurrentWorld, state: State
) -> TxnOut:
    """The payer approves a pending collect with the UPI PIN: it is paid like a PAY.

    The same checks and codes as POST /v1/upi/pay (Z9, ZM, Z6, YE...) end the collect; an
    expired one answers FAILURE U69; one that already ended answers 409 `invalid-state`.
    """
    return TxnOut(**await collect.approve(state.db, world, txn_id, body.pin))


@router.post("/{txn_id}/decline", response_model=TxnOut, responses=problems(*AUTHED, 404, 409))
async def decline_collect(txn_id: str, world: CurrentWorld, state: State) -> TxnOut:
    """The payer declines a pending collect: FAILURE ZA, nothing moves.

    An expired one answers FAILURE U69; one that already ended answers 409 `invalid-state`.
    """
    return TxnOut(**await collect.decline(state.db, world, txn_id))
