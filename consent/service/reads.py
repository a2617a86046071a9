"""Reading consents: POST /aa/Consent/handle and /aa/Consent/fetch (the spec's bodies), and the
partner's own listing (GET /v1/consents). A read that finds a consent past its consentExpiry
marks it EXPIRED first, so it runs as a write."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from consent import errors
from consent.models import VERSION, ConsentAccount, ConsentStatus, handle_status
from consent.schemas.consent import ConsentFetchRequest, ConsentHandleRequest
from consent.service import notify
from consent.service.lifecycle import current, eligible_accounts, find, run
from consent.service.wire import check_envelope
from consent.store import ConsentStore
from sandbox.errors import SandboxError
from sandbox.kit.clock import iso
from sandbox.kit.pagination import Before, cursor_pattern, keyset_page
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext

CURSOR_ID = r"[0-9a-f-]{36}"  # the ids its cursors carry (stated in the OpenAPI)
_CURSOR = cursor_pattern(CURSOR_ID)


async def handle_status_of(
    db: Database, world: WorldContext, body: ConsentHandleRequest
) -> dict[str, Any]:
    """``ConsentHandleResponse``: PENDING, READY with the consent id, FAILED or EXPIRED."""
    check_envelope(world, body)

    def unit(conn: Connection) -> dict[str, Any] | SandboxError:
        store = ConsentStore(conn, world.id)
        row = store.by_handle(body.ConsentHandle)
        if row is None:
            return errors.InvalidConsentHandle(
                f"ConsentHandle {body.ConsentHandle[:64]!r} is not a consent request of yours.",
                hint="Use the ConsentHandle that POST /aa/Consent answered.",
            )
        row = current(store, world, row)
        status: dict[str, Any] = {"status": handle_status(row.status, row.consent_id is not None)}
        if row.consent_id is not None:
            status = {"id": row.consent_id, **status}
        return {
            "ver": VERSION,
            "timestamp": iso(world.now_us),
            "txnid": body.txnid,
            "ConsentHandle": row.handle,
            "ConsentStatus": status,
        }

    return await run(db, unit)


async def fetch_artefact(
    db: Database, world: WorldContext, body: ConsentFetchRequest, log_base: str
) -> dict[str, Any]:
    """``ConsentArtefact``: the signed consent and its status (ACTIVE, PAUSED, REVOKED,
    EXPIRED); ``log_base`` is the sandbox's base URL, for ``ConsentUse.logUri``."""
    check_envelope(world, body)

    def unit(conn: Connection) -> dict[str, Any] | SandboxError:
        store = ConsentStore(conn, world.id)
        row = store.by_consent_id(body.consentId)
        if row is None:
            return errors.InvalidConsentId(
                f"consentId {body.consentId[:64]!r} is not a consent artefact of yours.",
                hint="Use the id POST /aa/Consent/handle answers once the status is READY.",
            )
        row = current(store, world, row)
        last_use = row.last_use_us if row.last_use_us is not None else row.approved_us
        return {
            "ver": VERSION,
            "txnid": body.txnid,
            "consentId": row.consent_id,
            "status": row.status,
            "createTimestamp": iso(row.approved_us),
            "signedConsent": row.signed_consent,
            "ConsentUse": {
                "logUri": f"{log_base.rstrip('/')}/v1/consents/{row.handle}/log",
                "count": row.use_count,
                "lastUseDateTime": iso(last_use),
            },
        }

    return await run(db, unit)


async def list_consents(
    db: Database, world: WorldContext, *, limit: int, cursor: str | None, status: str | None
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the world's consents, newest first (as of now: lapsed ones read EXPIRED)."""

    def read(conn: Connection, before: Before, n: int) -> list[Any]:
        store = ConsentStore(conn, world.id)
        return [current(store, world, r) for r in store.page(limit=n, before=before, status=status)]

    rows, nxt = await keyset_page(
        db.write, read, cursor=cursor, pattern=_CURSOR, limit=limit, key=_key
    )
    return [notify.payload(r) for r in rows], nxt


def _key(row: Any) -> tuple[int, str]:
    return row.created_us, row.handle


async def get_consent(db: Database, world: WorldContext, handle: str) -> dict[str, Any]:
    def unit(conn: Connection) -> dict[str, Any]:
        store = ConsentStore(conn, world.id)
        return notify.payload(current(store, world, find(store, handle)))

    return await db.write(unit)


@dataclass(frozen=True, slots=True)
class CustomerConsent:
    """A consent as the customer's AA app shows it: the consent (as GET /v1/consents shows
    it), whose it is, the ConsentDetail the FIU asked for (purpose, FI types, range,
    frequency, DataLife) and, while PENDING, the accounts of hers it may share."""

    consent: dict[str, Any]
    resident_uid: str
    detail: dict[str, Any]
    eligible: list[ConsentAccount]


def _customer_view(store: ConsentStore, world: WorldContext, row: Any) -> CustomerConsent:
    row = current(store, world, row)
    pending = row.status == ConsentStatus.PENDING
    return CustomerConsent(
        consent=notify.payload(row),
        resident_uid=str(row.resident_uid),
        detail=dict(row.detail),
        eligible=eligible_accounts(store, world, row) if pending else [],
    )


async def for_customer(db: Database, world: WorldContext, handle: str) -> CustomerConsent:
    """One consent for the AA app (ConsentNotFound if not of this world); the caller checks
    that ``resident_uid`` is the signed-in customer before showing or changing it."""

    def unit(conn: Connection) -> CustomerConsent:
        store = ConsentStore(conn, world.id)
        return _customer_view(store, world, find(store, handle))

    return await db.write(unit)


async def customer_consents(
    db: Database, world: WorldContext, resident_uid: str, *, limit: int, cursor: str | None
) -> tuple[list[CustomerConsent], str | None]:
    """A page of one customer's consents, newest first (as of now: lapsed ones read EXPIRED),
    and the cursor of the next (the same cursors as GET /v1/consents)."""

    def read(conn: Connection, before: Before, n: int) -> list[tuple[Any, CustomerConsent]]:
        store = ConsentStore(conn, world.id)
        rows = store.page(limit=n, before=before, status=None, resident_uid=resident_uid)
        return [(r, _customer_view(store, world, r)) for r in rows]

    pairs, nxt = await keyset_page(
        db.write, read, cursor=cursor, pattern=_CURSOR, limit=limit, key=lambda p: _key(p[0])
    )
    return [view for _, view in pairs], nxt


__all__ = [
    "ConsentStatus",
    "CustomerConsent",
    "customer_consents",
    "fetch_artefact",
    "for_customer",
    "get_consent",
    "handle_status_of",
    "list_consents",
]
