"""VIDs: generate and revoke after an OTP, and read one's status."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.api.auth import SIGNATURE_DOC
from identity.api.common import IdempotencyKey
from identity.schemas.vids import VidAnswer, VidIn, VidOut, VidRevokeIn
from identity.service import vids
from sandbox.deps import CurrentWorld, Keys, State
from sandbox.keys.api import signed_json
from sandbox.keys.jws import HEADER as JWS_HEADER
from sandbox.kit.clock import iso
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/identity", tags=["identity"])

PROCESSED = {
    "description": "Processed: `ret` y, or n with `err`.",
    "headers": {JWS_HEADER: SIGNATURE_DOC},
}


@router.post(
    "/vids",
    response_model=VidAnswer,
    responses={**problems(*AUTHED, 409), 200: PROCESSED},
)
async def generate_vid(
    body: VidIn,
    world: CurrentWorld,
    state: State,
    keys: Keys,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Generate the resident's 16-digit VID with the OTP of an OTP request (same `txn`). The
    VID works wherever the number does, replaces the resident's previous VID (515 from then on)
    and expires a year of world time later (517). A refusal answers 200 with `ret` n and `err`
    (400, 402, 403 for the OTP; 998, 514, 515, 517 for the uid)."""
    answer = await vids.generate(state.db, world, body, idempotency_key=idempotency_key)
    return signed_json(answer.model_dump(mode="json", by_alias=True), keys)


@router.get("/vids/{vid}", response_model=VidOut, responses=problems(*AUTHED, 404))
async def get_vid(vid: str, world: CurrentWorld, state: State) -> VidOut:
    """A VID made in your world: its status and expiry (never the number)."""
    found = await vids.get(state.db, world, vid)
    return VidOut(
        vid=found.vid,
        status=vids.status_of(found, world.now_us),
        created_at=iso(found.created_us),
        expires_at=iso(found.expires_us),
        revoked_at=None if found.revoked_us is None else iso(found.revoked_us),
    )


@router.post(
    "/vids/{vid}/revoke",
    response_model=VidAnswer,
    responses={**problems(*AUTHED, 404, 409), 200: PROCESSED},
)
async def revoke_vid(
    vid: str,
    body: VidRevokeIn,
    world: CurrentWorld,
    state: State,
    keys: Keys,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """Revoke a VID with the OTP of an OTP request (asked with the VID or the number, same
    `txn`); it answers 515 from then on. A refusal answers 200 with `ret` n and `err` (400, 402,
    403; 515 already revoked or replaced, 517 expired)."""
    answer = await vids.revoke(state.db, world, vid, body, idempotency_key=idempotency_key)
    return signed_json(answer.model_dump(mode="json", by_alias=True), keys)
