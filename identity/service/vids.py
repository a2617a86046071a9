"""VIDs: a resident's 16-digit Virtual ID, made and revoked after an OTP, usable as ``uid``.

The flow is UIDAI's: the resident asks for an OTP (``POST /v1/identity/otp`` with the number, or
a VID or UID token of theirs), then sends it with the same txn to generate a VID
(``POST /v1/identity/vids``) or to revoke one (``POST /v1/identity/vids/{vid}/revoke``). The OTP
is checked as an OTP authentication checks it (403, 402, 400 counted) and used up by a request
that passes. A resident has one ACTIVE VID: a new one marks the old REPLACED. A VID is 15 random
digits (the first 2-8, so magic values starting with 9 are never issued) and a Verhoeff check
digit; it expires a year of world time after it was made (517), where UIDAI's last until
replaced, so that the expiry can be reached by moving the world clock.
"""

from __future__ import annotations

import secrets
import uuid
from typing import Any

from sqlalchemy.engine import Connection
from stdnum import verhoeff

from identity.errors import AuthRefused, VidNotFound
from identity.models import VID_TTL_US, Vid, VidStatus
from identity.schemas.vids import VidAnswer, VidIn, VidRevokeIn, VidStatusName
from identity.service.otp import verify_otp
from identity.service.people import find_resident, mask_uid
from identity.store import OtpStore, VidStore
from sandbox.kit.clock import iso
from sandbox.storage.database import Database
from sandbox.storage.idempotency import keys_for, write_once
from sandbox.world.context import WorldContext


def new_vid() -> str:
    body = str(secrets.choice(range(2, 9))) + f"{secrets.randbelow(10**14):014d}"
    return body + verhoeff.calc_check_digit(body)


def status_of(vid: Vid, now_us: int) -> VidStatusName:
    """What a partner sees: the stored status, or EXPIRED for an ACTIVE VID past its expiry."""
    if vid.status is VidStatus.ACTIVE and now_us >= vid.expires_us:
        return "EXPIRED"
    return vid.status.value


async def generate(
    db: Database, world: WorldContext, body: VidIn, *, idempotency_key: str | None
) -> VidAnswer:
    code = uuid.uuid4().hex

    def effect(conn: Connection) -> tuple[int, dict[str, Any]]:
        try:
            answer = _generate(conn, world, body, code)
        except AuthRefused as refused:
            answer = _refused(body.txn, code, refused)
        return 200, answer.model_dump(mode="json", by_alias=True)

    return await _once(db, world, "identity.vid", body, idempotency_key, effect, "/vids")


async def revoke(
    db: Database, world: WorldContext, vid: str, body: VidRevokeIn, *, idempotency_key: str | None
) -> VidAnswer:
    code = uuid.uuid4().hex

    def effect(conn: Connection) -> tuple[int, dict[str, Any]] | VidNotFound:
        found = VidStore(conn, world.id).get(vid)
        if found is None:
            return _not_found(vid)
        try:
            answer = _revoke(conn, world, found, body, code)
        except AuthRefused as refused:
            answer = _refused(body.txn, code, refused)
        return 200, answer.model_dump(mode="json", by_alias=True)

    path = f"/vids/{vid[:64]}/revoke"
    return await _once(db, world, f"identity.vid.revoke|{vid}", body, idempotency_key, effect, path)


async def get(db: Database, world: WorldContext, vid: str) -> Vid:
    found = await db.read(lambda conn: VidStore(conn, world.id).get(vid))
    if found is None:
        raise _not_found(vid)
    return found


def _generate(conn: Connection, world: WorldContext, body: VidIn, code: str) -> VidAnswer:
    uid = find_resident(conn, world, body.uid).uid
    otp_id = verify_otp(conn, world, uid=uid, txn=body.txn, otp=body.otp)
    _use(conn, world, otp_id)
    store = VidStore(conn, world.id)
    store.replace_active(uid, world.now_us)
    vid = new_vid()
    while store.get(vid) is not None:  # 10^14 values: a clash is for the tests of the odds
        vid = new_vid()
    made = Vid(
        vid=vid,
        uid=uid,
        status=VidStatus.ACTIVE,
        created_us=world.now_us,
        expires_us=world.now_us + VID_TTL_US,
    )
    store.add(made)
    return _done(body.txn, code, made, world.now_us)


def _revoke(
    conn: Connection, world: WorldContext, found: Vid, body: VidRevokeIn, code: str
) -> VidAnswer:
    find_resident(conn, world, found.vid)  # 515 revoked or replaced, 517 expired
    otp_id = verify_otp(conn, world, uid=found.uid, txn=body.txn, otp=body.otp)
    _use(conn, world, otp_id)
    store = VidStore(conn, world.id)
    if not store.end(found.vid, VidStatus.REVOKED, world.now_us):
        raise AuthRefused("515", f"VID {mask_uid(found.vid)} was revoked meanwhile")
    revoked = store.get(found.vid)
    assert revoked is not None
    return _done(body.txn, code, revoked, world.now_us)


def _use(conn: Connection, world: WorldContext, otp_id: str) -> None:
    """Consume the OTP first: a concurrent twin waits on its row and then finds it used."""
    if not OtpStore(conn, world.id).use(otp_id, world.now_us):
        raise AuthRefused("403", "The OTP was used by another request meanwhile")


def _done(txn: str, code: str, vid: Vid, now_us: int) -> VidAnswer:
    return VidAnswer(
        ret="y",
        txn=txn,
        code=code,
        vid=vid.vid,
        status=status_of(vid, now_us),
        expires_at=iso(vid.expires_us),
    )


def _refused(txn: str, code: str, refused: AuthRefused) -> VidAnswer:
    return VidAnswer(
        ret="n", txn=txn, code=code, err=refused.code, actn=refused.actn, hint=refused.hint
    )


def _not_found(vid: str) -> VidNotFound:
    return VidNotFound(
        f"No VID '{vid}' in your world.",
        hint="Use the vid of an answer of POST /v1/identity/vids (made after an OTP).",
    )


async def _once(
    db: Database,
    world: WorldContext,
    op: str,
    body: VidIn | VidRevokeIn,
    idempotency_key: str | None,
    effect: Any,
    path: str,
) -> VidAnswer:
    done = await write_once(
        db,
        world.id,
        keys=keys_for(idempotency_key, None),
        fingerprint=world.fingerprint(op, body.model_dump(mode="json", by_alias=True)),
        operation=f"POST /v1/identity{path}",
        now_us=world.now_us,
        effect=effect,
    )
    return VidAnswer.model_validate(done.body)
