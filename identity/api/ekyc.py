"""eKYC API 2.5, JSON rendition (the XML ``<Kyc>`` wire format is in ``identity.api.uidai``)."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.api.auth import EASY_PATH_HEADER, SIGNATURE_DOC
from identity.api.common import IdempotencyKey
from identity.schemas.ekyc import EkycIn, EkycOut
from identity.service import ekyc as service
from identity.service import prepare
from identity.service.keys import auth_key
from sandbox.deps import CurrentWorld, Keys, State
from sandbox.keys.api import signed_json
from sandbox.keys.jws import HEADER as JWS_HEADER
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/identity", tags=["identity"])


@router.post(
    "/ekyc",
    response_model=EkycOut,
    responses={
        **problems(*AUTHED, 409),
        200: {
            "description": "Processed: `ret` y with `uidData`, or n with `err`. The easy path "
            f"adds the header `{EASY_PATH_HEADER}: plain-pid`.",
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
async def ekyc(
    body: EkycIn,
    world: CurrentWorld,
    state: State,
    keys: Keys,
    idempotency_key: IdempotencyKey = None,
) -> Response:
    """eKYC (eKYC API 2.5): the auth request of POST /v1/identity/auth (encrypted PID, or `pid`
    on the easy path) with `ra` (the factors used, in `uses`), `lr`, `de` and `pfr`; the PID
    carries `wadh` = base64(SHA-256(ver+ra+rc+lr+de+pfr)), e.g. of "2.5OYNNN". On `ret` y the
    answer has the resident's `uidData` (number, Poi, Poa, local-language data with `lr` Y, a
    JPEG photo) and `txn` in the "UKC:" namespace. The answer is signed (`x-jws-signature`);
    once you registered an encryption certificate (POST /v1/partners/me/certificates with
    `use` "encryption") and with `de` "N", `uidData` is a compact JWE to its key (RSA-OAEP-256,
    A256GCM), whose plaintext is the object described here."""
    key = None if body.pid is not None else await auth_key(state.settings.data_dir, state.clock)
    prepared = await prepare.prepare(world, body, key)
    answer = await service.ekyc(state.db, world, body, prepared, idempotency_key=idempotency_key)
    answer = await service.encrypt_for_kua(state.db, world, body, answer)
    headers = {EASY_PATH_HEADER: "plain-pid"} if prepared.easy_path else None
    return signed_json(answer.model_dump(mode="json", by_alias=True), keys, headers=headers)
