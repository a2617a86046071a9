"""Offline eKYC (paperless), JSON side: ``POST /v1/identity/offline-ekyc`` (answers a zip) and
``POST /v1/identity/offline-ekyc/verify``."""

from __future__ import annotations

from pydantic import Field

from identity.schemas.common import UID_FIELD
from identity.schemas.vids import OTP_FIELD
from sandbox.kit.schema import InputModel, OutputModel
from sandbox.kit.wire import Base64

SHARE_CODE_FIELD = Field(
    pattern=r"^[0-9]{4}$",
    description="The resident's 4-digit share code: the zip's password, and part of the "
    "mobile hash `m`.",
    examples=["1234"],
)


class OfflineEkycIn(InputModel):
    uid: str = UID_FIELD
    txn: str = Field(
        min_length=1,
        max_length=50,
        description="The txn of the OTP request whose OTP is sent in `otp` (402 otherwise).",
        examples=["demo-txn-001"],
    )
    otp: str = OTP_FIELD
    share_code: str = SHARE_CODE_FIELD


class OfflineVerifyIn(InputModel):
    file: Base64 = Field(
        min_length=4,
        max_length=2_000_000,
        description="The offline eKYC zip, base64 (standard alphabet; line breaks allowed "
        "between 4-character groups).",
        examples=["UEsDBDMAAQBjAA=="],
    )
    share_code: str = SHARE_CODE_FIELD
    mobile: str | None = Field(
        None,
        pattern=r"^\+?[0-9]{10,13}$",
        description="A mobile number to check against `m` (10 digits, or with +91).",
        examples=["9876500001"],
    )
    email: str | None = Field(
        None,
        min_length=3,
        max_length=254,
        description="An e-mail address to check against `e`.",
        examples=["asha.verma@example.com"],
    )


class OfflineVerifyOut(OutputModel):
    signature_valid: bool = Field(
        description="The enveloped XML signature holds under the sandbox's certificate "
        "(GET /v1/identity/certificate). False: the file was altered or signed by someone else."
    )
    mobile_matches: bool | None = Field(
        None, description="With `mobile`: whether it hashes (with the share code) to `m`."
    )
    email_matches: bool | None = Field(None, description="With `email`: whether it hashes to `e`.")
    reference_id: str = Field(
        description="The file's referenceId: the number's last 4 digits and when it was made.",
        examples=["00192026112921303144"],
    )
    name: str = Field(description="Poi name as the file says.", examples=["Asha Verma"])
