"""OTP API 2.5: send a fresh OTP to a resident's verified mobile and/or e-mail (the world inbox).

Channels and the codes of residents who cannot get one (``shared/reference/aadhaar.md``, "OTP
API"): 01 (SMS) needs a verified mobile, else 111; 00 (SMS and e-mail) needs both, else 110
(ask on the channel the resident has); 02 (e-mail) needs an e-mail, else 110; a resident with
neither gets 112 on any channel. A number gets one OTP per 30 s of world time (952 says when to
ask again). The OTP is 6 random digits (123456 for a partner with ``fixedOtp``), stored as a
keyed hash, valid 10 minutes of world time; the newest OTP of a number is the one an OTP
authentication (or a VID generation or revocation) is checked against. ``uid`` may be the number,
a VID or a UID token: the OTP is stored under the number it resolves to, so an OTP asked with a
VID can be used with the number and the other way round.

Every processed request answers 200 with ``ret``; ``Idempotency-Key`` makes a retry replay the
first answer instead of sending another OTP.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy.engine import Connection

from identity.errors import AuthRefused
from identity.models import (
    FIXED_OTP,
    OTP_MAX_WRONG,
    OTP_RESEND_GAP_US,
    OTP_TTL_US,
    OtpChannel,
    OtpRequest,
)
from identity.schemas.otp import OtpIn, OtpOut
from identity.service.people import find_resident, mask_email, mask_mobile, mask_uid
from identity.store import OtpStore
from sandbox.inbox.models import Channel
from sandbox.inbox.service import deliver
from sandbox.kit.clock import iso
from sandbox.kit.ids import new_id
from sandbox.kit.secrets import matches, pin_hash
from sandbox.storage.database import Database
from sandbox.storage.idempotency import keys_for, write_once
from sandbox.world.context import WorldContext


def otp_hash(world: WorldContext, uid: str, txn: str, otp: str) -> str:
    """The stored form of an OTP: keyed like a UPI PIN and bound to the number and txn."""
    return pin_hash(world.secret_key, world.id, f"otp|{uid}|{txn}", otp)


def otp_matches(world: WorldContext, stored: OtpRequest, otp: str) -> bool:
    return matches(stored.otp_hash, otp_hash(world, stored.uid, stored.txn, otp))


async def request_otp(
    db: Database, world: WorldContext, body: OtpIn, *, idempotency_key: str | None
) -> OtpOut:
    """Send an OTP (or answer ret n); one unit of work with the OTP and its inbox messages."""
    otp = FIXED_OTP if world.partner.fixed_otp else f"{secrets.randbelow(1_000_000):06d}"
    code = uuid.uuid4().hex

    def effect(conn: Connection) -> tuple[int, dict[str, Any]]:
        try:
            answer = _send(conn, world, body, otp, code)
        except AuthRefused as refused:
            answer = OtpOut(
                ret="n",
                txn=body.txn,
                code=code,
                err=refused.code,
                actn=refused.actn,
                hint=refused.hint,
            )
        return 200, answer.model_dump(mode="json", by_alias=True)

    done = await write_once(
        db,
        world.id,
        keys=keys_for(idempotency_key, None),
        fingerprint=world.fingerprint("identity.otp", body.model_dump(mode="json", by_alias=True)),
        operation="POST /v1/identity/otp",
        now_us=world.now_us,
        effect=effect,
    )
    return OtpOut.model_validate(done.body)


def _send(conn: Connection, world: WorldContext, body: OtpIn, otp: str, code: str) -> OtpOut:
    resident = find_resident(conn, world, body.uid)
    uid = resident.uid  # the OTP is the resident's, whichever of number, VID or token asked
    mobile = resident.mobile if resident.mobile_verified else None
    email = resident.email
    channel = OtpChannel(body.channel)
    _check_reachable(channel, mobile=mobile, email=email)
    store = OtpStore(conn, world.id)
    last = store.latest(uid)
    if last is not None and world.now_us - last.created_us < OTP_RESEND_GAP_US:
        again = iso(last.created_us + OTP_RESEND_GAP_US)
        raise AuthRefused(
            "952",
            f"An OTP was sent to {mask_uid(body.uid)} less than 30 s ago",
            hint=f"Ask again at or after {again} (world time), or use the OTP already sent "
            f"(txn {last.txn!r}, valid until {iso(last.expires_us)}).",
        )
    store.add(
        OtpRequest(
            id=new_id("otp"),
            uid=uid,
            txn=body.txn,
            channel=channel,
            otp_hash=otp_hash(world, uid, body.txn, otp),
            wrong_tries=0,
            created_us=world.now_us,
            expires_us=world.now_us + OTP_TTL_US,
        )
    )
    text = (
        f"{otp} is the OTP for Aadhaar authentication (txn {body.txn}) of {mask_uid(body.uid)}. "
        "Valid for 10 minutes. Do not share it."
    )
    sms = channel in (OtpChannel.BOTH, OtpChannel.SMS)
    mail = channel in (OtpChannel.BOTH, OtpChannel.EMAIL)
    if sms and mobile is not None:
        deliver(conn, world, to=mobile, channel=Channel.SMS, subject="Aadhaar OTP", body=text)
    if mail and email is not None:
        deliver(conn, world, to=email, channel=Channel.EMAIL, subject="Aadhaar OTP", body=text)
    return OtpOut(
        ret="y",
        txn=body.txn,
        code=code,
        masked_mobile=mask_mobile(mobile) if sms else None,
        masked_email=mask_email(email) if mail else None,
    )


def _check_reachable(channel: OtpChannel, *, mobile: str | None, email: str | None) -> None:
    if mobile is None and email is None:
        raise AuthRefused(
            "112",
            "This resident has neither a verified mobile nor an e-mail",
            hint="Authenticate this resident with demographics (Pi, Pa) instead of an OTP.",
        )
    if channel is OtpChannel.SMS and mobile is None:
        raise AuthRefused(
            "111",
            "This resident has no verified mobile for an SMS OTP",
            hint='Ask with "channel": "02" (e-mail), or use a persona whose mobile is verified '
            "(asha, ravi, ...; lakshmi's is unverified, sunil has none).",
        )
    if channel is OtpChannel.BOTH and mobile is None:
        raise AuthRefused(
            "110",
            "Channel 00 sends by SMS and e-mail, and this resident has no verified mobile",
            hint='Ask with "channel": "02" (e-mail only).',
        )
    if channel in (OtpChannel.BOTH, OtpChannel.EMAIL) and email is None:
        raise AuthRefused(
            "110",
            "This resident has no e-mail for an e-mail OTP",
            hint='Ask with "channel": "01" (SMS only).',
        )


def verify_otp(conn: Connection, world: WorldContext, *, uid: str, txn: str, otp: str) -> str:
    """The id of the number's newest OTP when ``otp`` is it and ``txn`` its txn, or 403, 402 or
    400 (a wrong OTP is counted). The caller consumes it with ``OtpStore.use`` once its whole
    request passes; OTP auth and the VID routes check an OTP this one way."""
    store = OtpStore(conn, world.id)
    stored = store.latest(uid)
    if stored is None or stored.used_us is not None:
        raise AuthRefused(
            "403",
            "No OTP is waiting for this number (none sent, used, or expired over an hour ago)",
            hint="None was sent, it was used, or it expired over an hour ago (world time): "
            "request an OTP (POST /v1/identity/otp) and use it within 10 minutes.",
        )
    if stored.txn != txn:
        raise AuthRefused(
            "402",
            f"txn {txn!r} is not the txn of the last OTP request of this number",
            hint=f"Send the request with txn {stored.txn!r}, the txn of the newest OTP.",
        )
    if world.now_us >= stored.expires_us:
        raise AuthRefused(
            "403",
            f"The OTP expired at {iso(stored.expires_us)} (world time)",
            hint=f"It expired at {iso(stored.expires_us)} (world time): request a new OTP "
            "(POST /v1/identity/otp) and use it within 10 minutes.",
        )
    if stored.wrong_tries >= OTP_MAX_WRONG:
        raise AuthRefused(
            "403",
            f"{OTP_MAX_WRONG} wrong tries used up this OTP",
            hint="Request a new OTP (POST /v1/identity/otp) with a new txn.",
        )
    if not otp_matches(world, stored, otp):
        tries = store.count_wrong_try(stored.id)
        left = max(OTP_MAX_WRONG - tries, 0)
        raise AuthRefused(
            "400",
            f"Wrong OTP ({left} tr{'y' if left == 1 else 'ies'} left)",
            hint="Read the OTP from GET /v1/sandbox/inbox?to=<mobile or e-mail> "
            + (
                "and send it (pv.otp of an auth, otp of the VID routes)."
                if left
                else "; this one is used up: request a new OTP (the next try answers 403)."
            ),
        )
    return stored.id


async def use_otp(db: Database, world: WorldContext, *, uid: str, txn: str, otp: str) -> None:
    """Check ``otp`` against the number's newest OTP and consume it, for a sign-in that is not
    an authentication (the web console's resident screens). The refusals are ``verify_otp``'s;
    a wrong try is counted and committed before the refusal is raised."""

    def unit(conn: Connection) -> AuthRefused | None:
        try:
            otp_id = verify_otp(conn, world, uid=uid, txn=txn, otp=otp)
        except AuthRefused as refused:
            return refused
        if not OtpStore(conn, world.id).use(otp_id, world.now_us):
            return AuthRefused("403", "The OTP was used by another request meanwhile")
        return None

    refused = await db.write(unit)
    if refused is not None:
        raise refused
