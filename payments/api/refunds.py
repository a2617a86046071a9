"""Route of refunds: the payee of a successful payment sends all or part of it back."""

from __future__ import annotations

from fastapi import APIRouter, Response

from payments.api.common import IdempotencyKey
from payments.schemas.pay import TxnOut
from payments.schemas.refund import RefundIn
from payments.service import refund
from sandbox.deps import CurrentWorld, State
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/upi", tags=["payments"])


@router.post("/refunds", response_model=TxnOut, responses=problems(*AUTHED, 404, 409))
async def refund_payment(
    body: RefundIn,
    world: CurrentWorld,
    state: State,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> TxnOut:
    """Refund a SUCCESS payment in full (no `amount`) or in part, never beyond what is left.

    The refund is a new REFUND transaction from the original payee to the original payer,
    needing no PIN; it can itself fail with a code (Z9 when the payee lacks the funds...).
    A payment that did not succeed, or whose remainder is smaller than `amount`, answers 409
    `not-refundable` and nothing moves. The example refunds the payment made with txnId
    `SBXREFUNDEXAMPLE0000000000000000001`: pay with that txnId first.
    """
    command = refund.prepare(world, body, idempotency_key)
    answer, replayed = await refund.refund(state.db, world, command)
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"
    return TxnOut(**answer, replayed=replayed)
