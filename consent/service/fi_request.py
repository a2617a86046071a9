"""POST /aa/FI/request (ReBIT NBFC-AA 2.0.0, ``AA_2_0_0.yaml`` "Data Flow"): an FI session for
an ACTIVE consent. The sandbox plays every FIP of the world, so a session's accounts are READY
at once: the FIU gets ``FIStatusNotification`` (sessionStatus ACTIVE, each account READY) in
the request's unit of work (the session's states: ``consent.service.fi_sessions``).

FI/request checks, in the spec's order (syntax, schema, then business rules): the envelope;
the consent (``usable.usable_consent``: InvalidConsentId, InvalidConsentUse for ONETIME used or
Frequency spent; PAUSED, REVOKED and EXPIRED as InvalidConsentStatus, since the spec gives
/FI/request no 403); ``Consent.digitalSignature`` (InvalidConsentDetail); FIDataRange
(InvalidDateRange); KeyMaterial (InvalidKey); a session of the consent still ACTIVE
(InvalidConsentUse: the spec's DataFetchRequestInProgress is a 403 of /FI/fetch only). Then the
use is counted (``record_use``, which Frequency counts) and the session made, once per txnid.
"""

from __future__ import annotations

import hmac
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from consent import crypto, errors
from consent.models import (
    SESSION_TTL_US,
    VERSION,
    FIStatus,
    SessionAccount,
    SessionStatus,
)
from consent.schemas.fi import FIRequestModel
from consent.service import notify
from consent.service.usable import record_use, usable_consent
from consent.service.wire import check_envelope, once_per_txnid, parse_time
from consent.store import FiSessionStore
from sandbox.errors import SandboxError
from sandbox.kit.clock import iso
from sandbox.storage.database import Database
from sandbox.storage.idempotency import Answer
from sandbox.world.context import WorldContext

_FORBIDDEN_AT_REQUEST = (errors.ConsentPaused, errors.ConsentRevoked, errors.ConsentExpired)


# -- POST /aa/FI/request -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FiRequestCommand:
    txnid: str
    consent_id: str
    digital_signature: str
    from_us: int
    to_us: int
    key_material: dict[str, Any]
    fingerprint: str


def prepare_fi_request(world: WorldContext, body: FIRequestModel) -> FiRequestCommand:
    """What is checkable without the database: the envelope and the range's syntax."""
    check_envelope(world, body)
    from_us = parse_time(body.FIDataRange.from_, "FIDataRange.from")
    to_us = parse_time(body.FIDataRange.to, "FIDataRange.to")
    signed = body.model_dump(mode="json", by_alias=True, exclude={"timestamp"})
    return FiRequestCommand(
        txnid=body.txnid,
        consent_id=body.Consent.id,
        digital_signature=body.Consent.digitalSignature,
        from_us=from_us,
        to_us=to_us,
        key_material=dict(body.KeyMaterial),
        fingerprint=world.fingerprint("aa.fi.request", signed),
    )


def aa_invalid_key(exc: crypto.InvalidKey) -> errors.AaError:
    return errors.InvalidKey(f"{exc.field} {exc.detail}.", hint=exc.hint)


def _check_range(cmd: FiRequestCommand, consent: Any) -> errors.AaError | None:
    if cmd.from_us >= cmd.to_us:
        return errors.InvalidDateRange(
            f"FIDataRange: from {iso(cmd.from_us)} is not before to {iso(cmd.to_us)}.",
            hint="Send a range whose from is earlier than its to.",
        )
    if cmd.from_us < consent.fi_from_us or cmd.to_us > consent.fi_to_us:
        return errors.InvalidDateRange(
            f"FIDataRange {iso(cmd.from_us)} to {iso(cmd.to_us)} is not inside the consent's "
            f"FIDataRange {iso(consent.fi_from_us)} to {iso(consent.fi_to_us)}.",
            hint="Ask for a range within the consent's FIDataRange (POST /aa/Consent/fetch: "
            "signedConsent).",
        )
    return None


def _fi_request_effect(
    conn: Connection, world: WorldContext, cmd: FiRequestCommand
) -> tuple[int, dict[str, Any]] | SandboxError:
    try:
        consent = usable_consent(conn, world, cmd.consent_id)
    except _FORBIDDEN_AT_REQUEST as exc:
        # the spec's /FI/request has no 403: its 400 InvalidConsentStatus, naming the status
        return errors.InvalidConsentStatus(f"{exc.detail} ({exc.error_code})", hint=exc.hint)
    except errors.AaError as exc:
        return exc  # returned, not raised: an expiry usable_consent wrote is committed
    if not hmac.compare_digest(cmd.digital_signature.encode(), consent.digital_signature.encode()):
        return errors.InvalidConsentDetail(
            f"Consent.digitalSignature is not the signature of consent {consent.consent_id}'s "
            "signedConsent.",
            hint="Send the part after the last '.' of signedConsent (POST /aa/Consent/fetch).",
        )
    wrong_range = _check_range(cmd, consent)
    if wrong_range is not None:
        return wrong_range
    try:  # a trial encryption: a low-order public key fails here, not at the fetch
        crypto.Encryptor.for_partner(cmd.key_material, world.now_us).encrypt(b"")
    except crypto.InvalidKey as exc:
        return aa_invalid_key(exc)
    sessions = FiSessionStore(conn, world.id)
    active = sessions.active_of(consent.handle, world.now_us)
    if active is not None:
        return errors.InvalidConsentUse(
            f"Consent {consent.consent_id} has FI session {active.session_id} ACTIVE until "
            f"{iso(active.expires_us)}: its data is ready and not all fetched "
            "(DataFetchRequestInProgress).",
            hint="Fetch it first (POST /aa/FI/fetch with that sessionId), or let it expire.",
        )
    session_id = str(uuid.uuid4())
    accounts = [
        SessionAccount(
            a.fip_id, a.link_ref_number, a.masked_acc_number, a.fi_type, FIStatus.READY.value
        )
        for a in consent.accounts
    ]
    sessions.add(
        {
            "session_id": session_id,
            "handle": consent.handle,
            "consent_id": consent.consent_id,
            "txnid": cmd.txnid,
            "status": SessionStatus.ACTIVE.value,
            "from_us": cmd.from_us,
            "to_us": cmd.to_us,
            "key_material": cmd.key_material,
            "accounts": [a.stored() for a in accounts],
            "fetch_count": 0,
            "created_us": world.now_us,
            "updated_us": world.now_us,
            "expires_us": world.now_us + SESSION_TTL_US,
        }
    )
    record_use(
        conn,
        world,
        consent,
        {
            "sessionId": session_id,
            "txnid": cmd.txnid,
            "FIDataRange": {"from": iso(cmd.from_us), "to": iso(cmd.to_us)},
        },
    )
    row = sessions.get(session_id)
    notify.fi_notification(conn, world, row, "ready")
    body = {
        "ver": VERSION,
        "timestamp": iso(world.now_us),
        "txnid": cmd.txnid,
        "consentId": consent.consent_id,
        "sessionId": session_id,
    }
    return 200, body


async def request_fi(db: Database, world: WorldContext, cmd: FiRequestCommand) -> Answer:
    """``FIResponse`` for a new session; the same txnid and body replays the first answer, another
    body with it is IdempotencyError."""
    return await once_per_txnid(
        db,
        world,
        cmd.txnid,
        cmd.fingerprint,
        lambda conn: _fi_request_effect(conn, world, cmd),
        operation="POST /aa/FI/request",
    )
