"""The customer's side of a consent (the AA app's; here the test-only API and, later, the
console): approve choosing accounts, reject, pause, resume, revoke; and expiry by world time.

    PENDING --approve--> ACTIVE --pause--> PAUSED --resume--> ACTIVE
    PENDING --reject---> REJECTED          ACTIVE | PAUSED --revoke--> REVOKED
    PENDING | ACTIVE | PAUSED --(consentExpiry passes)--> EXPIRED

Each change is a conditional update (of two concurrent changes one wins), is logged in the
consent log, and goes out as the spec's notification and a ``consent.*`` webhook in the same
unit of work. Expiry happens lazily on every read and in the periodic sweep.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from consent.artefact import sign_consent
from consent.errors import ConsentNotFound, InvalidTransition
from consent.fip import fip_accounts
from consent.models import (
    AA_ID,
    FETCH_TYPES_FI,
    LIVE,
    TRANSITIONS,
    ConsentAccount,
    ConsentStatus,
)
from consent.service import log, notify
from consent.store import ConsentStore, worlds_with_lapsed_consents
from sandbox.errors import InvalidRequest, SandboxError
from sandbox.keys.ring import KeyRing
from sandbox.kit.clock import Clock
from sandbox.partners.store import get_partner
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext

T = TypeVar("T")


def find(store: ConsentStore, handle: str, *, lock: bool = False) -> Any:
    row = store.by_handle(handle, lock=lock)
    if row is None:
        raise ConsentNotFound(
            f"No consent with handle '{handle[:64]}' in your world.",
            hint="Use the ConsentHandle POST /aa/Consent answered (GET /v1/consents lists them).",
        )
    return row


def expire(store: ConsentStore, world: WorldContext, handle: str) -> bool:
    """EXPIRED, once, logged and notified; False if it was no longer live."""
    if not store.set_status(handle, LIVE, ConsentStatus.EXPIRED, world.now_us):
        return False
    row = find(store, handle)
    log.append(store, world, handle, "EXPIRED", {})
    notify.spec_notification(store.conn, world, row, ConsentStatus.EXPIRED)
    notify.platform_event(store.conn, world, row, "expired")
    return True


def current(store: ConsentStore, world: WorldContext, row: Any) -> Any:
    """The consent as of now: a live one past its consentExpiry is marked EXPIRED first."""
    if row.status in LIVE and row.expiry_us <= world.now_us:
        expire(store, world, row.handle)
        return find(store, row.handle)
    return row


async def run(db: Database, unit: Callable[[Connection], T | SandboxError]) -> T:
    """Run ``unit``; a refusal it returns is raised after its commit (an expiry it wrote stays)."""
    result = await db.write(unit)
    if isinstance(result, SandboxError):
        raise result
    return result


def _refusal(row: Any, action: str) -> InvalidTransition:
    allowed = TRANSITIONS[action].allowed
    hints = {
        "EXPIRED": "It passed its consentExpiry; ask for a new consent.",
        "REVOKED": "A revoked consent is final; ask for a new one.",
        "REJECTED": "The customer rejected it; ask for a new one.",
        "PENDING": "The customer has not approved it yet.",
        "PAUSED": "Resume it first.",
        "ACTIVE": "It is already active.",
    }
    return InvalidTransition(
        f"Cannot {action} consent {row.handle}: it is {row.status}; {action} needs "
        f"{' or '.join(sorted(allowed))}.",
        hint=hints.get(row.status),
        currentStatus=row.status,
    )


def eligible_accounts(store: ConsentStore, world: WorldContext, row: Any) -> list[ConsentAccount]:
    """The customer's accounts at the world's FIPs (``consent.fip.fip_accounts``: DEPOSIT,
    TERM_DEPOSIT, RECURRING_DEPOSIT) of an FI type the consent asks for: the same fipId and
    linkRefNumber FI/fetch later serves."""
    wanted = set(row.detail["fiTypes"]) & FETCH_TYPES_FI
    return [
        ConsentAccount(
            fi_type=a.fi_type,
            fip_id=a.fip_id,
            acc_type=a.acc_type,
            link_ref_number=a.link_ref,
            masked_acc_number=a.masked,
            account_number=a.number,
        )
        for a in fip_accounts(store.conn, world, row.resident_uid)
        if a.fi_type in wanted
    ]


def _choose(eligible: list[ConsentAccount], chosen: list[str] | None) -> list[ConsentAccount]:
    if not eligible:
        raise InvalidRequest(
            "body.accounts",
            "eligible",
            "the customer has no account of an FI type this consent asks for",
            hint="The sandbox's FIPs hold DEPOSIT, TERM_DEPOSIT and RECURRING_DEPOSIT accounts: "
            'ask for one of them, e.g. fiTypes ["DEPOSIT"].',
        )
    if chosen is None:
        return eligible
    picked = []
    for ident in chosen:
        match = next((a for a in eligible if ident in (a.account_number, a.link_ref_number)), None)
        if match is None:
            known = ", ".join(a.account_number for a in eligible)
            raise InvalidRequest(
                "body.accounts",
                "own_account",
                f"{ident[:40]!r} is not an eligible account of the customer (hers: {known})",
                hint="Send account numbers or linkRefNumbers of the customer's accounts, or "
                "leave accounts out to share them all.",
            )
        if match not in picked:
            picked.append(match)
    return picked


def signed_detail(row: Any, accounts: list[ConsentAccount]) -> dict[str, Any]:
    """The ``SignedConsentDetail`` (AA_2_0_0.yaml) of an approved consent."""
    d = row.detail
    detail: dict[str, Any] = {
        "consentStart": d["consentStart"],
        "consentExpiry": d["consentExpiry"],
        "consentMode": d["consentMode"],
        "fetchType": d["fetchType"],
        "consentTypes": d["consentTypes"],
        "fiTypes": d["fiTypes"],
        "DataConsumer": d["DataConsumer"],
        "DataProvider": {"id": AA_ID, "type": "AA"},
        "Customer": {"id": row.customer_id},
        "Accounts": [a.wire() for a in accounts],
        "Purpose": d["Purpose"],
        "FIDataRange": d["FIDataRange"],
        "DataLife": d["DataLife"],
        "Frequency": d["Frequency"],
    }
    if d.get("DataFilter"):
        detail["DataFilter"] = d["DataFilter"]
    return detail


async def approve(
    db: Database, world: WorldContext, keys: KeyRing, handle: str, chosen: list[str] | None
) -> dict[str, Any]:
    """The customer approves with the accounts she chose: an ACTIVE, signed artefact."""

    def unit(conn: Connection) -> dict[str, Any] | SandboxError:
        store = ConsentStore(conn, world.id)
        row = current(store, world, find(store, handle, lock=True))
        if row.status != ConsentStatus.PENDING:
            return _refusal(row, "approve")
        accounts = _choose(eligible_accounts(store, world, row), chosen)
        consent_id = str(uuid.uuid4())
        signed = sign_consent(signed_detail(row, accounts), keys.signing_key)
        if not store.set_status(
            handle,
            [ConsentStatus.PENDING],
            ConsentStatus.ACTIVE,
            world.now_us,
            consent_id=consent_id,
            accounts=[a.stored() for a in accounts],
            signed_consent=signed,
            approved_us=world.now_us,
        ):
            return _refusal(find(store, handle), "approve")
        row = find(store, handle)
        log.append(
            store,
            world,
            handle,
            "APPROVED",
            {
                "consentId": consent_id,
                "accounts": [a.wire() for a in accounts],
                "signedConsent": signed,
            },
        )
        notify.spec_notification(conn, world, row, ConsentStatus.ACTIVE)
        notify.platform_event(conn, world, row, "approved")
        return notify.payload(row)

    return await run(db, unit)


async def change(db: Database, world: WorldContext, handle: str, action: str) -> dict[str, Any]:
    """reject, pause, resume or revoke, as the customer does in the AA app."""
    transition = TRANSITIONS[action]

    def unit(conn: Connection) -> dict[str, Any] | SandboxError:
        store = ConsentStore(conn, world.id)
        row = current(store, world, find(store, handle, lock=True))
        if row.status not in transition.allowed or not store.set_status(
            handle, transition.allowed, transition.to, world.now_us
        ):
            return _refusal(find(store, handle), action)
        row = find(store, handle)
        log.append(store, world, handle, transition.to.value, {"action": action})
        notify.spec_notification(conn, world, row, transition.to)
        notify.platform_event(conn, world, row, transition.event)
        return notify.payload(row)

    return await run(db, unit)


async def sweep(db: Database, secret_key: str, clock: Clock) -> int:
    """Expire every live consent past its consentExpiry, in every world; returns how many."""
    worlds = await db.read(lambda conn: worlds_with_lapsed_consents(conn, clock.now_us()))
    done = 0
    for world_id in worlds:

        def unit(conn: Connection, world_id: str = world_id) -> int:
            partner = get_partner(conn, world_id)
            if partner is None:
                return 0
            world = WorldContext.of(partner, secret_key, clock)
            store = ConsentStore(conn, world_id)
            return sum(expire(store, world, h) for h in store.lapsed(world.now_us))

        done += await db.write(unit)
    return done
