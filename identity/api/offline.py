"""Offline eKYC (paperless): the resident's signed XML in a zip, and a check of such a file."""

from __future__ import annotations

from fastapi import APIRouter, Response

from identity.schemas.offline import OfflineEkycIn, OfflineVerifyIn, OfflineVerifyOut
from identity.service import offline
from sandbox.deps import CurrentWorld, State
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/identity", tags=["identity"])

ZIP = {
    "description": "The zip (AES-256, password: the share code) holding "
    "`offlineaadhaar<yyyyMMddHHmmssSSS>.xml`, the signed `OfflinePaperlessKyc`.",
    "content": {"application/zip": {"schema": {"type": "string", "format": "binary"}}},
    "headers": {
        "Content-Disposition": {
            "description": 'attachment; filename="offlineaadhaar<yyyyMMddHHmmssSSS>.zip"',
            "schema": {"type": "string"},
        }
    },
}


@router.post(
    "/offline-ekyc",
    response_class=Response,
    responses={**problems(*AUTHED, 400), 200: ZIP},
)
async def generate_offline_ekyc(body: OfflineEkycIn, world: CurrentWorld, state: State) -> Response:
    """The resident's offline eKYC file, after an OTP request for the same `uid` and `txn`: a
    zip protected by `shareCode` (AES-256; 7-Zip, WinZip or macOS open it, `unzip` does not)
    holding the `OfflinePaperlessKyc` XML with an enveloped XML signature by the sandbox's
    certificate (GET /v1/identity/certificate). A refused OTP is a 400 problem with `err` 400
    (wrong), 402 (txn) or 403 (used, expired, none); an unknown uid 998, 514, 515 or 517. Not
    idempotent: a retry needs a new OTP. Emits `identity.offline_ekyc.generated`."""
    made = await offline.generate(
        state.db, world, body, data_dir=state.settings.data_dir, clock=state.clock
    )
    return Response(
        made.content,
        media_type="application/zip",
        headers={"Content-Disposition": f'attachment; filename="{made.filename}"'},
    )


@router.post(
    "/offline-ekyc/verify",
    response_model=OfflineVerifyOut,
    responses=problems(*AUTHED),
)
async def verify_offline_ekyc(
    body: OfflineVerifyIn, state: State, world: CurrentWorld
) -> OfflineVerifyOut:
    """Open an offline eKYC zip (base64 in `file`) with its share code, check the XML signature
    against the sandbox's certificate and, given `mobile` and/or `email`, whether they hash to
    the file's `m` and `e`. An altered file answers `signatureValid` false; a share code that
    does not open the zip, or an upload that is no such zip, is a 422 naming the field."""
    del world  # the caller must be a partner; the check itself is the same in every world
    return await offline.verify(body, data_dir=state.settings.data_dir, clock=state.clock)
