"""What the FI part (POST /aa/FI/request) asks of consent: load an artefact of the caller's
world by consentId and check it can serve a fetch now.

``usable_consent(conn, world, consent_id)`` runs inside the FI part's unit of work and returns
a frozen ``models.UsableConsent`` (FI types, accounts with their account numbers, FIDataRange,
DataLife, Frequency, DataFilter, the signed consent...), or raises the spec's error
(AA_2_0_0.yaml ``BadRequestFIRequest`` / ``ForbiddenFIFetch``):

- unknown consentId -> InvalidConsentId (400)
- PAUSED -> ConsentPaused (403); REVOKED -> ConsentRevoked (403); EXPIRED, or past
  consentExpiry (marked EXPIRED, logged and notified first) -> ConsentExpired (403)
- before consentStart -> InvalidConsentUse (400)
- ONETIME already used once -> InvalidConsentUse; PERIODIC with Frequency.value fetches already
  in the last Frequency.unit (HOUR, DAY, MONTH = 30 days, YEAR = 365 days) -> InvalidConsentUse

``record_use(conn, world, consent, data)`` then counts the fetch (ConsentUse.count and
lastUseDateTime) and logs it as ``FI_REQUEST`` (which Frequency counts). An expiry found by
``usable_consent`` is written in the caller's unit: the caller should commit it (return the
error from its unit rather than raise it) so the FIU sees it later too; either way a later read
finds the consent expired again. ``load_usable_consent`` is the same for callers outside a unit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.engine import Connection

from consent import errors
from consent.models import (
    ConsentAccount,
    ConsentStatus,
    UsableConsent,
    frequency_window_us,
)
from consent.service import log
from consent.service.lifecycle import current
from consent.service.wire import parse_time
from consent.store import ConsentStore
from sandbox.kit.clock import iso
from sandbox.storage.database import Database
from sandbox.world.context import WorldContext


def _model(row: Any) -> UsableConsent:
    d = row.detail
    return UsableConsent(
        consent_id=row.consent_id,
        handle=row.handle,
        world_id=row.world_id,
        customer_id=row.customer_id,
        resident_uid=row.resident_uid,
        purpose_code=row.purpose_code,
        consent_mode=d["consentMode"],
        fetch_type=d["fetchType"],
        consent_types=tuple(d["consentTypes"]),
        fi_types=tuple(d["fiTypes"]),
        accounts=tuple(ConsentAccount.of(a) for a in row.accounts),
        fi_from_us=parse_time(d["FIDataRange"]["from"], "FIDataRange.from"),
        fi_to_us=parse_time(d["FIDataRange"]["to"], "FIDataRange.to"),
        data_life_unit=d["DataLife"]["unit"],
        data_life_value=int(d["DataLife"]["value"]),
        frequency_unit=d["Frequency"]["unit"],
        frequency_value=int(d["Frequency"]["value"]),
        data_filters=tuple(d.get("DataFilter") or ()),
        consent_start_us=row.start_us,
        consent_expiry_us=row.expiry_us,
        signed_consent=row.signed_consent,
        use_count=row.use_count,
        last_use_us=row.last_use_us,
    )


def usable_consent(conn: Connection, world: WorldContext, consent_id: str) -> UsableConsent:
    """The ACTIVE artefact ``consent_id`` of ``world``, checked usable for one more fetch now."""
    store = ConsentStore(conn, world.id)
    row = store.by_consent_id(consent_id, lock=True)
    if row is None:
        raise errors.InvalidConsentId(
            f"Consent.id {consent_id[:64]!r} is not a consent artefact of yours.",
            hint="Use the consentId POST /aa/Consent/handle answered once READY.",
        )
    row = current(store, world, row)
    status = row.status
    if status == ConsentStatus.PAUSED:
        raise errors.ConsentPaused(
            f"Consent {consent_id} is PAUSED by the customer.",
            hint="Wait until she resumes it (a notification says ACTIVE).",
        )
    if status == ConsentStatus.REVOKED:
        raise errors.ConsentRevoked(
            f"Consent {consent_id} was REVOKED by the customer.", hint="Ask for a new consent."
        )
    if status == ConsentStatus.EXPIRED:
        raise errors.ConsentExpired(
            f"Consent {consent_id} expired at {iso(row.expiry_us)} (world time).",
            hint="Ask for a new consent.",
        )
    if status != ConsentStatus.ACTIVE:
        raise errors.InvalidConsentStatus(
            f"Consent {consent_id} is {status}; FI requests need ACTIVE.",
            hint="Wait for the customer's approval.",
        )
    consent = _model(row)
    if world.now_us < consent.consent_start_us:
        raise errors.InvalidConsentUse(
            f"Consent {consent_id} starts at {iso(consent.consent_start_us)} (consentStart); "
            f"the world's time is {iso(world.now_us)}.",
            hint="Wait until consentStart, or advance the world's clock.",
        )
    if consent.fetch_type == "ONETIME" and consent.use_count >= 1:
        raise errors.InvalidConsentUse(
            f"Consent {consent_id} is ONETIME and was already used.",
            hint="Ask for a new consent (or a PERIODIC one).",
        )
    if consent.fetch_type == "PERIODIC":
        window = frequency_window_us(consent.frequency_unit)
        used = store.uses_since(consent.handle, world.now_us - window + 1)
        if used >= consent.frequency_value:
            raise errors.InvalidConsentUse(
                f"Consent {consent_id} allows {consent.frequency_value} fetch(es) per "
                f"{consent.frequency_unit} (Frequency) and {used} were made in the last "
                f"{consent.frequency_unit.lower()}.",
                hint="Wait (or advance the world's clock) before the next FI request.",
            )
    return consent


async def load_usable_consent(db: Database, world: WorldContext, consent_id: str) -> UsableConsent:
    """``usable_consent`` in a unit of its own."""
    return await db.write(lambda conn: usable_consent(conn, world, consent_id))


def record_use(
    conn: Connection, world: WorldContext, consent: UsableConsent, data: dict[str, Any]
) -> None:
    """Count one FI request on ``consent`` and log it (``FI_REQUEST``, with ``data``: the
    session id, range...), in the caller's unit."""
    store = ConsentStore(conn, world.id)
    store.record_use(consent.handle, world.now_us)
    log.append(store, world, consent.handle, "FI_REQUEST", data)
