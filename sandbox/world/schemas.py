"""Wire models of a partner's world: personas, clock, reset."""

from __future__ import annotations

from pydantic import Field

from sandbox.kit.schema import InputModel, OutputModel


class AccountOut(OutputModel):
    number: str = Field(examples=["10000000001"])
    ifsc: str = Field(examples=["SBHB0000001"])
    bank_code: str = Field(examples=["SBHB"])
    bank_name: str
    bank_online: bool
    type: str = Field(examples=["SAVINGS"])
    currency: str = Field(examples=["INR"])
    balance: str = Field(description="Decimal string in the currency's minor digits.")
    status: str = Field(examples=["ACTIVE"])
    vpas: list[str]


class PersonaOut(OutputModel):
    key: str = Field(examples=["asha"])
    purpose: str
    name: str
    name_local: str | None
    uid: str = Field(description="12-digit ID number (Verhoeff check digit).")
    dob: str
    gender: str
    mobile: str | None = Field(description="E.164.")
    mobile_verified: bool
    email: str | None
    language: str
    biometrics_locked: bool
    vpa: str | None
    upi_pin: str | None = Field(description="Documented test PIN (null: PIN not set).")
    aa_handle: str | None
    accounts: list[AccountOut]


class PersonaList(OutputModel):
    country: str
    currency: str
    personas: list[PersonaOut]


class ClockOut(OutputModel):
    now: str = Field(description="World time, RFC 3339 UTC.", examples=["2026-11-28T10:00:00.000Z"])
    offset_seconds: int = Field(description="How far the world runs ahead of real time.")


class ClockAdvance(InputModel):
    seconds: int = Field(
        ge=1,
        le=10 * 366 * 86_400,
        description="How far to move the clock forward.",
        examples=[3600],
    )


class ResetDone(OutputModel):
    reset: bool = True
    residents: int
    clock: ClockOut
