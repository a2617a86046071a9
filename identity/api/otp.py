"""OTP API 2.5, JSON rendition."""

from __future__ import annotations

from fastapi import APIRouter

from identity.api.common import IdempotencyKey
from identity.schemas.otp import OtpIn, OtpOut
from identity.service import otp
from sandbox.deps import CurrentWorld, State
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/identity", tags=["identity"])


@router.post("/otp", response_model=OtpOut, responses=problems(*AUTHED, 409))
async def request_otp(
    body: OtpIn, world: CurrentWorld, state: State, idempotency_key: IdempotencyKey = None
) -> OtpOut:
    """Send a 6-digit OTP to the resident's verified mobile and/or e-mail; read it from
    GET /v1/sandbox/inbox. It is valid 10 minutes of world time, for 3 wrong tries, and an OTP
    authentication must use this request's `txn`. A refusal answers 200 with `ret` n and `err`
    (110, 111, 112, 952, 998); `PATCH /v1/partners/me {"fixedOtp": true}` makes every OTP
    123456."""
    return await otp.request_otp(state.db, world, body, idempotency_key=idempotency_key)
