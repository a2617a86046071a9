"""A persona's biometric records, the sandbox's stand-in for a finger on a scanner."""

from __future__ import annotations

import base64

from fastapi import APIRouter, Path

from identity.schemas.biometrics import BiometricsOut, BioRecordOut
from identity.service.biometrics import persona_biometrics
from sandbox.deps import CurrentWorld
from sandbox.kit.responses import AUTHED, problems

router = APIRouter(prefix="/v1/sandbox", tags=["identity"])

NOTE = (
    "Opaque sandbox records with an ISO-like header (FMR, FIR, IIR, FAC), derived for your "
    "world: not real minutiae or images. The sandbox's matcher is exact: a Bio matches when its "
    "bytes equal the record of its type and posh (posh UNKNOWN: any finger)."
)


@router.get(
    "/personas/{key}/biometrics",
    response_model=BiometricsOut,
    responses=problems(*AUTHED, 404),
)
async def get_persona_biometrics(
    world: CurrentWorld,
    key: str = Path(
        max_length=32, description="A persona key (asha, kabir...).", examples=["asha"]
    ),
) -> BiometricsOut:
    """The persona's biometric records in your world (another partner's world has others):
    send one as a `Bio` of the PID with `uses.bio` "y" and its type in `uses.bt`, or let
    `sandbox rd-service` capture it for you."""
    found = persona_biometrics(world, key)
    return BiometricsOut(
        key=found.persona.key,
        uid=found.persona.uid,
        biometrics_locked=found.persona.biometrics_locked,
        note=NOTE,
        records=[
            BioRecordOut(type=r.type, posh=r.posh, value=base64.b64encode(r.data).decode("ascii"))
            for r in found.records
        ],
    )
