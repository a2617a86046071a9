"""VIDs, JSON rendition: ``POST /v1/identity/vids``, ``GET /v1/identity/vids/{vid}``,
``POST /v1/identity/vids/{vid}/revoke``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from identity.schemas.common import TXN_FIELD, UID_FIELD
from sandbox.kit.schema import InputModel, OutputModel

OTP_FIELD = Field(
    pattern=r"^[0-9]{6}$",
    description="The OTP the resident received for this `txn` (POST /v1/identity/otp, then "
    "GET /v1/sandbox/inbox): it is used up by a successful request.",
    examples=["123456"],
)
VidStatusName = Literal["ACTIVE", "REVOKED", "REPLACED", "EXPIRED"]


class VidIn(InputModel):
    uid: str = UID_FIELD
    txn: str = Field(
        min_length=1,
        max_length=50,
        description="The txn of the OTP request whose OTP is sent in `otp` (402 otherwise).",
        examples=["demo-txn-001"],
    )
    otp: str = OTP_FIELD


class VidRevokeIn(InputModel):
    txn: str = TXN_FIELD
    otp: str = OTP_FIELD


class VidAnswer(OutputModel):
    ret: Literal["y", "n"] = Field(description="y: done; n: see `err`.")
    txn: str = Field(examples=["demo-txn-001"])
    code: str = Field(
        description="The authority's unique code of this answer.",
        examples=["7e9f1c3a2b4d4e6f8a0b1c2d3e4f5a6b"],
    )
    vid: str | None = Field(
        None, description="With ret y: the VID (16 digits).", examples=["2345678901234565"]
    )
    status: VidStatusName | None = Field(None, description="With ret y: the VID's status now.")
    expires_at: str | None = Field(
        None,
        description="With ret y: when the VID expires (world time; 517 after).",
        examples=["2027-11-29T14:03:11.000Z"],
    )
    err: str | None = Field(
        None,
        description="With ret n: 400, 402, 403 (the OTP), 514, 515, 517, 998 (the uid or VID); "
        "see GET /v1/sandbox/magic.",
        examples=["402"],
    )
    actn: str | None = Field(None, description="With err 998: A201.", examples=["A201"])
    hint: str | None = Field(None, description="With ret n: how to get a ret y.")


class VidOut(OutputModel):
    vid: str = Field(examples=["2345678901234565"])
    status: VidStatusName = Field(
        description="ACTIVE (usable as a uid), REVOKED (515), REPLACED by a newer VID of the "
        "resident (515) or EXPIRED (517)."
    )
    created_at: str = Field(description="World time.", examples=["2026-11-29T14:03:11.000Z"])
    expires_at: str = Field(description="World time.", examples=["2027-11-29T14:03:11.000Z"])
    revoked_at: str | None = Field(None, description="When it was revoked or replaced.")
