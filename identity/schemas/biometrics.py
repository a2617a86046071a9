"""A persona's biometric records: ``GET /v1/sandbox/personas/{key}/biometrics``."""

from __future__ import annotations

from pydantic import Field

from identity.models import BioType
from sandbox.kit.schema import OutputModel


class BioRecordOut(OutputModel):
    type: BioType = Field(
        description="FMR fingerprint minutiae, FIR fingerprint image, IIR iris, FID face."
    )
    posh: str = Field(description="The position (Auth API 2.5 posh).", examples=["LEFT_INDEX"])
    value: str = Field(
        description="base64 of the record: send it as the Bio's value (XML text or JSON value)."
    )


class BiometricsOut(OutputModel):
    key: str = Field(examples=["asha"])
    uid: str = Field(examples=["999999990019"])
    biometrics_locked: bool = Field(
        description="True for kabir: any Bio answers 330, before matching."
    )
    note: str = Field(
        description="What the records are (and are not).",
        examples=["Opaque sandbox records, not real minutiae or images; matched exactly."],
    )
    records: list[BioRecordOut] = Field(
        description="10 fingers (FMR and FIR each), 2 irises (IIR), the face (FID)."
    )
