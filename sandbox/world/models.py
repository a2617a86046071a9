"""What a partner sees of its world: personas with their accounts, and the clock."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class AccountView:
    number: str
    ifsc: str
    bank_code: str
    bank_name: str
    bank_online: bool
    type: str
    currency: str
    balance: str
    status: str
    vpas: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class PersonaView:
    key: str
    purpose: str
    name: str
    name_local: str | None
    uid: str
    dob: str
    gender: str
    mobile: str | None
    mobile_verified: bool
    email: str | None
    language: str
    biometrics_locked: bool
    vpa: str | None
    upi_pin: str | None
    aa_handle: str | None
    accounts: tuple[AccountView, ...]


@dataclass(frozen=True, slots=True)
class ClockView:
    now_us: int
    offset_us: int
