"""Routes of the UPI-like switch: parse, call one service function, answer.

A payment the switch processed answers 200 whatever its outcome (``responseCode`` says why);
only requests it could not process get a 4xx problem.
"""

from __future__ import annotations

from typing import Literal

from fastapi import APIRouter, Query, Response

from payments.api.common import IdempotencyKey, JSONBytes
from payments.schemas.pay import (
    LedgerCheckOut,
    MagicList,
    MagicOut,
    PayIn,
    TxnList,
    TxnOut,
    ValidateIn,
    ValidateOut,
)
from payments.service import ledger_check, pay, status, vpa
from sandbox.deps import CurrentWorld, Served, State
from sandbox.hot import HotRouter
from sandbox.kit.responses import AUTHED, problems
from sandbox.kit.wire import cursor_schema

router = APIRouter(prefix="/v1/upi", tags=["payments"])
sandbox_router = APIRouter(prefix="/v1/sandbox", tags=["sandbox"])
hot_router = HotRouter(prefix="/v1/upi")
"""Lean doubles of the hot routes, matched first and left out of the document (``Domain.hot``)."""


@router.post("/vpa/validate", response_model=ValidateOut, responses=problems(*AUTHED))
async def validate_vpa(body: ValidateIn, world: CurrentWorld, state: State) -> ValidateOut:
    """ReqValAdd: who is behind a VPA (ZH when nobody is)."""
    return ValidateOut(**await vpa.validate(state.db, world, body.vpa))


@router.post("/pay", response_model=TxnOut, responses=problems(*AUTHED, 409))
async def pay_(
    body: PayIn,
    world: CurrentWorld,
    state: State,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """ReqPay PAY: the payer pushes money to the payee with the UPI PIN.

    Declines answer 200 with the NPCI-style `responseCode` (see GET /v1/sandbox/magic).
    """
    command = pay.prepare(world, body, idempotency_key)
    answer, replayed = await pay.pay(state.db, world, command)
    # the answer is already in its wire form (txn_payload, the shape of TxnOut): sent as is,
    # since validating it again through the response model costs more than the payment
    headers = {"Idempotent-Replayed": "true"} if replayed else None
    return JSONBytes({**answer, "replayed": replayed}, headers=headers)


@hot_router.post("/pay", PayIn)
async def pay_hot(body: PayIn, served: Served, idempotency_key: str | None) -> Response:
    """``pay_`` behind the lean request path (``sandbox.hot``)."""
    return await pay_(body, served.world, served.state, idempotency_key)


@router.get("/transactions/{txn_id}", response_model=TxnOut, responses=problems(*AUTHED, 404))
async def get_transaction(txn_id: str, world: CurrentWorld, state: State) -> TxnOut:
    """ReqChkTxn: the current state of a transaction (a final state never changes)."""
    return TxnOut(**await status.get(state.db, world, txn_id))


@router.get("/transactions", response_model=TxnList, responses=problems(*AUTHED))
async def list_transactions(
    world: CurrentWorld,
    state: State,
    limit: int = Query(20, ge=1, le=100),
    cursor: str | None = Query(None, **cursor_schema(status.CURSOR_ID)),
    vpa_: str | None = Query(None, alias="vpa", max_length=255, description="Payer or payee."),
    status_: Literal["PENDING", "SUCCESS", "FAILURE", "DEEMED"] | None = Query(
        None, alias="status"
    ),
    type_: Literal["PAY", "COLLECT", "REFUND", "MANDATE"] | None = Query(None, alias="type"),
) -> TxnList:
    """Your world's transactions, newest first."""
    rows, nxt = await status.list_txns(
        state.db,
        world,
        limit=limit,
        cursor=cursor,
        vpa=vpa_,
        status=status_,
        type_=type_,
    )
    return TxnList(transactions=[TxnOut(**r) for r in rows], next_cursor=nxt)


@sandbox_router.get("/magic", response_model=MagicList)
async def magic(state: State) -> MagicList:
    """Every value that forces an outcome, and every response code the sandbox implements, of
    every installed domain (payments first; identity rows have `kind` "identity")."""
    tables = [d.magic for d in state.domains if d.magic is not None]
    return MagicList(
        magic=[
            MagicOut(kind=m.kind, value=m.value, response_code=m.code, description=m.description)
            for table in tables
            for m in table.rows
        ],
        codes={code: meaning for table in tables for code, meaning in table.codes.items()},
    )


@sandbox_router.get("/ledger/check", response_model=LedgerCheckOut, responses=problems(*AUTHED))
async def check_ledger(world: CurrentWorld, state: State) -> LedgerCheckOut:
    """Proof that your world's money is conserved and every debit has its credit or reversal."""
    result = await ledger_check.check(state.db, world)
    money = world.money
    return LedgerCheckOut(
        balanced=result.balanced,
        currency=world.country.currency,
        seeded_total=money(result.seeded_total),
        external_inflows=money(result.external_inflows),
        accounts_total=money(result.accounts_total),
        in_clearing=money(result.in_clearing),
        unbalanced_postings=result.unbalanced_postings,
        account_mismatches=[
            {"account": a, "balance": money(b), "expected": money(e)}
            for a, b, e in result.account_mismatches
        ],
        debits_without_credit_or_reversal=result.open_debits,
    )
