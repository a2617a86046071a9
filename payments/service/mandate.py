"""UPI AutoPay mandates: create, approve or decline, pause, resume, revoke, expire (the notice
and the debit against it are in ``mandate_debit``).

Follows NPCI's ReqMandate flows and the UPI AutoPay operating rules:

* ReqMandate CREATE: the payee (a merchant) asks for a mandate; the payer approves it with the
  UPI PIN (checked exactly like a payment: AM / ZM / Z6) or declines it. The mandate is named by
  its UMN (unique mandate number, ``<32 alphanumerics>@sandbox`` here).
* Pre-debit notification: every execution is announced to the payer at least 24 h of world
  time before the debit (``/notify``); each notice carries the cycle's ``seqNumber`` (1, 2, ...).
* Execution: a ReqPay against the UMN for a notified amount (at most the mandate's limit). Above
  the country's AutoPay limit (India: 15,000.00) the payer's PIN is needed; under it, none.
  Declines: QA mandate paused, QB already honoured (this notice, or this recurrence period),
  QC revoked, QD expired. Every execution, honoured or declined, is a MANDATE transaction.
* ReqMandate UPDATE (pause, resume) and REVOKE, by the payer: ACTIVE <-> PAUSED,
  ACTIVE | PAUSED -> REVOKED. Past ``validUntil`` a live mandate is EXPIRED.

A request that cannot be processed gets a problem: an unknown UMN (404), a state that does not
allow the action (409 ``invalid-state``, naming the current state), a notice executed before its
24 h have passed (409 ``invalid-state``, naming the earliest time: the request is fine, only too
early, so nothing is recorded and the same request succeeds later), a missing PIN above the
AutoPay limit (422 naming ``pin``).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from payments.errors import InvalidPaymentField, InvalidState, MandateNotFound
from payments.models import (
    APPROVE,
    CHANGES,
    MANDATE_LIVE,
    PENDING,
    Change,
    Decline,
    Mandate,
    MandateStatus,
    new_umn,
    status_now,
)
from payments.schemas.mandate import MandateIn
from payments.service import idempotency
from payments.service.decide import check_pin
from payments.service.transactions import (
    MANDATE_CREATED,
    MANDATE_EXPIRED,
)
from payments.service.validate import amount_of, parse_time, two_parties
from payments.service.views import mandate_payload
from payments.store import PaymentsStore
from sandbox.errors import SandboxError
from sandbox.kit.clock import iso
from sandbox.kit.pagination import cursor_pattern, page, parse_cursor
from sandbox.storage.database import Database
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext

CURSOR_ID = r"[a-z0-9]{32}@sandbox"  # the ids its cursors carry (stated in the OpenAPI)
_CURSOR = cursor_pattern(CURSOR_ID)  # UMNs
T = TypeVar("T")


# -- commands (validated off the unit of work: parsing, PIN hashing, fingerprints) --------------


@dataclass(frozen=True, slots=True)
class CreateCommand:
    umn: str
    payer_vpa: str
    payee_vpa: str
    amount_limit: int
    recurrence: str
    purpose: str | None
    valid_from_us: int
    valid_until_us: int
    fingerprint: str
    idempotency_key: str | None


def prepare_create(world: WorldContext, body: MandateIn, key: str | None) -> CreateCommand:
    payer_vpa, payee_vpa = two_parties(
        body.payer.vpa,
        body.payee.vpa,
        hint="The payee is the merchant that debits the payer, e.g. meeras.kirana@sandbox.",
    )
    amount_limit = amount_of(world, body.amount_limit, "amountLimit")
    if amount_limit > world.country.per_txn_limit:
        raise InvalidPaymentField(
            "amountLimit",
            "per_txn_limit",
            f"{world.money(amount_limit)} is over the per-transaction limit "
            f"{world.money(world.country.per_txn_limit)}",
            hint="A mandate debits at most one transaction's worth at a time; ask for less.",
        )
    valid_from_us = parse_time(body.valid_from, "validFrom") if body.valid_from else world.now_us
    valid_until_us = parse_time(body.valid_until, "validUntil")
    if valid_until_us <= max(valid_from_us, world.now_us):
        raise InvalidPaymentField(
            "validUntil",
            "after_valid_from",
            f"must be later than validFrom and the world time now ({iso(world.now_us)})",
            hint="Pick a validUntil in the world's future (GET /v1/sandbox/clock shows now).",
        )
    return CreateCommand(
        umn=new_umn(),
        payer_vpa=payer_vpa,
        payee_vpa=payee_vpa,
        amount_limit=amount_limit,
        recurrence=body.recurrence,
        purpose=body.purpose,
        valid_from_us=valid_from_us,
        valid_until_us=valid_until_us,
        fingerprint=world.fingerprint(
            "upi.mandate.create", body.model_dump(mode="json", by_alias=True)
        ),
        idempotency_key=key,
    )


async def payer_of(db: Database, world: WorldContext, umn: str) -> str:
    """The payer's VPA of ``umn`` (read before a unit of work, to hash a PIN outside it)."""

    def unit(conn: Connection) -> str:
        return str(find(PaymentsStore(conn, world.id), umn).payer_vpa)

    return await db.read(unit)


# -- shared steps inside a unit of work ----------------------------------------------------------


def find(store: PaymentsStore, umn: str, *, lock: bool = False) -> Mandate:
    row = store.mandate(umn, lock=lock)
    if row is None:
        raise MandateNotFound(
            f"No mandate '{umn[:64]}' in your world.",
            hint="Use the umn that POST /v1/upi/mandates answered; other partners' mandates "
            "are never visible.",
            responseCode="U04",
        )
    return row


def expire_if_lapsed(store: PaymentsStore, world: WorldContext, row: Mandate) -> Mandate:
    """The mandate as of now: a live one past its validUntil is marked EXPIRED first."""
    if row.status in MANDATE_LIVE and status_now(row, world.now_us) == MandateStatus.EXPIRED:
        _expire(store, world, row.umn)
        return find(store, row.umn)
    return row


def _expire(store: PaymentsStore, world: WorldContext, umn: str) -> bool:
    """EXPIRED, once, with ``mandate.expired``; False if it was no longer live."""
    if not store.set_mandate_status(umn, MANDATE_LIVE, MandateStatus.EXPIRED, world.now_us):
        return False
    emit(store.conn, world, MANDATE_EXPIRED, mandate_payload(find(store, umn), world))
    return True


async def _run(db: Database, unit: Callable[[Connection], T | SandboxError]) -> T:
    """Run ``unit``; a refusal it returns is raised after its commit (an expiry it wrote stays)."""
    result = await db.write(unit)
    if isinstance(result, SandboxError):
        raise result
    return result


def invalid_state(row: Mandate, action: str, allowed: frozenset[str]) -> InvalidState:
    state = str(row.status)
    hints = {
        "EXPIRED": "The mandate passed its validUntil; create a new one.",
        "REVOKED": "A revoked mandate is final; create a new one.",
        "DECLINED": "The payer declined it; create a new one.",
        "PENDING_APPROVAL": "The payer must approve it first (POST .../approve with the PIN).",
        "PAUSED": "Resume it first (POST .../resume).",
        "ACTIVE": "It is already active.",
    }
    return InvalidState(
        f"Cannot {action} mandate {row.umn}: it is {state}; {action} needs "
        f"{' or '.join(sorted(allowed))}.",
        hint=hints.get(state),
        currentState=state,
    )


# -- use cases ---------------------------------------------------------------------------------


async def create(
    db: Database, world: WorldContext, cmd: CreateCommand
) -> tuple[dict[str, Any], bool]:
    """ReqMandate CREATE by the payee: a PENDING_APPROVAL mandate the payer approves or not."""

    def effect(store: PaymentsStore) -> tuple[int, dict[str, Any]]:
        for field, vpa in (("payer.vpa", cmd.payer_vpa), ("payee.vpa", cmd.payee_vpa)):
            party = store.party(vpa)
            if party is None:
                error = InvalidPaymentField(
                    field,
                    "vpa_exists",
                    f"{vpa} does not exist in this world",
                    hint="Use a persona's VPA (GET /v1/sandbox/personas).",
                )
                error.extra["responseCode"] = "ZH"
                raise error
            if field == "payee.vpa" and not party.is_merchant:
                raise InvalidPaymentField(
                    field,
                    "merchant",
                    f"{vpa} is not a merchant; AutoPay mandates are created by merchants",
                    hint="Use a merchant persona as the payee, e.g. meeras.kirana@sandbox.",
                )
        mandate = Mandate(
            umn=cmd.umn,
            status=PENDING.value,
            payer_vpa=cmd.payer_vpa,
            payee_vpa=cmd.payee_vpa,
            amount_limit=cmd.amount_limit,
            currency=world.country.currency,
            recurrence=cmd.recurrence,
            purpose=cmd.purpose,
            valid_from_us=cmd.valid_from_us,
            valid_until_us=cmd.valid_until_us,
            created_us=world.now_us,
            updated_us=world.now_us,
        )
        store.add_mandate(mandate)
        body = mandate_payload(mandate, world)
        emit(store.conn, world, MANDATE_CREATED, body)
        return 201, body

    return await idempotency.write_once(
        db,
        world,
        idempotency_key=cmd.idempotency_key,
        client_txn_id=None,
        fingerprint=cmd.fingerprint,
        operation="POST /v1/upi/mandates",
        effect=effect,
    )


async def approve(db: Database, world: WorldContext, umn: str, pin: str) -> dict[str, Any]:
    """The payer approves a mandate with the UPI PIN; AM / ZM / Z6 answer 200 with the code and
    leave the mandate PENDING_APPROVAL (tries count as for payments)."""
    candidate = world.pin_hash(await payer_of(db, world, umn), pin)

    def unit(conn: Connection) -> dict[str, Any] | SandboxError:
        store = PaymentsStore(conn, world.id)
        row = expire_if_lapsed(store, world, find(store, umn, lock=True))
        if row.status not in APPROVE.allowed:
            return invalid_state(row, "approve", APPROVE.allowed)
        payer = store.party(row.payer_vpa)
        problem = (
            Decline("ZH", f"{row.payer_vpa} no longer exists")
            if payer is None
            else check_pin(store, world, payer, candidate)
        )
        if problem is not None:
            return mandate_payload(row, world, code=problem.code, detail=problem.detail)
        return _change(store, world, row, APPROVE, "approved by the payer")

    return await _run(db, unit)


async def change(db: Database, world: WorldContext, umn: str, action: str) -> dict[str, Any]:
    """Decline (a pending mandate), pause, resume or revoke, by the payer."""
    rule = CHANGES[action]

    def unit(conn: Connection) -> dict[str, Any] | SandboxError:
        store = PaymentsStore(conn, world.id)
        row = expire_if_lapsed(store, world, find(store, umn, lock=True))
        if row.status not in rule.allowed:
            return invalid_state(row, action, rule.allowed)
        return _change(store, world, row, rule, f"{rule.after.value.lower()} by the payer")

    return await _run(db, unit)


def _change(
    store: PaymentsStore, world: WorldContext, row: Mandate, rule: Change, detail: str
) -> dict[str, Any]:
    store.set_mandate_status(row.umn, rule.allowed, rule.after, world.now_us)  # row is locked
    body = mandate_payload(find(store, row.umn), world, code="00", detail=detail)
    emit(store.conn, world, rule.event, body)
    return body


# -- reads -------------------------------------------------------------------------------------


async def get(db: Database, world: WorldContext, umn: str) -> dict[str, Any]:
    def unit(conn: Connection) -> dict[str, Any]:
        return mandate_payload(find(PaymentsStore(conn, world.id), umn), world)

    return await db.read(unit)


async def list_mandates(
    db: Database,
    world: WorldContext,
    *,
    limit: int,
    cursor: str | None,
    vpa: str | None,
    status: str | None,
    payer_vpas: Collection[str] | None = None,
) -> tuple[list[dict[str, Any]], str | None]:
    """A page of the world's mandates, newest first: naming ``vpa`` (payer or payee), paid by
    one of ``payer_vpas`` (a resident's own, as her UPI app lists them), in ``status``."""
    before = parse_cursor(cursor, _CURSOR)

    def unit(conn: Connection) -> tuple[list[dict[str, Any]], str | None]:
        rows = PaymentsStore(conn, world.id).mandates(
            limit=limit + 1,
            before=before,
            vpa=vpa.lower() if vpa else None,
            status=status,
            now_us=world.now_us,
            payer_vpas=None if payer_vpas is None else {v.lower() for v in payer_vpas},
        )
        kept, nxt = page(rows, limit, lambda r: (r.created_us, r.umn))
        return [mandate_payload(r, world) for r in kept], nxt

    return await db.read(unit)


# -- the sweeper -------------------------------------------------------------------------------


def expire_lapsed(store: PaymentsStore, world: WorldContext) -> int:
    """Mark every live mandate past its validUntil EXPIRED; returns how many."""
    return sum(_expire(store, world, row.umn) for row in store.lapsed_mandates(world.now_us))
