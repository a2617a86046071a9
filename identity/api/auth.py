"""Auth API 2.5, JSON rendition (the XML wire format comes later)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.api.common import IdempotencyKey
from identity.schemas.auth import AuthIn, AuthOut
from identity.service import auth, prepare
from identity.service.keys import auth_key
from sandbox.deps import CurrentWorld, Served, State
from sandbox.hot import HotRouter
from sandbox.keys.api import signed_json
from sandbox.keys.jws import HEADER as JWS_HEADER
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/identity", tags=["identity"])
hot_router = HotRouter(prefix="/v1/identity")
"""Lean doubles of the hot routes, matched first and left out of the document (``Domain.hot``)."""

EASY_PATH_HEADER = "X-Sandbox-Easy-Path"
SIGNATURE_DOC = {
    "description": "Detached JWS (RFC 7797, RS256, b64 false) over the exact body bytes; the "
    "keys are at /.well-known/jwks.json.",
    "schema": {"type": "string"},
}


@router.post(
    "/auth",
    response_model=AuthOut,
    responses={
        **problems(*AUTHED, 409),
        200: {
            "description": "Processed: `ret` y, or n with `err`. The easy path adds the header "
            f"`{EASY_PATH_HEADER}: plain-pid`.",
            "headers": {
                EASY_PATH_HEADER: {
                    "description": "`plain-pid` when the PID came as plain JSON (`pid`).",
                    "schema": {"type": "string"},
                },
                JWS_HEADER: SIGNATURE_DOC,
            },
        },
    },
)
async def authenticate(
    body: AuthIn,
    world: CurrentWorld,
    state: State,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Authenticate a resident (Auth API 2.5): the PID encrypted under the sandbox's certificate
    (`skey`, `hmac`, `data`; see `identity.crypto.encrypt_pid`), or, on the easy path, as plain
    JSON in `pid`. A processed request answers 200 with `ret` y or n and `err` (see GET
    /v1/sandbox/magic); 4xx only for a malformed body."""
    key = None if body.pid is not None else await auth_key(state.settings.data_dir, state.clock)
    prepared = await prepare.prepare(world, body, key)
    answer = await auth.answer_json(
        state.db, world, body, prepared, idempotency_key=idempotency_key
    )
    headers = {EASY_PATH_HEADER: "plain-pid"} if prepared.easy_path else None
    # the ring from the state, not a Keys dependency: one dependency less to solve per request
    return signed_json(answer, state.keys, headers=headers)


@hot_router.post("/auth", AuthIn)
async def authenticate_hot(body: AuthIn, served: Served, idempotency_key: str | None) -> Response:
    """``authenticate`` behind the lean request path (``sandbox.hot``)."""
    return await authenticate(body, served.world, served.state, idempotency_key)
