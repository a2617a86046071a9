"""POST /aa/FI/fetch (ReBIT NBFC-AA 2.0.0, ``AA_2_0_0.yaml`` "Data Flow") hands out a session's
data encrypted for the FIU's key; the easy path (GET /v1/fi/sessions/{id}/data) hands out the
same data decrypted.

FI/fetch checks the session (InvalidSessionId; past its window DataGone 410), the consent now
(ConsentPaused, ConsentRevoked, ConsentExpired: 403), fipId (InvalidFIPId) and linkRefNumber
(InvalidRequest), and the FIU's key against world time (InvalidKey); builds each account's
document with ``consent.fip.fi_payload`` (the consent's FI types, consent types and DataFilter,
the session's range), marks the accounts DELIVERED, logs ``FI_FETCH`` in the consent log, and
encrypts per FIP after the unit of work (``consent.crypto.Encryptor``: one fresh key pair and
nonce per FIP, its KeyMaterial beside its data). A fetch can be repeated inside the window.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from consent import crypto, errors
from consent.fip import AccountPayload, FIDataError, fi_payload, parse_data_filters
from consent.models import (
    VERSION,
    ConsentStatus,
    FIStatus,
    SessionAccount,
    SessionStatus,
)
from consent.schemas.fi import FIFetchRequestModel
from consent.service import log, notify
from consent.service.fi_request import aa_invalid_key
from consent.service.fi_sessions import current_session, session_not_found
from consent.service.lifecycle import current, run
from consent.service.wire import check_envelope
from consent.store import ConsentStore, FiSessionStore
from sandbox.errors import SandboxError
from sandbox.kit.clock import iso
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext


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
            raise aa_invalid_key(exc) from None
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
            missing=session_not_found(session_id),
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
