"""The partner's audit trail of authentications: ``GET /v1/identity/auth-records``."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from sandbox.kit.schema import OutputModel


class AuthRecordOut(OutputModel):
    code: str = Field(
        description="The answer's `code` (and this record's id).",
        examples=["7e9f1c3a2b4d4e6f8a0b1c2d3e4f5a6b"],
    )
    txn: str = Field(examples=["demo-txn-001"])
    ret: Literal["y", "n"]
    err: str | None = Field(None, examples=["100"])
    actn: str | None = None
    uid: str = Field(
        description="The number, masked to its last 4 digits.", examples=["XXXXXXXX0019"]
    )
    uid_token: str | None = Field(
        description="Your UID token of the resident (null when the number was unknown)."
    )
    uses: dict[str, str] = Field(examples=[{"pi": "y", "pa": "n", "otp": "y"}])
    easy_path: bool = Field(description="Whether the PID came as plain JSON (`pid`).")
    pid_ts: str | None = Field(None, description="The PID's ts, when it could be read.")
    authenticated_at: str = Field(description="World time.", examples=["2026-11-29T14:03:11.000Z"])


class AuthRecordList(OutputModel):
    records: list[AuthRecordOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")
