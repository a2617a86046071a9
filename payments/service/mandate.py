"""UPI AutoPay mandates: create, approve or decline, pre-debit notice, execute, pause, resume,
revoke, expire.

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

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Connection

from payments.errors import InvalidPaymentField, InvalidState, MandateNotFound
from payments.models import (
    ACTIVE,
    APPROVE,
    CHANGES,
    MANDATE_LIVE,
    NOTICE_US,
    PAUSED,
    PENDING,
    Change,
    Decline,
    Mandate,
    MandateStatus,
    Notice,
    Status,
    new_notice_id,
    new_txn_id,
    new_umn,
    period_of,
    status_now,
)
from payments.schemas.mandate import ExecuteIn, MandateIn, NotifyIn
from payments.service import idempotency
from payments.service.decide import Order, Outcome, check_pin, decide_payment
from payments.service.transactions import (
    MANDATE_CREATED,
    MANDATE_EXPIRED,
    MANDATE_NOTIFIED,
    announce,
    record,
)
from payments.service.validate import amount_of, check_txn_id, parse_time, two_parties
from payments.service.views import mandate_payload, notice_payload
from payments.store import PaymentsStore
from sandbox.errors import SandboxError
from sandbox.kit.clock import iso
from sandbox.kit.pagination import cursor_pattern, make_cursor, parse_cursor
from sandbox.storage.database import Database
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext

_CURSOR = cursor_pattern(r"[a-z0-9]{32}@sandbox")  # UMNs
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


@dataclass(frozen=True, slots=True)
class NotifyCommand:
    umn: str
    amount: int
    execute_at_us: int | None
    fingerprint: str
    idempotency_key: str | None


@dataclass(frozen=True, slots=True)
class ExecuteCommand:
    umn: str
    notice_id: str
    pin_hash: str | None
    txn_id: str
    client_txn_id: str | None
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


def prepare_notify(world: WorldContext, umn: str, body: NotifyIn, key: str | None) -> NotifyCommand:
    return NotifyCommand(
        umn=umn,
        amount=amount_of(world, body.amount),
        execute_at_us=parse_time(body.execute_at, "executeAt") if body.execute_at else None,
        fingerprint=world.fingerprint(
            f"upi.mandate.notify {umn}", body.model_dump(mode="json", by_alias=True)
        ),
        idempotency_key=key,
    )


async def prepare_execute(
    db: Database, world: WorldContext, umn: str, body: ExecuteIn, key: str | None
) -> ExecuteCommand:
    pin_hash = world.pin_hash(await payer_of(db, world, umn), body.pin) if body.pin else None
    return ExecuteCommand(
        umn=umn,
        notice_id=body.notice_id,
        pin_hash=pin_hash,
        txn_id=check_txn_id(body.txn_id) if body.txn_id else new_txn_id(),
        client_txn_id=body.txn_id,
        fingerprint=world.fingerprint(
            f"upi.mandate.execute {umn}", body.model_dump(mode="json", by_alias=True)
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


async def notify(
    db: Database, world: WorldContext, cmd: NotifyCommand
) -> tuple[dict[str, Any], bool]:
    """Pre-debit notification (AutoPay rule): the debit may happen 24 h of world time later, or
    at ``executeAt`` if that is later, for at most the mandate's amount limit."""

    def effect(store: PaymentsStore) -> tuple[int, dict[str, Any]] | SandboxError:
        row = expire_if_lapsed(store, world, find(store, cmd.umn, lock=True))
        if row.status != ACTIVE:
            return invalid_state(row, "notify", frozenset({ACTIVE}))
        if cmd.amount > row.amount_limit:
            raise InvalidPaymentField(
                "amount",
                "within_amount_limit",
                f"{world.money(cmd.amount)} is over the mandate's amountLimit "
                f"{world.money(row.amount_limit)}",
                hint="Notify at most the amount the payer approved.",
            )
        earliest = max(world.now_us + NOTICE_US, cmd.execute_at_us or 0, row.valid_from_us)
        if earliest > row.valid_until_us:
            raise _too_late(row, earliest, cmd.execute_at_us)
        notice = Notice(
            id=new_notice_id(),
            umn=row.umn,
            seq_number=store.next_notice_seq(row.umn),
            amount=cmd.amount,
            notified_us=world.now_us,
            execute_after_us=earliest,
        )
        store.add_notice(notice)
        body = notice_payload(notice, world)
        emit(store.conn, world, MANDATE_NOTIFIED, body)
        return 201, body

    return await idempotency.write_once(
        db,
        world,
        idempotency_key=cmd.idempotency_key,
        client_txn_id=None,
        fingerprint=cmd.fingerprint,
        effect=effect,
    )


def _too_late(row: Mandate, earliest: int, execute_at: int | None) -> SandboxError:
    what = f"the debit could happen at {iso(earliest)}, after validUntil {iso(row.valid_until_us)}"
    if execute_at is not None:
        return InvalidPaymentField(
            "executeAt",
            "before_valid_until",
            what,
            hint="Pick an executeAt before the mandate's validUntil.",
        )
    return InvalidState(
        f"Cannot notify mandate {row.umn}: {what} (24 h of notice).",
        hint="The mandate ends too soon for another debit; create a new one.",
        currentState=str(row.status),
    )


async def execute(
    db: Database, world: WorldContext, cmd: ExecuteCommand
) -> tuple[dict[str, Any], bool]:
    """ReqPay against a mandate for a notified amount; declines answer 200 with their code."""

    def effect(store: PaymentsStore) -> tuple[int, dict[str, Any]]:
        row = find(store, cmd.umn, lock=True)  # executions of one mandate run one by one
        notice = store.notice(cmd.umn, cmd.notice_id)
        if notice is None:
            raise InvalidPaymentField(
                "noticeId",
                "notice_of_mandate",
                f"mandate {cmd.umn} has no pre-debit notice '{cmd.notice_id[:40]}'",
                hint="Send the noticeId that POST .../notify answered for this mandate.",
            )
        row = expire_if_lapsed(store, world, row)
        above_limit = notice.amount > world.country.autopay_no_pin_limit
        order = Order(
            cmd.txn_id,
            row.payer_vpa,
            row.payee_vpa,
            notice.amount,
            cmd.pin_hash if above_limit else None,  # under the limit no PIN is asked
        )
        declined = _declined(store, world, row, notice)
        if declined is not None:
            outcome = Outcome(Status.FAILURE, declined.code, declined.detail, None, None)
        else:
            _check_ready(world, notice, order, above_limit)
            outcome = decide_payment(store, world, order)
            if outcome.status in (Status.SUCCESS, Status.DEEMED) and not store.honour_notice(
                cmd.umn, cmd.notice_id, cmd.txn_id, world.now_us
            ):
                raise AssertionError(f"notice {cmd.notice_id} honoured twice")  # row locked
        txn = record(store, world, "MANDATE", order, outcome, mandate_id=cmd.umn)
        return 200, announce(store.conn, world, txn, outcome)

    return await idempotency.write_once(
        db,
        world,
        idempotency_key=cmd.idempotency_key,
        client_txn_id=cmd.client_txn_id,
        fingerprint=cmd.fingerprint,
        effect=effect,
    )


def _declined(
    store: PaymentsStore, world: WorldContext, row: Mandate, notice: Notice
) -> Decline | None:
    """QC / QD / QA (the mandate's state), then QB (this notice, or this period, is honoured)."""
    if row.status == MandateStatus.REVOKED:
        return Decline("QC", f"mandate {row.umn} was revoked")
    if row.status == MandateStatus.EXPIRED:
        return Decline("QD", f"mandate {row.umn} expired at {iso(row.valid_until_us)}")
    if row.status == PAUSED:
        return Decline("QA", f"mandate {row.umn} is paused by the payer")
    if notice.txn_id is not None:
        return Decline("QB", f"notice {notice.id} was already honoured by {notice.txn_id}")
    last = store.last_honoured_notice(row.umn)
    if last is not None and last.executed_us is not None:
        period = period_of(row.recurrence, row.valid_from_us, world.now_us)
        if period is not None and period == period_of(
            row.recurrence, row.valid_from_us, last.executed_us
        ):
            return Decline(
                "QB",
                f"the {row.recurrence} mandate was already honoured in this period by "
                f"{last.txn_id} at {iso(last.executed_us)}",
            )
    return None


def _check_ready(world: WorldContext, notice: Notice, order: Order, above_limit: bool) -> None:
    """Refuse (nothing recorded) an execution that is too early or lacks the PIN it needs."""
    if world.now_us < notice.execute_after_us:
        wait_s = -(-(notice.execute_after_us - world.now_us) // 1_000_000)
        raise InvalidState(
            f"Notice {notice.id} may be executed from {iso(notice.execute_after_us)} (the "
            f"payer is notified at least 24 h of world time before a debit); it is "
            f"{iso(world.now_us)} now.",
            hint=f"Execute it then, or advance the world clock: POST /v1/sandbox/clock/advance "
            f'{{"seconds": {wait_s}}}.',
            earliestExecution=iso(notice.execute_after_us),
            currentState=ACTIVE.value,
        )
    if above_limit and order.pin_hash is None:
        limit = world.money(world.country.autopay_no_pin_limit)
        raise InvalidPaymentField(
            "pin",
            "required_above_autopay_limit",
            f"{world.money(order.amount)} is above the AutoPay limit {limit}: the payer's UPI "
            "PIN is needed",
            hint=f"Send the payer's UPI PIN as `pin`, or notify at most {limit}.",
        )


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
) -> tuple[list[dict[str, Any]], str | None]:
    before = parse_cursor(cursor, _CURSOR)

    def unit(conn: Connection) -> tuple[list[dict[str, Any]], str | None]:
        rows = PaymentsStore(conn, world.id).mandates(
            limit=limit + 1,
            before=before,
            vpa=vpa.lower() if vpa else None,
            status=status,
            now_us=world.now_us,
        )
        more = len(rows) > limit
        rows = rows[:limit]
        nxt = make_cursor(rows[-1].created_us, rows[-1].umn) if more else None
        return [mandate_payload(r, world) for r in rows], nxt

    return await db.read(unit)


# -- the sweeper -------------------------------------------------------------------------------


def expire_lapsed(store: PaymentsStore, world: WorldContext) -> int:
    """Mark every live mandate past its validUntil EXPIRED; returns how many."""
    return sum(_expire(store, world, row.umn) for row in store.lapsed_mandates(world.now_us))
