"""OTP API 2.5, JSON rendition."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.api.auth import SIGNATURE_DOC
from identity.api.common import IdempotencyKey
from identity.schemas.otp import OtpIn, OtpOut
from identity.service import otp
from sandbox.deps import CurrentWorld, Keys, State
from sandbox.keys.api import signed_json
from sandbox.keys.jws import HEADER as JWS_HEADER
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/identity", tags=["identity"])


@router.post(
    "/otp",
    response_model=OtpOut,
    responses={
        **problems(*AUTHED, 409),
        200: {
            "description": "Processed: `ret` y, or n with `err`.",
            "headers": {JWS_HEADER: SIGNATURE_DOC},
        },
    },
)
async def request_otp(
    body: OtpIn,
    world: CurrentWorld,
    state: State,
    keys: Keys,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Send a 6-digit OTP to the resident's verified mobile and/or e-mail; read it from
    GET /v1/sandbox/inbox. It is valid 10 minutes of world time, for 3 wrong tries, and an OTP
    authentication must use this request's `txn`. A refusal answers 200 with `ret` n and `err`
    (110, 111, 112, 952, 998); `PATCH /v1/partners/me {"fixedOtp": true}` makes every OTP
    123456."""
    answer = await otp.request_otp(state.db, world, body, idempotency_key=idempotency_key)
    return signed_json(answer.model_dump(mode="json", by_alias=True), keys)
