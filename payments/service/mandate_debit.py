"""UPI AutoPay debits: the pre-debit notice and the execution against it.

* Pre-debit notification: every execution is announced to the payer at least 24 h of world
  time before the debit (``/notify``); each notice carries the cycle's ``seqNumber`` (1, 2, ...).
* Execution: a ReqPay against the UMN for a notified amount (at most the mandate's limit). Above
  the country's AutoPay limit (India: 15,000.00) the payer's PIN is needed; under it, none.
  Declines: QA mandate paused, QB already honoured (this notice, or this recurrence period),
  QC revoked, QD expired. Every execution, honoured or declined, is a MANDATE transaction.

A notice executed before its 24 h have passed is refused (409 ``invalid-state``, naming the
earliest time: the request is fine, only too early, so nothing is recorded and the same request
succeeds later), and so is a missing PIN above the AutoPay limit (422 naming ``body.pin``).
The mandate's lifecycle (create, approve, pause, resume, revoke, expiry) is in ``mandate``.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass
from typing import Any

from sqlalchemy.engine import Connection

from payments.errors import InvalidPaymentField, InvalidState
from payments.models import (
    ACTIVE,
    NOTICE_US,
    PAUSED,
    Decline,
    Mandate,
    MandateStatus,
    Notice,
    Status,
    new_notice_id,
    new_txn_id,
    period_of,
)
from payments.schemas.mandate import ExecuteIn, NotifyIn
from payments.service import idempotency
from payments.service.decide import Order, Outcome, decide_payment
from payments.service.mandate import expire_if_lapsed, find, invalid_state, payer_of
from payments.service.transactions import MANDATE_NOTIFIED, announce, record
from payments.service.validate import amount_of, check_txn_id, parse_time
from payments.service.views import notice_payload
from payments.store import PaymentsStore
from sandbox.errors import SandboxError
from sandbox.kit.clock import iso
from sandbox.storage.database import Database
from sandbox.webhooks.service import emit
from sandbox.world.context import WorldContext


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
        txn_id=check_txn_id(body.txn_id) if body.txn_id else new_txn_id(world.real_us),
        client_txn_id=body.txn_id,
        fingerprint=world.fingerprint(
            f"upi.mandate.execute {umn}", body.model_dump(mode="json", by_alias=True)
        ),
        idempotency_key=key,
    )


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
        operation=f"POST /v1/upi/mandates/{cmd.umn[:64]}/notify",
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
        operation=f"POST /v1/upi/mandates/{cmd.umn[:64]}/execute",
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


async def next_debits(
    db: Database, world: WorldContext, umns: Collection[str]
) -> dict[str, dict[str, Any]]:
    """Each mandate's next announced debit: its earliest notice not honoured yet (as POST
    .../notify answered it); a mandate with none announced is left out."""

    def unit(conn: Connection) -> dict[str, dict[str, Any]]:
        found: dict[str, dict[str, Any]] = {}
        for notice in PaymentsStore(conn, world.id).pending_notices(umns):
            found.setdefault(notice.umn, notice_payload(notice, world))
        return found

    return await db.read(unit)
