"""The partner's certificates: the AUA's signing certificate for the XML wire format, the KUA's
encryption certificate for eKYC answers."""

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
    """Register a certificate (X.509 PEM; replaces any earlier one of the same `use`).

    `use` "signature" (the default), your AUA signing certificate: from then on every XML
    request (`/uidai/...`) must carry an enveloped XML signature (rsa-sha256 or rsa-sha1) by its
    key: unsigned or not verifying 569; another certificate in the signature's X509Data, or this
    one expired in world time, 570. JSON routes are not affected.

    `use` "encryption", your KUA encryption certificate (RSA-2048): from then on eKYC answers
    with `de` "N" carry the resident's data encrypted to its key: `uidData` as a JWE
    (RSA-OAEP-256, A256GCM) on POST /v1/identity/ekyc, the whole signed `<KycRes>` in the eKYC
    2.5 kycRes envelope (`ko="KUA"`) on `/uidai/kyc/2.5/...`."""
    return await xml.register_certificate(state.db, world, body.certificate, body.use)
