"""The authority's auth certificate, which AUAs encrypt session keys under."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response

from identity.keys import certificate_ci
from identity.schemas.certificate import PEM_EXAMPLE, CertificateOut
from identity.service.keys import auth_key
from sandbox.deps import State
from sandbox.kit.clock import iso

router = APIRouter(prefix="/v1/identity", tags=["identity"])

PEM_TYPES = ("application/x-pem-file", "text/plain")
CI_HEADER = "X-Sandbox-Ci"


@router.get(
    "/certificate",
    response_model=CertificateOut,
    responses={
        200: {
            "description": "JSON by default; the bare PEM for `Accept: application/x-pem-file` "
            f"or `text/plain`, with its ci in `{CI_HEADER}`.",
            "content": {
                "application/x-pem-file": {
                    "schema": {"type": "string"},
                    "example": PEM_EXAMPLE,
                },
                "text/plain": {"schema": {"type": "string"}, "example": PEM_EXAMPLE},
            },
            "headers": {
                CI_HEADER: {
                    "description": "The certificate's ci (YYYYMMDD), on the PEM answers.",
                    "schema": {"type": "string"},
                }
            },
        }
    },
)
async def get_certificate(request: Request, state: State) -> CertificateOut | Response:
    """The sandbox's Auth 2.5 encryption certificate (X.509, RSA-2048) and its `ci`: encrypt
    each session key under it and send `ci` in `skey.ci`. The same for every partner."""
    key = await auth_key(state.settings.data_dir, state.clock)
    ci = certificate_ci(key.certificate)
    accept = request.headers.get("accept", "")
    wanted = next((t for t in PEM_TYPES if t in accept), None)
    if wanted is not None and "application/json" not in accept:
        return Response(key.certificate_pem(), media_type=wanted, headers={CI_HEADER: ci})
    return CertificateOut(
        ci=ci,
        not_after=iso(int(key.certificate.not_valid_after_utc.timestamp() * 1_000_000)),
        certificate=key.certificate_pem().decode("ascii"),
    )
