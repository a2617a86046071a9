"""Signed UPI intents and QR codes (NPCI linking spec 1.6): build, read back, publish the key.

- ``build``: a verified merchant of the world is the payee; the link carries the spec's
  parameters (§1.2) and ``sign`` (§1.3), made with the world's merchant key; its QR code comes
  as SVG and PNG.
- ``parse``: reads a link as a payer's PSP app does: every parameter checked against §1.2 (a
  422 names the first bad one), ``sign`` verified against the world's keys, the payee looked up
  in the world, and the fields of the ``POST /v1/upi/pay`` body that pays it.
- ``public_keys``: what a PSP app needs to verify ``sign`` (JWK and PEM).

The world's key is made on first use (``merchant_keys``). Key generation, signing, verification
and QR rendering all run outside units of work; QR rendering (~20 ms) runs in a worker thread
so it never stalls the event loop. A world reset wipes the key: links signed before it no
longer verify, and the next use makes a new key.
"""

from __future__ import annotations

import base64
import io
import secrets
from dataclasses import dataclass
from typing import Any

import anyio.to_thread
import segno
from sqlalchemy.engine import Connection

from payments import intent_keys, intent_link
from payments.errors import InvalidPaymentField
from payments.intent_keys import PublicKey, SigningKey
from payments.models import MAGIC_PAYEES, Party
from payments.schemas.intent import IntentIn
from payments.service.validate import amount_of, check_vpa
from payments.store import PaymentsStore
from sandbox.kit.clock import iso
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext

QR_ERROR = "m"  # error correction level M (15%): what UPI stickers commonly print
QR_SVG_SCALE = 4
QR_PNG_SCALE = 6
QR_BORDER = 4  # the quiet zone the QR standard asks for, in modules


@dataclass(frozen=True, slots=True)
class IntentRequest:
    payee_vpa: str
    amount: str | None
    min_amount: str | None
    note: str | None
    ref_id: str | None
    url: str | None
    mode: str
    purpose: str


# -- keys ------------------------------------------------------------------------------------


async def _create_key(db: Database, world: WorldContext) -> SigningKey:
    """Make the world's key unless a concurrent request already did; returns the signing key."""
    fresh = intent_keys.new_key()  # crypto before the unit, never inside it

    def unit(conn: Connection) -> tuple[str, str]:
        store = PaymentsStore(conn, world.id)
        existing = store.merchant_signing_key()
        if existing is not None:
            return existing
        store.add_merchant_key(fresh.kid, fresh.private_pem, fresh.public_pem, world.now_us)
        return fresh.kid, fresh.private_pem

    kid, pem = await db.write(unit)
    return SigningKey(kid, pem)


async def signing_key(db: Database, world: WorldContext) -> SigningKey:
    row = await db.read(lambda conn: PaymentsStore(conn, world.id).merchant_signing_key())
    if row is None:
        return await _create_key(db, world)
    return SigningKey(*row)


async def public_keys(db: Database, world: WorldContext) -> list[dict[str, Any]]:
    """The world's public keys as JWKs with their PEM (made on first use)."""
    keys = await db.read(lambda conn: PaymentsStore(conn, world.id).merchant_public_keys())
    if not keys:
        await _create_key(db, world)
        keys = await db.read(lambda conn: PaymentsStore(conn, world.id).merchant_public_keys())
    return [
        {**intent_keys.jwk(key), "pem": key.public_pem, "createdAt": iso(key.created_us)}
        for key in keys
    ]


# -- build -----------------------------------------------------------------------------------


def prepare(world: WorldContext, body: IntentIn) -> IntentRequest:
    """Validate what needs no database: the VPA's form, the amounts, their order."""
    request = IntentRequest(
        payee_vpa=check_vpa(body.payee.vpa, "payee.vpa"),
        amount=body.amount,
        min_amount=body.min_amount,
        note=body.note,
        ref_id=body.ref_id,
        url=body.url,
        mode=body.mode,
        purpose=body.purpose,
    )
    amount = amount_of(world, request.amount) if request.amount is not None else None
    least = (
        amount_of(world, request.min_amount, "minAmount")
        if request.min_amount is not None
        else None
    )
    if amount is not None and least is not None and least > amount:
        raise InvalidPaymentField(
            "minAmount",
            "at_most_amount",
            f"{request.min_amount} is more than the amount {request.amount}",
            hint="minAmount (mam) is the least the payer may pay: keep it at or below amount.",
        )
    return request


async def build(db: Database, world: WorldContext, request: IntentRequest) -> dict[str, Any]:
    party = await db.read(lambda conn: PaymentsStore(conn, world.id).party(request.payee_vpa))
    if party is None:
        raise InvalidPaymentField(
            "payee.vpa",
            "exists",
            f"no VPA '{request.payee_vpa}' in your world",
            hint="Signed intents are for your world's verified merchants, e.g. "
            "meeras.kirana@sandbox (GET /v1/sandbox/personas).",
        )
    if not party.is_merchant:
        raise InvalidPaymentField(
            "payee.vpa",
            "verified_merchant",
            f"'{party.vpa}' is not a verified merchant, so it cannot sign an intent",
            hint="Only a verified merchant signs its links (NPCI linking spec 1.3); use "
            "meeras.kirana@sandbox, or pay a person directly with POST /v1/upi/pay.",
        )
    key = await signing_key(db, world)
    ref_id = request.ref_id
    if ref_id is None and request.amount is not None:  # §1.2: tr is mandatory when dynamic
        ref_id = "SBX" + secrets.token_hex(8).upper()
    params = {
        "pa": party.vpa,
        "pn": party.name or party.vpa,
        "am": request.amount or "",
        "mam": request.min_amount or "",
        "cu": world.country.currency,
        "tn": request.note or "",
        "tr": ref_id or "",
        "mc": party.merchant_category or "",
        "url": request.url or "",
        "mode": request.mode,
        "purpose": request.purpose,
        "orgid": intent_link.MERCHANT_ORGID,
    }
    query = intent_link.encode(params)
    link = intent_link.with_signature(query, intent_keys.sign(key, query))
    svg, png = await anyio.to_thread.run_sync(qr_images, link)
    return {
        "link": link,
        "signed": True,
        "keyId": key.kid,
        "algorithm": intent_keys.ALGORITHM,
        "signedText": query,
        "params": {k: v for k, v in params.items() if v},
        "qr": {"svg": svg, "pngBase64": png},
    }


def qr_images(link: str) -> tuple[str, str]:
    """The link's QR code as an SVG document and a base64 PNG (the same symbol)."""
    code = segno.make(link, error=QR_ERROR, micro=False)
    svg = io.BytesIO()
    code.save(svg, kind="svg", scale=QR_SVG_SCALE, border=QR_BORDER, xmldecl=False)
    png = io.BytesIO()
    code.save(png, kind="png", scale=QR_PNG_SCALE, border=QR_BORDER)
    return svg.getvalue().decode(), base64.b64encode(png.getvalue()).decode()


# -- parse -----------------------------------------------------------------------------------


async def parse(db: Database, world: WorldContext, text: str) -> dict[str, Any]:
    link = intent_link.split(text)
    amounts = intent_link.check(
        link, currency=world.country.currency, minor_units=world.country.minor_units
    )
    p = link.params
    payee_vpa = p["pa"].lower()

    def unit(conn: Connection) -> tuple[Party | None, list[PublicKey]]:
        store = PaymentsStore(conn, world.id)
        return store.party(payee_vpa), store.merchant_public_keys()

    party, keys = await db.read(unit)
    signature_valid, key_id, hint = _verify(link, keys)
    if party is not None:
        payee = {
            "vpa": party.vpa,
            "exists": True,
            "name": party.name,
            "nameMatches": party.name == p["pn"],
            "verifiedMerchant": party.is_merchant,
        }
    else:
        magic = payee_vpa in MAGIC_PAYEES
        payee = {"vpa": payee_vpa, "exists": magic, "name": None, "nameMatches": False}
        if not magic:
            hint += f" Note: {payee_vpa} is not a VPA of your world; paying it fails with ZH."
    am, mam = amounts["am"], amounts["mam"]
    return {
        "valid": True,
        "signed": link.sign is not None,
        "signatureValid": signature_valid,
        "keyId": key_id,
        "hint": hint,
        "params": p,
        "mode": intent_link.MODES.get(p.get("mode", "00")),
        "amount": world.money(am) if am is not None else None,
        "minAmount": world.money(mam) if mam is not None else None,
        "currency": world.country.currency,
        "payee": payee,
        "payment": {
            "payee": {"vpa": payee_vpa},
            "amount": world.money(am) if am is not None else None,
            "note": p.get("tn"),
            "refId": p.get("tr"),
            "txnId": p.get("tid"),
        },
    }


def _verify(link: intent_link.Link, keys: list[PublicKey]) -> tuple[bool, str | None, str]:
    pay = "Pay it with POST /v1/upi/pay: the `payment` fields plus the payer."
    if link.sign is None:
        secure = link.params.get("mode") in intent_link.SIGNED_MODES
        return (
            False,
            None,
            "The link is not signed"
            + (" although its mode promises a signed link" if secure else "")
            + ": a PSP app treats it as an unverified request. POST /v1/upi/intents "
            "builds a signed one. " + pay,
        )
    signature = intent_link.signature_bytes(link.sign)
    for key in keys:
        if intent_keys.verify(key, link.signed_text, signature):
            return True, key.kid, f"The signature verifies with key {key.kid}. " + pay
    if not keys:
        return (
            False,
            None,
            "Your world has no merchant key yet, so this link was signed elsewhere (another "
            "partner's world, or before a reset). Build links with POST /v1/upi/intents.",
        )
    return (
        False,
        None,
        "The signature does not match this link: a parameter was changed after signing, or "
        "another world's key signed it. Send the link exactly as POST /v1/upi/intents answered "
        "it; GET /v1/upi/intents/keys lists the keys that can verify it.",
    )
