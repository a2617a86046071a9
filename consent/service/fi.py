"""The data flow (ReBIT NBFC-AA 2.0.0, ``AA_2_0_0.yaml`` "Data Flow"): POST /aa/FI/request makes
an FI session for an ACTIVE consent, POST /aa/FI/fetch hands out its data encrypted for the
FIU's key; the easy path (GET /v1/fi/sessions/{id}/data) hands out the same data decrypted.

The sandbox plays every FIP of the world, so a session's accounts are READY at once: the FIU
gets ``FIStatusNotification`` (sessionStatus ACTIVE, each account READY) in the request's unit
of work. A session:

    ACTIVE --every account fetched--> COMPLETED
    ACTIVE --24 h of world time after the request--> EXPIRED  (FI/fetch: DataGone)

FI/request checks, in the spec's order (syntax, schema, then business rules): the envelope;
the consent (``usable.usable_consent``: InvalidConsentId, InvalidConsentUse for ONETIME used or
Frequency spent; PAUSED, REVOKED and EXPIRED as InvalidConsentStatus, since the spec gives
/FI/request no 403); ``Consent.digitalSignature`` (InvalidConsentDetail); FIDataRange
(InvalidDateRange); KeyMaterial (InvalidKey); a session of the consent still ACTIVE
(InvalidConsentUse: the spec's DataFetchRequestInProgress is a 403 of /FI/fetch only). Then the
use is counted (``record_use``, which Frequency counts) and the session made, once per txnid.

FI/fetch checks the session (InvalidSessionId; past its window DataGone 410), the consent now
(ConsentPaused, ConsentRevoked, ConsentExpired: 403), fipId (InvalidFIPId) and linkRefNumber
(InvalidRequest), and the FIU's key against world time (InvalidKey); builds each account's
document with ``consent.fip.fi_payload`` (the consent's FI types, consent types and DataFilter,
the session's range), marks the accounts DELIVERED, logs ``FI_FETCH`` in the consent log, and
encrypts per FIP after the unit of work (``consent.crypto.Encryptor``: one fresh key pair and
nonce per FIP, its KeyMaterial beside its data). A fetch can be repeated inside the window.
"""

from __future__ import annotations

import hmac
import json
import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from consent import crypto, errors
from consent.fip import AccountPayload, FIDataError, fi_payload, parse_data_filters
from consent.models import (
    SESSION_TTL_US,
    VERSION,
    ConsentStatus,
    FIStatus,
    SessionAccount,
    SessionStatus,
)
from consent.schemas.fi import FIFetchRequestModel, FIRequestModel
from consent.service import log, notify
from consent.service.lifecycle import current, run
from consent.service.usable import record_use, usable_consent
from consent.service.wire import check_envelope, parse_time
from consent.store import ConsentStore, FiSessionStore
from sandbox.errors import IdempotencyConflict, SandboxError
from sandbox.kit.clock import iso
from sandbox.kit.pagination import cursor_pattern, page, parse_cursor
from sandbox.storage.database import Database
from sandbox.storage.idempotency import Answer, Key, write_once
from sandbox.world.context import WorldContext

CURSOR_ID = r"[0-9a-f-]{36}"  # the ids its cursors carry (stated in the OpenAPI)
_CURSOR = cursor_pattern(CURSOR_ID)
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


def _aa_invalid_key(exc: crypto.InvalidKey) -> errors.AaError:
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
        return _aa_invalid_key(exc)
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
    try:
        return await write_once(
            db,
            world.id,
            keys=[Key("txnid", f"aa:{cmd.txnid}")],
            fingerprint=cmd.fingerprint,
            now_us=world.now_us,
            effect=lambda conn: _fi_request_effect(conn, world, cmd),
        )
    except IdempotencyConflict:
        raise errors.IdempotencyError(
            f"txnid {cmd.txnid} was already used for a different request; nothing was done.",
            hint="Make a new txnid for a new request, or resend the first one unchanged.",
        ) from None


# -- sessions as of now --------------------------------------------------------------------------


def current_session(sessions: FiSessionStore, world: WorldContext, row: Any) -> Any:
    """The session as of now: an ACTIVE one past its window is marked EXPIRED (and notified)."""
    if row.status == SessionStatus.ACTIVE and row.expires_us <= world.now_us:
        if sessions.set_status(
            row.session_id, [SessionStatus.ACTIVE], SessionStatus.EXPIRED, world.now_us
        ):
            row = sessions.get(row.session_id)
            notify.fi_notification(sessions.conn, world, row, "expired")
        else:
            row = sessions.get(row.session_id)
    return row


def _session_gone(row: Any, world: WorldContext) -> errors.AaError | None:
    if row.status == SessionStatus.EXPIRED or row.expires_us <= world.now_us:
        return errors.DataGone(
            f"FI session {row.session_id}'s data expired at {iso(row.expires_us)} (world time "
            f"{iso(world.now_us)}): the AA keeps FI data 24 hours after the FI request.",
            hint="Make a new FI request (POST /aa/FI/request) and fetch within 24 hours.",
        )
    if row.status == SessionStatus.FAILED:
        return errors.NoDataFound(
            f"FI session {row.session_id} FAILED: no FIP served it.",
            hint="Make a new FI request.",
        )
    return None


def _consent_now(conn: Connection, world: WorldContext, handle: str) -> Any | errors.AaError:
    store = ConsentStore(conn, world.id)
    row = store.by_handle(handle, lock=True)
    assert row is not None  # a session's consent is never deleted but with its world
    row = current(store, world, row)
    if row.status == ConsentStatus.PAUSED:
        return errors.ConsentPaused(
            f"Consent {row.consent_id} was PAUSED by the customer after the FI request.",
            hint="Wait until she resumes it (a notification says ACTIVE), then fetch again.",
        )
    if row.status == ConsentStatus.REVOKED:
        return errors.ConsentRevoked(
            f"Consent {row.consent_id} was REVOKED by the customer after the FI request.",
            hint="Its data is no longer served; ask for a new consent.",
        )
    if row.status == ConsentStatus.EXPIRED:
        return errors.ConsentExpired(
            f"Consent {row.consent_id} expired at {iso(row.expiry_us)} (world time).",
            hint="Ask for a new consent.",
        )
    return row


@dataclass(frozen=True, slots=True)
class Delivery:
    """What one fetch hands out: the documents (plain), and the FIU's KeyMaterial."""

    session_id: str
    consent_id: str
    payloads: list[AccountPayload]
    key_material: dict[str, Any]


def _deliver(
    conn: Connection,
    world: WorldContext,
    session_id: str,
    *,
    fip_id: str | None,
    link_refs: list[str] | None,
    fmt: str,
    check_key: bool,
    txnid: str | None,
    missing: SandboxError,
) -> Delivery | SandboxError:
    """The fetch's unit of work: checks, documents, DELIVERED, the consent log."""
    sessions = FiSessionStore(conn, world.id)
    row = sessions.get(session_id, lock=True)
    if row is None:
        return missing
    row = current_session(sessions, world, row)
    gone = _session_gone(row, world)
    if gone is not None:
        return gone
    consent = _consent_now(conn, world, row.handle)
    if isinstance(consent, errors.AaError):
        return consent
    accounts = [SessionAccount.of(a) for a in row.accounts]
    chosen = accounts
    if fip_id is not None:
        chosen = [a for a in accounts if a.fip_id == fip_id]
        if not chosen:
            fips = sorted({a.fip_id for a in accounts})
            return errors.InvalidFIPId(
                f"fipId {fip_id[:64]!r} is not an FIP of session {session_id} "
                f"(its FIPs: {', '.join(fips)}).",
                hint="Use a fipId of the consent's Accounts, or leave fipId out for all.",
            )
    if link_refs is not None:
        known = {a.link_ref_number: a for a in chosen}
        for index, ref in enumerate(link_refs):
            if ref not in known:
                return errors.InvalidRequest(
                    f"linkRefNumber[{index}].id {ref[:64]!r} is not an account of session "
                    f"{session_id}" + (f" at {fip_id}" if fip_id else "") + ".",
                    hint="Use the linkRefNumbers of the consent's Accounts (FIStatusNotification "
                    "lists them), or leave linkRefNumber out for all.",
                )
        chosen = [known[ref] for ref in dict.fromkeys(link_refs)]
    if check_key:
        try:
            crypto.parse_key_material(row.key_material, world.now_us)
        except crypto.InvalidKey as exc:
            return errors.InvalidKey(
                f"The FI request's {exc.field} {exc.detail}.",
                hint="Your key expired before the fetch: make a new FI request with a fresh "
                "KeyMaterial.",
            )
    detail = consent.detail
    try:
        filters = parse_data_filters(detail.get("DataFilter"), world.country.minor_units)
        payloads = fi_payload(
            conn,
            world,
            resident_uid=consent.resident_uid,
            link_refs=[a.link_ref_number for a in chosen],
            fi_types=detail["fiTypes"],
            consent_types=detail["consentTypes"],
            from_us=row.from_us,
            to_us=row.to_us,
            filters=filters,
            fmt=fmt,
        )
    except FIDataError as exc:
        code = getattr(errors, exc.error_code, errors.InvalidRequest)
        return code(exc.message, hint=exc.hint)
    delivered = {a.link_ref_number for a in chosen}
    after = [
        SessionAccount(
            a.fip_id,
            a.link_ref_number,
            a.masked_acc_number,
            a.fi_type,
            FIStatus.DELIVERED.value if a.link_ref_number in delivered else a.fi_status,
            a.description,
        )
        for a in accounts
    ]
    complete = all(a.fi_status == FIStatus.DELIVERED for a in after)
    status = SessionStatus.COMPLETED if complete else SessionStatus(row.status)
    sessions.change(
        session_id,
        world.now_us,
        accounts=[a.stored() for a in after],
        status=status.value,
        fetch_count=row.fetch_count + 1,
    )
    log.append_log(
        conn,
        world,
        row.handle,
        "FI_FETCH",
        {
            "sessionId": session_id,
            "txnid": txnid,
            "path": "aa" if check_key else "easy",
            "fipId": fip_id,
            "linkRefNumbers": sorted(delivered),
        },
    )
    if complete and row.status == SessionStatus.ACTIVE:
        notify.fi_notification(conn, world, sessions.get(session_id), "completed")
    return Delivery(session_id, row.consent_id, payloads, dict(row.key_material))


async def fetch_fi(db: Database, world: WorldContext, body: FIFetchRequestModel) -> dict[str, Any]:
    """``FIFetchResponse``: the session's (or the chosen FIP's, accounts') documents, encrypted
    per FIP for the KeyMaterial of the FI request."""
    check_envelope(world, body)
    refs = [r.id for r in body.linkRefNumber] if body.linkRefNumber is not None else None
    missing = errors.InvalidSessionId(
        f"sessionId {body.sessionId[:64]!r} is not an FI session of yours.",
        hint="Use the sessionId POST /aa/FI/request answered (GET /v1/fi/sessions lists them).",
    )
    delivery = await run(
        db,
        lambda conn: _deliver(
            conn,
            world,
            body.sessionId,
            fip_id=body.fipId or None,
            link_refs=refs,
            fmt="xml",
            check_key=True,
            txnid=body.txnid,
            missing=missing,
        ),
    )
    by_fip: dict[str, list[AccountPayload]] = {}
    for p in delivery.payloads:
        by_fip.setdefault(p.fip_id, []).append(p)
    fi = []
    for fip, payloads in by_fip.items():  # no I/O from here: crypto outside the unit of work
        try:
            encryptor = crypto.Encryptor.for_partner(delivery.key_material, world.now_us)
        except crypto.InvalidKey as exc:
            raise _aa_invalid_key(exc) from None
        fi.append(
            {
                "fipID": fip,
                "data": [
                    {
                        "linkRefNumber": p.link_ref,
                        "maskedAccNumber": p.masked,
                        "encryptedFI": encryptor.encrypt(p.payload),
                    }
                    for p in payloads
                ],
                "KeyMaterial": encryptor.key_material,
            }
        )
    return {"ver": VERSION, "timestamp": iso(world.now_us), "txnid": body.txnid, "FI": fi}


# -- /v1/fi/sessions: the partner's view and the easy path ---------------------------------------


def _not_found(session_id: str) -> errors.FiSessionNotFound:
    return errors.FiSessionNotFound(
        f"No FI session '{session_id[:64]}' in your world.",
        hint="Use the sessionId POST /aa/FI/request answered (GET /v1/fi/sessions lists them).",
    )


async def session_data(
    db: Database, world: WorldContext, session_id: str, fmt: str
) -> dict[str, Any]:
    """The easy path: the session's FI documents, decrypted (JSON rendition or XML text). It is
    a fetch like FI/fetch (same checks, accounts DELIVERED, logged with path "easy")."""
    delivery = await run(
        db,
        lambda conn: _deliver(
            conn,
            world,
            session_id,
            fip_id=None,
            link_refs=None,
            fmt=fmt,
            check_key=False,
            txnid=None,
            missing=_not_found(session_id),
        ),
    )
    return {
        "session_id": delivery.session_id,
        "consent_id": delivery.consent_id,
        "format": fmt,
        "accounts": [
            {
                "fip_id": p.fip_id,
                "link_ref_number": p.link_ref,
                "masked_acc_number": p.masked,
                "fi_type": p.fi_type,
                "data": json.loads(p.payload) if fmt == "json" else p.payload.decode(),
            }
            for p in delivery.payloads
        ],
    }


async def list_sessions(
    db: Database, world: WorldContext, *, limit: int, cursor: str | None, status: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the world's FI sessions, newest first (lapsed ones read EXPIRED)."""
    before = parse_cursor(cursor, _CURSOR)

    def unit(conn: Connection) -> list[Any]:
        sessions = FiSessionStore(conn, world.id)
        rows = sessions.page(limit=limit + 1, before=before, status=status)
        return [current_session(sessions, world, r) for r in rows]

    rows, nxt = page(await db.write(unit), limit, lambda r: (r.created_us, r.session_id))
    return [notify.session_payload(r) for r in rows], nxt


async def get_session(db: Database, world: WorldContext, session_id: str) -> dict[str, Any]:
    def unit(conn: Connection) -> dict[str, Any]:
        sessions = FiSessionStore(conn, world.id)
        row = sessions.get(session_id)
        if row is None:
            raise _not_found(session_id)
        return notify.session_payload(current_session(sessions, world, row))

    return await db.write(unit)
