"""Wire models of the inbox."""

from __future__ import annotations

from pydantic import Field

from sandbox.kit.schema import OutputModel


class MessageOut(OutputModel):
    id: str = Field(examples=["msg_0a1b2c3d4e5f6g7h8i9j"])
    to: str = Field(
        description="The mobile number (E.164) or e-mail address it was sent to.",
        examples=["+919876500001"],
    )
    channel: str = Field(description="sms or email.", examples=["sms"])
    subject: str = Field(examples=["Aadhaar OTP"])
    body: str = Field(
        examples=[
            "482913 is the OTP for Aadhaar authentication (txn demo-txn-001) of XXXXXXXX0019. "
            "Valid for 10 minutes. Do not share it."
        ]
    )
    sent_at: str = Field(description="World time.", examples=["2026-11-29T14:03:11.000Z"])


class MessageList(OutputModel):
    messages: list[MessageOut]
    next_cursor: str | None = Field(description="Pass as `cursor` for the next (older) page.")
