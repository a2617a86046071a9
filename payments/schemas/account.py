"""Wire models of the account services: balance enquiry (ReqBalEnq) and set/change PIN
(ReqSetCre). A declined request is processed, not an error: 200 with its ``responseCode``."""

from __future__ import annotations

from pydantic import Field

from sandbox.kit.schema import InputModel, OutputModel
from sandbox.kit.wire import Pin, Vpa


class BalanceIn(InputModel):
    vpa: Vpa = Field(examples=["asha@sandbox"])
    pin: Pin = Field(description="The UPI PIN of the VPA (4 or 6 digits).")


class BalanceOut(OutputModel):
    vpa: str = Field(examples=["asha@sandbox"])
    balance: str | None = Field(
        None,
        description="Available balance (queued credits included); absent when declined.",
        examples=["1000000.00"],
    )
    currency: str = Field(examples=["INR"])
    response_code: str = Field(description="00, or why the bank declined.", examples=["00"])
    message: str = Field(examples=["Success"])
    detail: str | None = None
    hint: str | None = None


class PinIn(InputModel):
    """Change a PIN with ``oldPin``; set a first one (no PIN yet) with the issuer's ``otp``."""

    vpa: Vpa = Field(examples=["arjun@sandbox"])
    new_pin: Pin = Field(description="The new UPI PIN: 4 or 6 digits.", examples=["2580"])
    old_pin: Pin | None = Field(
        None,
        description="The current UPI PIN: required to change a PIN that is set.",
    )
    otp: str | None = Field(
        None,
        pattern=r"^[0-9]{6}$",
        description="Setting a first PIN (none set yet, e.g. arjun@sandbox) needs the OTP the "
        'issuer bank sends after the debit-card check; in the sandbox it is always "123456".',
        examples=["123456"],
    )


class PinOut(OutputModel):
    vpa: str = Field(examples=["arjun@sandbox"])
    response_code: str = Field(examples=["00"])
    message: str = Field(examples=["Success"])
    detail: str | None = Field(None, examples=["UPI PIN set"])
    hint: str | None = None
