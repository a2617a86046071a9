"""OTP API 2.5, JSON rendition: ``POST /v1/identity/otp``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from identity.schemas.common import TXN_FIELD, UID_FIELD
from sandbox.kit.schema import InputModel, OutputModel


class OtpIn(InputModel):
    uid: str = UID_FIELD
    txn: str = TXN_FIELD
    channel: Literal["00", "01", "02"] = Field(
        "00",
        description="00: SMS and e-mail; 01: SMS only; 02: e-mail only (OTP API 2.5 `ch`).",
        examples=["01"],
    )


class OtpOut(OutputModel):
    ret: Literal["y", "n"] = Field(description="y: the OTP was sent; n: see `err`.")
    txn: str = Field(examples=["demo-txn-001"])
    code: str = Field(
        description="The authority's unique code of this answer.",
        examples=["7e9f1c3a2b4d4e6f8a0b1c2d3e4f5a6b"],
    )
    err: str | None = Field(
        None,
        description="With ret n: 110, 111, 112 (no verified mobile or e-mail), 952 (too soon), "
        "998 (number unknown), 514/515/517 (UID token, VID); see GET /v1/sandbox/magic.",
        examples=["111"],
    )
    actn: str | None = Field(None, description="With err 998: A201.", examples=["A201"])
    hint: str | None = Field(None, description="With ret n: how to get a ret y.")
    masked_mobile: str | None = Field(
        None, description="Where the SMS went, masked.", examples=["XXXXXX0001"]
    )
    masked_email: str | None = Field(
        None, description="Where the e-mail went, masked.", examples=["aXXXXXXXa@example.com"]
    )
