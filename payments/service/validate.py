"""Checks of a payment request's fields that need no database: each failure names the field and
the rule (``InvalidPaymentField``, UPI U05)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from payments.errors import InvalidPaymentField
from payments.models import TXN_ID, VPA
from sandbox.kit.money import AmountError, format_minor, parse_amount
from sandbox.world.context import WorldContext


def amount_of(world: WorldContext, text: str, field: str = "amount") -> int:
    """A positive amount in the world's currency, in minor units."""
    minor_units = world.country.minor_units
    try:
        value = parse_amount(text, minor_units)
    except AmountError as exc:
        raise InvalidPaymentField(
            field,
            "decimal_amount",
            str(exc),
            hint=f"Send the amount as a string in {world.country.currency}, "
            f'e.g. "{format_minor(10_000, minor_units)}".',
        ) from exc
    if value <= 0:
        raise InvalidPaymentField(
            field, "positive", "must be more than zero", hint="Send a positive amount."
        )
    return value


def check_vpa(vpa: str, field: str) -> str:
    if not VPA.match(vpa):
        raise InvalidPaymentField(
            field,
            "vpa_format",
            f"'{vpa}' is not a VPA (handle@psp)",
            hint="VPAs look like asha@sandbox; GET /v1/sandbox/personas lists yours.",
        )
    return vpa.lower()


def two_parties(payer_vpa: str, payee_vpa: str, *, hint: str) -> tuple[str, str]:
    """``(payer VPA, payee VPA)`` of a request: each well formed, and not the same one."""
    payer_vpa = check_vpa(payer_vpa, "payer.vpa")
    payee_vpa = check_vpa(payee_vpa, "payee.vpa")
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


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def parse_time(text: str, field: str) -> int:
    """An RFC 3339 timestamp (world time) as microseconds since the epoch."""
    hint = 'Send an RFC 3339 time with an offset, e.g. "2035-12-31T23:59:59Z" (world time: GET '
    hint += "/v1/sandbox/clock shows it)."
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise InvalidPaymentField(
            field, "rfc3339", f"'{text[:40]}' is not an RFC 3339 timestamp", hint=hint
        ) from None
    if moment.tzinfo is None:
        raise InvalidPaymentField(field, "rfc3339_offset", "has no UTC offset", hint=hint)
    return (moment - _EPOCH) // timedelta(microseconds=1)
