"""Offline eKYC (paperless): the resident's signed XML in a zip under their share code, and a
verifier's check of such a file.

Generating follows the VID routes' flow: the resident asks for an OTP (``POST
/v1/identity/otp``), then sends it with the same txn and a share code. The OTP is checked as an
OTP authentication checks it (400, 402, 403; a wrong try is counted and committed) and used up
when it passes; a refusal is raised after the unit of work as ``AuthRefused``, which renders as a
400 problem carrying ``err`` (a zip cannot carry a ``ret`` n answer). A download is the
resident's, not an AUA authentication: nothing goes to ``auth_records``; the partner hears of it
through the outbox event ``identity.offline_ekyc.generated``.

The route is not idempotent: the zip is binary, stamped with the world time and encrypted with a
fresh salt, and keeping it for replays would store the resident's data; a retry after a lost
answer asks for a new OTP, as the resident would on UIDAI's site.

The file is signed with the authority's auth key, whose X.509 certificate is published at
``GET /v1/identity/certificate`` and travels in the signature's ``KeyInfo`` (docs/decisions).
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import anyio.to_thread
from sqlalchemy.engine import Connection

from identity import offline
from identity.errors import AuthRefused
from identity.models import Resident
from identity.photos import face_jpeg
from identity.schemas.offline import OfflineEkycIn, OfflineVerifyIn, OfflineVerifyOut
from identity.service.keys import auth_key
from identity.service.otp import verify_otp
from identity.service.people import find_resident, mask_uid
from identity.store import OtpStore
from sandbox.errors import InvalidRequest
from sandbox.kit.clock import Clock
from sandbox.storage.database import Database
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext

EVENT = "identity.offline_ekyc.generated"


@dataclass(frozen=True, slots=True)
class _Allowed:
    uid: str
    resident: Resident


async def generate(
    db: Database, world: WorldContext, body: OfflineEkycIn, *, data_dir: Path, clock: Clock
) -> offline.OfflineFile:
    """The zip for the resident of ``body.uid`` once the OTP passes; ``AuthRefused`` otherwise."""

    def effect(conn: Connection) -> _Allowed | AuthRefused:
        try:
            row = find_resident(conn, world, body.uid)
            otp_id = verify_otp(conn, world, uid=row.uid, txn=body.txn, otp=body.otp)
            if not OtpStore(conn, world.id).use(otp_id, world.now_us):
                raise AuthRefused("403", "The OTP was used by another request meanwhile")
        except AuthRefused as refused:
            return refused  # committed: a wrong try counts
        reference = offline.reference_id(row.uid, world.now_us)
        emit(
            conn,
            world,
            EVENT,
            {"txn": body.txn, "referenceId": reference, "uid": mask_uid(row.uid)},
        )
        return _Allowed(row.uid, Resident.from_row(row.mapping()))

    allowed = await db.write(effect)
    if isinstance(allowed, AuthRefused):
        raise allowed
    photo = await face_jpeg(allowed.uid)
    key = await auth_key(data_dir, clock)
    make = partial(
        offline.make,
        allowed.uid,
        allowed.resident,
        photo,
        share_code=body.share_code,
        now_us=world.now_us,
        key=key.private_key,
        certificate=key.certificate,
    )
    return await anyio.to_thread.run_sync(make)


async def verify(body: OfflineVerifyIn, *, data_dir: Path, clock: Clock) -> OfflineVerifyOut:
    """Open the zip with the share code, check the signature and, when given, the contacts.
    An unreadable upload or a share code that does not open it is a 422 naming the field."""
    try:
        content = base64.b64decode("".join(body.file.split()), validate=True)
    except (binascii.Error, ValueError) as bad:
        raise InvalidRequest("body.file", "base64", "the file is not base64") from bad
    key = await auth_key(data_dir, clock)
    try:
        xml = offline.unpack(content, body.share_code)
        checked = await anyio.to_thread.run_sync(offline.check, xml, key.certificate)
    except offline.Unreadable as bad:
        raise InvalidRequest(
            f"body.{bad.field}",
            "opens" if bad.field == "shareCode" else "offline-zip",
            bad.message,
            hint="Send the zip of POST /v1/identity/offline-ekyc, base64, with the share code "
            "it was made with.",
        ) from bad
    mobile = None
    if body.mobile is not None:
        mobile = checked.m == offline.mobile_hash(body.mobile, body.share_code, checked.last_digit)
    email = None if body.email is None else checked.e == offline.email_hash(body.email)
    return OfflineVerifyOut(
        signature_valid=checked.signature_valid,
        mobile_matches=mobile,
        email_matches=email,
        reference_id=checked.reference_id,
        name=checked.name,
    )
