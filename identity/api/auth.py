"""Auth API 2.5, JSON rendition (the XML wire format comes later)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.api.common import IdempotencyKey
from identity.schemas.auth import AuthIn, AuthOut
from identity.service import auth, prepare
from identity.service.keys import auth_key
from sandbox.deps import CurrentWorld, State
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/identity", tags=["identity"])

EASY_PATH_HEADER = "X-Sandbox-Easy-Path"


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
                }
            },
        },
    },
)
async def authenticate(
    body: AuthIn,
    response: Response,
    world: CurrentWorld,
    state: State,
    idempotency_key: IdempotencyKey = None,
) -> AuthOut:
    """Authenticate a resident (Auth API 2.5): the PID encrypted under the sandbox's certificate
    (`skey`, `hmac`, `data`; see `identity.crypto.encrypt_pid`), or, on the easy path, as plain
    JSON in `pid`. A processed request answers 200 with `ret` y or n and `err` (see GET
    /v1/sandbox/magic); 4xx only for a malformed body."""
    key = None if body.pid is not None else await auth_key(state.settings.data_dir, state.clock)
    prepared = await prepare.prepare(world, body, key)
    if prepared.easy_path:
        response.headers[EASY_PATH_HEADER] = "plain-pid"
    return await auth.authenticate(state.db, world, body, prepared, idempotency_key=idempotency_key)
