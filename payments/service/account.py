"""Account services at the payer's bank: balance enquiry (ReqBalEnq) and set/change the UPI PIN
(ReqSetCre).

Both count wrong PINs exactly like a payment (``decide.check_pin``: ZM, then Z6 on the third
wrong try until the next world day; AM when no PIN is set), because the bank keeps one counter
per PIN whatever the request. A decline is processed, not an error: it answers 200 with its code.

ReqSetCre in UPI changes a PIN with the old one, or sets one (first time, or forgotten) after
the last six digits and expiry of the debit card and an OTP from the issuer bank. The sandbox
asks only for the OTP, which is always ``PIN_SET_OTP`` ("123456"); any other gives ZR.
"""

from __future__ import annotations

import hmac
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from payments.errors import InvalidPaymentField
from payments.models import CODES, MAGIC_PAYER_VPA_NO_ACCOUNT, PIN_SET_OTP, Decline, Party
from payments.schemas.account import BalanceIn, PinIn
from payments.service.decide import check_pin
from payments.service.validate import check_vpa
from payments.store import PaymentsStore
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext


def _answer(vpa: str, code: str, detail: str | None = None, **extra: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "vpa": vpa,
        "responseCode": code,
        "message": CODES[code].meaning,
        "detail": detail,
        **extra,
    }
    if code != "00":
        body["hint"] = CODES[code].hint
    return body


def _reach(store: PaymentsStore, vpa: str) -> Party | Decline:
    """The party behind ``vpa`` at a reachable bank, or why not."""
    party = store.party(vpa)
    if party is None:
        if vpa == MAGIC_PAYER_VPA_NO_ACCOUNT:
            return Decline("XH", f"{vpa} is linked to a closed account")
        return Decline("ZH", f"{vpa} does not exist in this world")
    if not party.bank_online:
        return Decline("XY", f"the bank of {vpa} is offline")
    if party.account_number is None:
        return Decline("XH", f"{vpa} is not linked to an account")
    return party


# -- ReqBalEnq -----------------------------------------------------------------------------------


async def balance(db: Database, world: WorldContext, body: BalanceIn) -> dict[str, Any]:
    """The balance behind the VPA (queued credits included), after the PIN check."""
    address = check_vpa(body.vpa, "vpa")
    candidate = world.pin_hash(address, body.pin)  # crypto off the unit of work
    currency = world.country.currency

    def unit(conn: Connection) -> dict[str, Any]:
        store = PaymentsStore(conn, world.id)
        party = _reach(store, address)
        if isinstance(party, Decline):
            return _answer(address, *party, currency=currency)
        declined = check_pin(store, world, party, candidate)  # counts tries like a payment
        if declined is not None:
            return _answer(address, *declined, currency=currency)
        assert party.account_number is not None
        amount = store.balance(party.account_number)
        assert amount is not None
        return _answer(address, "00", balance=world.money(amount), currency=currency)

    return await db.write(unit)  # a write: wrong PINs are counted


# -- ReqSetCre -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PinCommand:
    vpa: str
    new_hash: str
    old_hash: str | None
    otp: str | None


def prepare_pin(world: WorldContext, body: PinIn) -> PinCommand:
    """Validate and hash off the unit of work."""
    vpa = check_vpa(body.vpa, "vpa")
    new_pin, old_pin, otp = body.new_pin, body.old_pin, body.otp
    if old_pin is not None and otp is not None:
        raise InvalidPaymentField(
            "otp",
            "one_of_old_pin_or_otp",
            "send oldPin to change a PIN or otp to set a first one, not both",
            hint="Drop otp when changing a PIN; drop oldPin when setting the first one.",
        )
    if old_pin is not None and old_pin == new_pin:
        raise InvalidPaymentField(
            "newPin",
            "differs_from_old_pin",
            "is the same as oldPin",
            hint="Choose a new PIN different from the current one.",
        )
    return PinCommand(
        vpa=vpa,
        new_hash=world.pin_hash(vpa, new_pin),
        old_hash=None if old_pin is None else world.pin_hash(vpa, old_pin),
        otp=otp,
    )


async def set_pin(db: Database, world: WorldContext, cmd: PinCommand) -> dict[str, Any]:
    """Change the PIN (old PIN checked) or set a first one (OTP checked)."""

    def unit(conn: Connection) -> dict[str, Any]:
        store = PaymentsStore(conn, world.id)
        party = _reach(store, cmd.vpa)
        if isinstance(party, Decline):
            return _answer(cmd.vpa, *party)
        if party.pin_hash is None:
            declined = _check_otp(cmd)
            done = "UPI PIN set; pay with it from now on"
        else:
            declined = _check_old_pin(store, world, party, cmd)
            done = "UPI PIN changed; the old PIN no longer works"
        if declined is not None:
            return _answer(cmd.vpa, *declined)
        store.set_pin_hash(party.vpa, cmd.new_hash)
        return _answer(cmd.vpa, "00", done)

    return await db.write(unit)


def _check_otp(cmd: PinCommand) -> Decline | None:
    if cmd.otp is None:
        raise InvalidPaymentField(
            "otp",
            "required_to_set",
            f"{cmd.vpa} has no UPI PIN yet, so there is no old PIN: setting the first one "
            "needs the issuer bank's OTP",
            hint=f'Send "otp": "{PIN_SET_OTP}" (the sandbox OTP) with newPin, and no oldPin.',
        )
    if not hmac.compare_digest(cmd.otp, PIN_SET_OTP):
        return Decline("ZR", "the OTP does not match the one the issuer bank sent; no PIN was set")
    return None


def _check_old_pin(
    store: PaymentsStore, world: WorldContext, party: Party, cmd: PinCommand
) -> Decline | None:
    if cmd.old_hash is None:
        raise InvalidPaymentField(
            "oldPin",
            "required_to_change",
            f"{cmd.vpa} already has a UPI PIN: changing it needs the current one",
            hint="Send oldPin (the persona's documented PIN, GET /v1/sandbox/personas) with "
            "newPin; otp is only for setting a first PIN.",
        )
    return check_pin(store, world, party, cmd.old_hash)
