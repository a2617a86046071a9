"""``WorldContext``: what every use case needs to know about the caller's world, captured once
per request (partner, country profile, the keyed-hash secret, and the world's time).

Routes get it from the ``CurrentWorld`` dependency (``sandbox.deps``); jobs build it with
``WorldContext.of(partner, secret_key, clock)``. Every domain reads world time from here, never
from the machine: OTP and consent expiry, DataLife, collects and mandates all move when a
partner advances its world's clock.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from sandbox.kit.clock import SYSTEM_CLOCK, Clock
from sandbox.kit.money import format_minor
from sandbox.kit.secrets import pin_hash
from sandbox.partners.models import Partner
from sandbox.population.countries import CountryProfile, get_country

# json.dumps(sort_keys=True, separators=(",", ":")) builds an encoder per call (every payment
# fingerprints its body); one encoder with those arguments writes the same text
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True, slots=True)
class WorldContext:
    partner: Partner
    country: CountryProfile
    secret_key: str
    real_us: int  # the machine's time when the request arrived (delivery schedules use it)
    now_us: int  # the world's time then: real time plus the world's clock offset

    @classmethod
    def of(cls, partner: Partner, secret_key: str, clock: Clock = SYSTEM_CLOCK) -> WorldContext:
        real = clock.now_us()
        return cls(
            partner, get_country(partner.country), secret_key, real, real + partner.clock_offset_us
        )

    @property
    def id(self) -> str:
        return self.partner.world_id

    def money(self, amount: int) -> str:
        """``amount`` (minor units) as the wire writes it in this world's currency."""
        return format_minor(amount, self.country.minor_units)

    def pin_hash(self, vpa: str, pin: str) -> str:
        return pin_hash(self.secret_key, self.id, vpa, pin)

    def fingerprint(self, op: str, body: dict[str, Any]) -> str:
        """A keyed hash of an operation and its request body (which may hold a PIN or an OTP),
        for idempotency: the same key sent to another operation, or with another body, is a
        different request."""
        canonical = _CANONICAL.encode({"op": op, "body": body})
        return hmac.new(self.secret_key.encode(), canonical.encode(), hashlib.sha256).hexdigest()
