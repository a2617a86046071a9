"""What every payment use case needs to know about the caller's world, captured once."""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from typing import Any

from payments.errors import InvalidPaymentField
from payments.models import TXN_ID, VPA
from sandbox.kit.money import AmountError, format_minor, parse_amount
from sandbox.kit.secrets import pin_hash
from sandbox.partners.models import Partner
from sandbox.population.countries import CountryProfile, get_country


@dataclass(frozen=True, slots=True)
class World:
    partner: Partner
    country: CountryProfile
    secret_key: str
    now_us: int  # world time when the request arrived

    @classmethod
    def of(cls, partner: Partner, secret_key: str) -> World:
        return cls(partner, get_country(partner.country), secret_key, partner.clock.now_us())

    @property
    def id(self) -> str:
        return self.partner.world_id

    def money(self, amount: int) -> str:
        return format_minor(amount, self.country.minor_units)

    def amount(self, text: str, field: str = "amount") -> int:
        try:
            value = parse_amount(text, self.country.minor_units)
        except AmountError as exc:
            raise InvalidPaymentField(
                field,
                "decimal_amount",
                str(exc),
                hint=f"Send the amount as a string in {self.country.currency}, "
                f'e.g. "{format_minor(10_000, self.country.minor_units)}".',
            ) from exc
        if value <= 0:
            raise InvalidPaymentField(
                field, "positive", "must be more than zero", hint="Send a positive amount."
            )
        return value

    def pin_hash(self, vpa: str, pin: str) -> str:
        return pin_hash(self.secret_key, self.id, vpa, pin)

    def fingerprint(self, body: dict[str, Any]) -> str:
        """A keyed hash of a request body (it may hold a PIN), for idempotency checks."""
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":")).encode()
        return hmac.new(self.secret_key.encode(), canonical, hashlib.sha256).hexdigest()


def check_vpa(vpa: str, field: str) -> str:
    if not VPA.match(vpa):
        raise InvalidPaymentField(
            field,
            "vpa_format",
            f"'{vpa}' is not a VPA (handle@psp)",
            hint="VPAs look like asha@sandbox; GET /v1/sandbox/personas lists yours.",
        )
    return vpa.lower()


def two_parties(body: dict[str, Any], *, hint: str) -> tuple[str, str]:
    """``(payer VPA, payee VPA)`` of a request body: each well formed, and not the same one."""
    payer_vpa = check_vpa(body["payer"]["vpa"], "payer.vpa")
    payee_vpa = check_vpa(body["payee"]["vpa"], "payee.vpa")
    if payer_vpa == payee_vpa:
        raise InvalidPaymentField(
            "payee.vpa", "differs_from_payer", "payer and payee are the same VPA", hint=hint
        )
    return payer_vpa, payee_vpa


def check_txn_id(txn_id: str, field: str = "txnId") -> str:
    if not TXN_ID.match(txn_id):
        raise InvalidPaymentField(
            field,
            "txn_id_format",
            f"must be exactly 35 letters or digits; got {len(txn_id)} characters",
            hint="Omit txnId to let the switch make one, or send 35 alphanumerics.",
        )
    return txn_id
