"""POST /aa/Consent: a consent request, checked (the spec's rules, then the purpose's fair-use
limits) before the unit of work, created once per txnid.

Rules (ReBIT 2.0.0 and ../shared/reference/aa.md): consentExpiry after consentStart and after
now; FIDataRange.from not after .to; DataLife above 0 only with consentMode STORE; DataLife INF
with value 0; Frequency at least 1 and at most 1 per HOUR (24 per DAY...), never INF in an
artefact (``SignedConsentDetail.Frequency.unit`` has no INF). Purpose 101-105 with its refUri,
then its fair-use limits (``models.PURPOSES``): a refusal names the rule.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.engine import Connection

from consent import errors
from consent.models import (
    PURPOSE_URI,
    PURPOSES,
    UNIT_HOURS,
    ConsentStatus,
    add_months,
    data_life_days,
    per_month,
)
from consent.schemas.consent import ConsentDetailModel, ConsentsRequest
from consent.service import log, notify
from consent.service.wire import check_envelope, once_per_txnid, parse_time
from consent.store import ConsentStore
from sandbox.kit.clock import iso
from sandbox.storage.database import Database
from sandbox.storage.idempotency import Answer
from sandbox.world.context import WorldContext


@dataclass(frozen=True, slots=True)
class RequestCommand:
    txnid: str
    customer_id: str
    purpose_code: str
    fetch_type: str
    detail: dict[str, Any]  # the ConsentDetail with its times normalised
    start_us: int
    expiry_us: int
    fingerprint: str


def _days(us: int) -> float:
    return us / 86_400_000_000


def _dt(us: int) -> datetime:
    return datetime.fromtimestamp(us / 1_000_000, tz=UTC)


def _check_rules(world: WorldContext, d: ConsentDetailModel) -> tuple[int, int, int, int]:
    start = parse_time(d.consentStart, "ConsentDetail.consentStart")
    expiry = parse_time(d.consentExpiry, "ConsentDetail.consentExpiry")
    fi_from = parse_time(d.FIDataRange.from_, "ConsentDetail.FIDataRange.from")
    fi_to = parse_time(d.FIDataRange.to, "ConsentDetail.FIDataRange.to")
    if expiry <= start:
        raise errors.InvalidRequest(
            "ConsentDetail.consentExpiry must be later than consentStart.",
            hint="Swap or fix the two dates.",
        )
    if expiry <= world.now_us:
        raise errors.InvalidRequest(
            f"ConsentDetail.consentExpiry {d.consentExpiry} is not in the future (world time "
            f"{iso(world.now_us)}).",
            hint="Pick an expiry after the world's time (GET /v1/sandbox/clock).",
        )
    if fi_from > fi_to:
        raise errors.InvalidRequest(
            "ConsentDetail.FIDataRange: from is later than to.", hint="Swap the two dates."
        )
    life = d.DataLife
    if life.unit == "INF" and life.value != 0:
        raise errors.InvalidRequest(
            f"ConsentDetail.DataLife: unit INF needs value 0 (got {life.value}).",
            hint='Send {"unit": "INF", "value": 0}.',
        )
    if (life.unit == "INF" or life.value > 0) and d.consentMode != "STORE":
        raise errors.InvalidRequest(
            f"ConsentDetail.DataLife: keeping data ({life.value} {life.unit}) needs consentMode "
            f"STORE; this consent is {d.consentMode}.",
            hint="Use consentMode STORE, or DataLife value 0 for VIEW.",
        )
    freq = d.Frequency
    # Frequency.unit INF and a value under 1 are refused by the schema (consent.schemas.consent).
    if freq.value > UNIT_HOURS[freq.unit]:
        raise errors.InvalidRequest(
            f"ConsentDetail.Frequency: {freq.value} per {freq.unit} is more than 1 fetch per hour "
            f"(at most {UNIT_HOURS[freq.unit]} per {freq.unit}).",
            hint="The spec caps Frequency at 1 request per HOUR.",
        )
    return start, expiry, fi_from, fi_to


def _check_purpose(d: ConsentDetailModel, span: tuple[int, int, int, int]) -> None:
    start, expiry, fi_from, fi_to = span
    code = d.Purpose.code
    rule = PURPOSES.get(code)
    if rule is None:
        raise errors.InvalidConsentPurpose(
            f"ConsentDetail.Purpose.code {code[:10]!r} is not a purpose of the AA technical "
            "specification.",
            hint="Use 101 (wealth management), 102 (spending patterns), 103 (aggregated "
            "statement), 104 (monitoring) or 105 (one-time).",
        )
    uri = PURPOSE_URI.format(code=code)
    if d.Purpose.refUri is not None and d.Purpose.refUri != uri:
        raise errors.InvalidConsentPurpose(
            f"ConsentDetail.Purpose.refUri must be {uri} for purpose {code}.",
            hint="Send the purpose's own refUri, or leave it out.",
        )
    name = f"fair use of purpose {code} ({rule.text})"
    if d.fetchType not in rule.fetch_types:
        raise errors.InvalidConsentPurpose(
            f"{name}: fetchType {d.fetchType} is not allowed; it needs "
            f"{' or '.join(sorted(rule.fetch_types))}.",
            hint="Change fetchType, or use the purpose that fits it.",
        )
    extra_types = sorted(set(d.consentTypes) - rule.consent_types)
    if extra_types:
        raise errors.InvalidConsentPurpose(
            f"{name}: consentTypes {', '.join(extra_types)} are not allowed; only "
            f"{', '.join(sorted(rule.consent_types))}.",
            hint="Ask only for what the purpose needs.",
        )
    if d.fetchType == "PERIODIC":
        rate = per_month(d.Frequency.unit, d.Frequency.value)
        if rate > rule.max_per_month:
            raise errors.InvalidConsentPurpose(
                f"{name}: Frequency {d.Frequency.value} per {d.Frequency.unit} is "
                f"{rate:g} per month; the limit is {rule.max_per_month:g} per month.",
                hint="Ask for fewer fetches.",
            )
    life = data_life_days(d.DataLife.unit, d.DataLife.value)
    if life > rule.max_data_life_days:
        raise errors.InvalidConsentPurpose(
            f"{name}: DataLife {d.DataLife.value} {d.DataLife.unit} is longer than "
            f"{rule.max_data_life_days:g} days.",
            hint="Keep the data for a shorter time.",
        )
    range_cap = add_months(_dt(fi_from), rule.max_range_months).timestamp() * 1_000_000
    if fi_to > range_cap or (
        rule.max_range_days is not None and _days(fi_to - fi_from) > rule.max_range_days
    ):
        limit = (
            f"{rule.max_range_days} day(s)"
            if rule.max_range_days is not None
            else f"{rule.max_range_months} months"
        )
        raise errors.InvalidConsentPurpose(
            f"{name}: FIDataRange spans {_days(fi_to - fi_from):.1f} days; the limit is {limit}.",
            hint="Ask for a shorter range.",
        )
    expiry_cap = add_months(_dt(start), rule.max_expiry_months).timestamp() * 1_000_000
    if expiry > expiry_cap or (
        rule.max_expiry_days is not None and _days(expiry - start) > rule.max_expiry_days
    ):
        limit = (
            f"{rule.max_expiry_days} day(s)"
            if rule.max_expiry_days is not None
            else f"{rule.max_expiry_months} months"
        )
        raise errors.InvalidConsentPurpose(
            f"{name}: the consent lasts {_days(expiry - start):.1f} days "
            f"(consentStart to consentExpiry); the limit is {limit}.",
            hint="Pick an earlier consentExpiry.",
        )


def prepare_request(world: WorldContext, body: ConsentsRequest) -> RequestCommand:
    """Everything checkable without the database, in the spec's order."""
    check_envelope(world, body)
    d = body.ConsentDetail
    span = _check_rules(world, d)
    _check_purpose(d, span)
    if not d.Customer.id:
        raise errors.InvalidCustomerAddress(
            "ConsentDetail.Customer.id is missing.",
            hint="Send the customer's AA handle, e.g. asha@sandbox-aa.",
        )
    start, expiry, fi_from, fi_to = span
    detail = d.model_dump(mode="json", by_alias=True, exclude_none=True)
    detail["consentStart"], detail["consentExpiry"] = iso(start), iso(expiry)
    detail["FIDataRange"] = {"from": iso(fi_from), "to": iso(fi_to)}
    signed = body.model_dump(mode="json", by_alias=True, exclude={"timestamp"})
    return RequestCommand(
        txnid=body.txnid,
        customer_id=d.Customer.id,
        purpose_code=d.Purpose.code,
        fetch_type=d.fetchType,
        detail=detail,
        start_us=start,
        expiry_us=expiry,
        # a retry may restamp its timestamp: the same txnid and content is the same request
        fingerprint=world.fingerprint("aa.consent", signed),
    )


async def request_consent(db: Database, world: WorldContext, cmd: RequestCommand) -> Answer:
    """A PENDING consent for the customer to approve; ``ConsentsResponse``. The same txnid and
    content replays the first answer; other content is IdempotencyError."""

    def effect(conn: Connection) -> tuple[int, dict[str, Any]]:
        store = ConsentStore(conn, world.id)
        resident = store.resident_of_handle(cmd.customer_id)
        if resident is None:
            raise errors.InvalidCustomerAddress(
                f"ConsentDetail.Customer.id {cmd.customer_id[:255]!r} is no customer of this AA "
                "in your world.",
                hint="Use a persona's AA handle (GET /v1/sandbox/personas: aaHandle), e.g. "
                "asha@sandbox-aa.",
            )
        handle = str(uuid.uuid4())
        store.add(
            {
                "handle": handle,
                "consent_id": None,
                "status": ConsentStatus.PENDING.value,
                "txnid": cmd.txnid,
                "customer_id": cmd.customer_id,
                "resident_uid": resident,
                "purpose_code": cmd.purpose_code,
                "fetch_type": cmd.fetch_type,
                "detail": cmd.detail,
                "start_us": cmd.start_us,
                "expiry_us": cmd.expiry_us,
                "use_count": 0,
                "created_us": world.now_us,
                "updated_us": world.now_us,
            }
        )
        log.append(store, world, handle, "REQUESTED", {"txnid": cmd.txnid, "detail": cmd.detail})
        row = store.by_handle(handle)
        notify.platform_event(conn, world, row, "requested")
        body = {
            "ver": "2.0.0",
            "timestamp": iso(world.now_us),
            "txnid": cmd.txnid,
            "Customer": {"id": cmd.customer_id},
            "ConsentHandle": handle,
        }
        return 200, body

    return await once_per_txnid(
        db, world, cmd.txnid, cmd.fingerprint, effect, operation="POST /aa/Consent"
    )
