"""Routes of UPI AutoPay mandates: parse, call one service function, answer.

An execution the switch processed answers 200 whatever its outcome (QA paused, QB already
honoured, QC revoked, QD expired, or any payment code); so does an approval with a wrong PIN
(ZM). Requests that cannot be processed (yet) get a 4xx problem.
"""

from __future__ import annotations

from typing import Annotated, Literal

from fastapi import APIRouter, Path, Query, Response

from payments.api.common import IdempotencyKey
from payments.schemas.mandate import (
    ApproveIn,
    ExecuteIn,
    MandateIn,
    MandateList,
    MandateOut,
    NoticeOut,
    NotifyIn,
)
from payments.schemas.pay import TxnOut
from payments.service import mandate, mandate_debit
from sandbox.deps import CurrentWorld, State
from sandbox.kit.responses import AUTHED, problems
from sandbox.kit.wire import cursor_schema

router = APIRouter(prefix="/v1/upi/mandates", tags=["mandates"])
Umn = Annotated[str, Path(description="The mandate's UMN, as POST /v1/upi/mandates answered it.")]


def _replayed(response: Response, replayed: bool) -> None:
    if replayed:
        response.headers["Idempotent-Replayed"] = "true"


@router.post("", status_code=201, response_model=MandateOut, responses=problems(*AUTHED, 409))
async def create_mandate(
    body: MandateIn,
    world: CurrentWorld,
    state: State,
    response: Response,
    idempotency_key: IdempotencyKey = None,
) -> MandateOut:
    """ReqMandate CREATE by the payee (merchant): PENDING_APPROVAL until the payer approves."""
    command = mandate.prepare_create(world, body, idempotency_key)
    answer, replayed = await mandate.create(state.db, world, command)
    _replayed(response, replayed)
    return MandateOut(**answer, replayed=replayed)


@router.get("", response_model=MandateList, responses=problems(*AUTHED))
async def list_mandates(
    world: CurrentWorld,
    state: State,
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, **cursor_schema(mandate.CURSOR_ID)),
    vpa: str | None = Query(None, max_length=255, description="Payer or payee."),
    status: Literal["PENDING_APPROVAL", "ACTIVE", "PAUSED", "DECLINED", "REVOKED", "EXPIRED"]
    | None = Query(None),
) -> MandateList:
    """Your world's mandates, newest first."""
    rows, nxt = await mandate.list_mandates(
        state.db, world, limit=limit, cursor=cursor, vpa=vpa, status=status
    )
    return MandateList(mandates=[MandateOut(**r) for r in rows], next_cursor=nxt)


@router.get("/{umn}", response_model=MandateOut, responses=problems(*AUTHED, 404))
async def get_mandate(umn: Umn, world: CurrentWorld, state: State) -> MandateOut:
    """A mandate's current state (past its validUntil it reads EXPIRED)."""
    return MandateOut(**await mandate.get(state.db, world, umn))


@router.post("/{umn}/approve", response_model=MandateOut, responses=problems(*AUTHED, 404, 409))
async def approve_mandate(
    body: ApproveIn, umn: Umn, world: CurrentWorld, state: State
) -> MandateOut:
    """The payer approves with the UPI PIN -> ACTIVE. A wrong PIN answers 200 with ZM (Z6 on
    the third in a world day, AM when no PIN is set) and leaves it PENDING_APPROVAL."""
    return MandateOut(**await mandate.approve(state.db, world, umn, body.pin))


async def _change(umn: str, action: str, world: CurrentWorld, state: State) -> MandateOut:
    return MandateOut(**await mandate.change(state.db, world, umn, action))


@router.post("/{umn}/decline", response_model=MandateOut, responses=problems(*AUTHED, 404, 409))
async def decline_mandate(umn: Umn, world: CurrentWorld, state: State) -> MandateOut:
    """The payer declines a PENDING_APPROVAL mandate -> DECLINED."""
    return await _change(umn, "decline", world, state)


@router.post("/{umn}/pause", response_model=MandateOut, responses=problems(*AUTHED, 404, 409))
async def pause_mandate(umn: Umn, world: CurrentWorld, state: State) -> MandateOut:
    """ReqMandate UPDATE by the payer: ACTIVE -> PAUSED (executions answer QA)."""
    return await _change(umn, "pause", world, state)


@router.post("/{umn}/resume", response_model=MandateOut, responses=problems(*AUTHED, 404, 409))
async def resume_mandate(umn: Umn, world: CurrentWorld, state: State) -> MandateOut:
    """ReqMandate UPDATE by the payer: PAUSED -> ACTIVE."""
    return await _change(umn, "resume", world, state)


@router.post("/{umn}/revoke", response_model=MandateOut, responses=problems(*AUTHED, 404, 409))
async def revoke_mandate(umn: Umn, world: CurrentWorld, state: State) -> MandateOut:
    """ReqMandate REVOKE by the payer: ACTIVE or PAUSED -> REVOKED, for good (executions: QC)."""
    return await _change(umn, "revoke", world, state)


@router.post(
    "/{umn}/notify",
    status_code=201,
    response_model=NoticeOut,
    responses=problems(*AUTHED, 404, 409),
)
async def notify_mandate(
    body: NotifyIn,
    response: Response,
    umn: Umn,
    world: CurrentWorld,
    state: State,
    idempotency_key: IdempotencyKey = None,
) -> NoticeOut:
    """Pre-debit notification to the payer: the debit may follow 24 h of world time later (or
    at `executeAt`, if later), for at most the mandate's amountLimit."""
    command = mandate_debit.prepare_notify(world, umn, body, idempotency_key)
    answer, replayed = await mandate_debit.notify(state.db, world, command)
    _replayed(response, replayed)
    return NoticeOut(**answer, replayed=replayed)


@router.post("/{umn}/execute", response_model=TxnOut, responses=problems(*AUTHED, 404, 409))
async def execute_mandate(
    body: ExecuteIn,
    response: Response,
    umn: Umn,
    world: CurrentWorld,
    state: State,
    idempotency_key: IdempotencyKey = None,
) -> TxnOut:
    """The debit a notice announced, as a MANDATE transaction. Declines answer 200 with their
    code: QA paused, QB already honoured, QC revoked, QD expired, or any payment code. Before
    the notice's `executeAfter`: 409 naming that time; above the AutoPay limit without `pin`:
    422."""
    command = await mandate_debit.prepare_execute(state.db, world, umn, body, idempotency_key)
    answer, replayed = await mandate_debit.execute(state.db, world, command)
    _replayed(response, replayed)
    return TxnOut(**answer, replayed=replayed)
