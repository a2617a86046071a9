"""A partner (team, integrator, pilot): its record and the caller of a request. No I/O here."""

from __future__ import annotations

from dataclasses import dataclass

DEFAULT_WORLD_SEED = 2026


@dataclass(frozen=True, slots=True)
class Partner:
    id: str
    name: str
    contact_email: str
    webhook_url: str | None
    webhook_secret: str
    country: str
    world_seed: int
    world_residents: int
    clock_offset_us: int
    created_us: int
    fixed_otp: bool = False
    """Every OTP of this partner's world is 123456 (``PATCH /v1/partners/me``), for automation."""

    @property
    def world_id(self) -> str:
        """A partner owns exactly one world, named by the partner's id."""
        return self.id


@dataclass(frozen=True, slots=True)
class Caller:
    """An authenticated request: the partner and the key it used."""

    partner: Partner
    key_id: str
