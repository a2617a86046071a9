"""Auth API 2.5: decide a prepared request in one unit of work, record it and announce it.

After ``prepare`` (envelope, crypto, PID, ts, Uses), the unit checks, in order: the number, VID
or UID token (998 A201, 515, 517, 514), a replay of the same (txn, PID ts) by this partner
(563, whichever of the three ``uid`` is), a refusal from ``prepare``, biometrics (330 for a
resident who locked them, then 550/800/310/311 on the Bios and 300 unless each equals the
resident's derived record: ``identity.biometrics``), the OTP against the newest OTP request of
the number the ``uid`` resolves to (403 none, expired or tries used up; 402 another
txn; 400 wrong, counted), and demographics against the resident's record (100 Pi, 200 Pa/Pfa).
Every processed request answers 200 with ``ret`` and is kept in ``auth_records`` with an
``identity.authenticated`` or ``identity.failed`` event in the same unit.

eKYC (``identity.service.ekyc``) runs the same decision through ``decide`` with a ``Flavour``:
its own txn (the "UKC:" namespace) and ret-y event, and its checks of the PID (wadh, ra) made
once the PID is read, before the factors.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy.engine import Connection

from identity import biometrics
from identity.errors import AuthRefused
from identity.matching import match_demographics
from identity.models import AuthRecord, Pid, Resident, Uses
from identity.pid_rules import parse_ts
from identity.schemas.auth import AuthIn, AuthOut, InfoOut
from identity.service.otp import verify_otp
from identity.service.people import find_resident, issue_token
from identity.service.prepare import Prepared, fingerprint
from identity.store import AuthStore, OtpStore
from sandbox.errors import SandboxError
from sandbox.storage.database import Database
from sandbox.storage.idempotency import keys_for, write_once
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext
from sandbox.world.store import ResidentRow

IST = timedelta(hours=5, minutes=30)


@dataclass(frozen=True, slots=True)
class Flavour:
    """What an API built on this decision changes in it (eKYC): the txn it records and answers,
    the event of a ret y, and a check of the PID against the Uses (raises ``AuthRefused``)."""

    txn: str
    event: str
    check: Callable[[Pid, Uses], None]


def ist(us: int) -> str:
    """World time as the authority writes ``ts``: IST with its offset, milliseconds."""
    moment = datetime.fromtimestamp(us / 1_000_000, UTC) + IST
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+05:30"


async def authenticate(
    db: Database,
    world: WorldContext,
    body: AuthIn,
    prepared: Prepared,
    *,
    idempotency_key: str | None,
) -> AuthOut:
    """The answer as a model (the XML wire format renders it)."""
    answer = await answer_json(db, world, body, prepared, idempotency_key=idempotency_key)
    return AuthOut.model_validate(answer)


async def answer_json(
    db: Database,
    world: WorldContext,
    body: AuthIn,
    prepared: Prepared,
    *,
    idempotency_key: str | None,
) -> dict[str, Any]:
    """The answer as its JSON object, as the unit (or an idempotent replay) stored it: the JSON
    route signs it as it is, without a model round trip on the event loop."""
    code = uuid.uuid4().hex

    def effect(conn: Connection) -> tuple[int, dict[str, Any]] | SandboxError:
        answer = decide(conn, world, body, prepared, code)
        return 200, answer.model_dump(mode="json", by_alias=True)

    keys = keys_for(idempotency_key, None)
    done = await write_once(
        db,
        world.id,
        keys=keys,
        fingerprint=fingerprint(world, body, keys),
        operation="POST /v1/identity/auth",
        now_us=world.now_us,
        effect=effect,
    )
    return done.body


def decide(
    conn: Connection,
    world: WorldContext,
    body: AuthIn,
    prepared: Prepared,
    code: str,
    flavour: Flavour | None = None,
) -> AuthOut:
    """The answer to a prepared request, recorded and announced, inside the caller's unit."""
    token: str | None = None
    replay_key = prepared.replay_key(body.txn)
    try:
        resident = find_resident(conn, world, body.uid)
    except AuthRefused as refused:  # kept without a replay key: a twin is refused the same way
        return _answer(conn, world, body, prepared, code, None, None, refused)
    try:
        token = issue_token(conn, world, resident.uid)
        if replay_key is not None and AuthStore(conn, world.id).seen(replay_key):
            replay_key = None  # the first one keeps the key
            raise AuthRefused(
                "563",
                f"txn {body.txn!r} with PID ts {prepared.pid.ts if prepared.pid else ''} was "
                "already received from you",
            )
        if prepared.refused is not None:
            raise prepared.refused
        assert prepared.pid is not None
        if flavour is not None:
            flavour.check(prepared.pid, prepared.uses)
        _check(conn, world, body, prepared.pid, resident, prepared)
    except AuthRefused as refused:
        return _answer(conn, world, body, prepared, code, token, replay_key, refused, flavour)
    return _answer(conn, world, body, prepared, code, token, replay_key, None, flavour)


def _check(
    conn: Connection,
    world: WorldContext,
    body: AuthIn,
    pid: Pid,
    resident: ResidentRow,
    prepared: Prepared,
) -> None:
    if prepared.uses.bio:
        if resident.biometrics_locked:
            raise AuthRefused("330", "This resident has locked biometric authentication")
        biometrics.check_bios(pid.bios, prepared.uses.bt)
        biometrics.match_bios(
            pid.bios,
            lambda kind, posh: biometrics.record(
                world.secret_key, world.id, resident.uid, kind, posh
            ),
        )
    otp_id = _check_otp(conn, world, resident.uid, body.txn, pid) if prepared.uses.otp else None
    if pid.demo is not None:
        when = parse_ts(pid.ts)  # valid: the PID rules checked it
        assert when is not None
        failure = match_demographics(
            pid.demo, Resident.from_row(resident.mapping()), on=when.date()
        )
        if failure is not None:
            raise failure
    if otp_id is not None:
        OtpStore(conn, world.id).use(otp_id, world.now_us)


def _check_otp(conn: Connection, world: WorldContext, uid: str, txn: str, pid: Pid) -> str:
    assert pid.pv is not None
    assert pid.pv.otp is not None
    return verify_otp(conn, world, uid=uid, txn=txn, otp=pid.pv.otp)


def _answer(
    conn: Connection,
    world: WorldContext,
    body: AuthIn,
    prepared: Prepared,
    code: str,
    token: str | None,
    replay_key: str | None,
    refused: AuthRefused | None,
    flavour: Flavour | None = None,
) -> AuthOut:
    record = AuthRecord(
        id=code,
        txn=flavour.txn if flavour else body.txn,
        uid_token=token,
        uid_last4=body.uid[-4:],
        ret="n" if refused else "y",
        err=refused.code if refused else None,
        actn=refused.actn if refused else None,
        uses=prepared.uses.wire(),
        easy_path=prepared.easy_path,
        pid_ts=prepared.pid.ts if prepared.pid else None,
        created_us=world.now_us,
        replay_key=replay_key,
    )
    AuthStore(conn, world.id).add(record)
    answer = AuthOut(
        ret=record.ret,
        code=code,
        txn=record.txn,
        ts=ist(world.now_us),
        err=record.err,
        actn=record.actn,
        hint=refused.hint if refused else None,
        info=InfoOut(uid_token=token),
    )
    done = flavour.event if flavour else "identity.authenticated"
    event = "identity.failed" if refused else done
    emit(conn, world, event, _event_data(record, answer))
    return answer


def _event_data(record: AuthRecord, answer: AuthOut) -> dict[str, Any]:
    """What a webhook carries: the answer without a hint, never the number."""
    return {
        "code": record.id,
        "txn": record.txn,
        "ret": record.ret,
        "err": record.err,
        "actn": record.actn,
        "ts": answer.ts,
        "uidToken": record.uid_token,
        "uses": record.uses,
    }
