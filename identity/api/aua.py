"""The AUA's signing certificate for the XML wire format."""

from __future__ import annotations

from fastapi import APIRouter

from identity.schemas.aua import CertificateIn, CertificateOut
from identity.service import xml
from sandbox.deps import CurrentWorld, State
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/partners/me", tags=["identity XML"])


@router.post(
    "/certificates",
    status_code=201,
    response_model=CertificateOut,
    responses=problems(*AUTHED),
)
async def register_certificate(
    body: CertificateIn, world: CurrentWorld, state: State
) -> CertificateOut:
    """Register your AUA signing certificate (X.509 PEM; replaces any earlier one). From then
    on every XML request (`/uidai/...`) must carry an enveloped XML signature (rsa-sha256 or
    rsa-sha1) by its key: unsigned or not verifying 569; another certificate in the signature's
    X509Data, or this one expired in world time, 570. JSON routes are not affected."""
    return await xml.register_certificate(state.db, world, body.certificate)
