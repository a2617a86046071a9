"""Routes of the account services: balance enquiry (ReqBalEnq) and set/change PIN (ReqSetCre).

A declined request is processed: 200 with the code (ZM, Z6, AM, ZH, ZR...).
"""

from __future__ import annotations

from fastapi import APIRouter

from payments.schemas.account import BalanceIn, BalanceOut, PinIn, PinOut
from payments.service import account
from sandbox.deps import CurrentWorld, State
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/upi", tags=["payments"])


@router.post("/balance", response_model=BalanceOut, responses=problems(*AUTHED))
async def balance_enquiry(body: BalanceIn, world: CurrentWorld, state: State) -> BalanceOut:
    """ReqBalEnq: the balance behind a VPA, with its UPI PIN.

    Wrong PINs count like a payment's: ZM, then Z6 on the third in a world day (locked until
    the next world day); AM when no PIN is set; ZH for an unknown VPA.
    """
    return BalanceOut(**await account.balance(state.db, world, body))


@router.post("/pin", response_model=PinOut, responses=problems(*AUTHED))
async def set_pin(body: PinIn, world: CurrentWorld, state: State) -> PinOut:
    """ReqSetCre: change a UPI PIN with `oldPin`, or set a first one with the issuer's `otp`.

    Changing needs the current PIN (wrong ones count: ZM, then Z6). Setting a first PIN (no
    PIN yet, e.g. arjun@sandbox) needs, in UPI, the debit card details and an OTP from the
    issuer bank; the sandbox asks only for the OTP, which is always **123456** (any other
    answers ZR). PINs are 4 or 6 digits.
    """
    command = account.prepare_pin(world, body)
    return PinOut(**await account.set_pin(state.db, world, command))
