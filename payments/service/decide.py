"""The switch's decision for one payment: every check in NPCI order, then the legs.

``decide_payment`` is the one place where a payment is decided and its money moved; pay,
collect approval, mandate execution and refunds all go through it. It runs inside a unit of
work, against ``SwitchBooks``: the few things the switch reads and changes (parties, PIN
tries, daily totals, balances and the ledger). ``PaymentsStore`` is one implementation; a
writer that keeps this state in memory would be another, and the tests use a dict-backed one.

NPCI order: the payer exists (ZH, XH), the payee exists (ZH), magic payees (K1, ZE, ZG, B3)
and magic amounts before anything at a bank, the remitter bank reachable (XY, XH), the PIN
(AM, ZM, Z6) before the account's state (YE, ZX), the limits (Z8, the new-VPA cap Z8, ZU),
the debit (Z9); then deemed (RB) or the credit, whose failure reverses the debit (XI, Y1, YF,
ZY).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from payments.models import (
    CODES,
    DAY_US,
    DEEMED_SETTLE_SECONDS,
    MAGIC_PAYEES,
    MAGIC_PAYEES_BEFORE_DEBIT,
    MAGIC_PAYER_VPA_NO_ACCOUNT,
    Decline,
    Party,
    Status,
    deemed_settlement,
    magic_amount_code,
    status_of,
    world_day,
)
from payments.service import ledger
from sandbox.kit.secrets import matches
from sandbox.world.context import WorldContext


class SwitchBooks(ledger.Postings, Protocol):
    """What deciding a payment reads and changes; the debit, credit and posting of
    ``ledger.Postings``, and:"""

    def party(self, vpa: str) -> Party | None:
        """The VPA's account, bank and PIN, or ``None`` if nobody has it."""

    def pin_state(self, vpa: str) -> tuple[int, int | None]:
        """``(wrong tries, world time they lapse at)``; ``(0, None)`` when there are none."""

    def locked_pin_state(self, vpa: str) -> tuple[int, int | None]:
        """``pin_state``, held until the unit ends so concurrent guesses count one by one."""

    def save_pin_state(self, vpa: str, failures: int, locked_until_us: int | None) -> None: ...

    def debit_within(self, account: str, day: int, amount: int, cap: int) -> tuple[int, bool]:
        """Take ``amount`` from ``account`` and add it to what the account paid on world day
        ``day``, if that total stays within ``cap`` and the account has the funds (never
        overdrawn); otherwise change nothing. Returns what the account had paid that day
        before, and whether ``amount`` was taken.

        One payment of an account at a time: the day's total is read, checked and raised
        under a hold on the account that lasts until the unit ends, so concurrent payments
        cannot all pass the cap on the same total."""

    def add_debited(self, account: str, day: int, amount: int) -> None:
        """Add ``amount`` (negative: give back) to ``account``'s total of world day ``day``."""


PIN_TRIES = 3
NEW_VPA_WINDOW_US = 24 * 3600 * 1_000_000


@dataclass(frozen=True, slots=True)
class Order:
    txn_id: str
    payer_vpa: str
    payee_vpa: str
    amount: int
    pin_hash: str | None  # None: no PIN needed (AutoPay under its limit, refunds)


@dataclass(frozen=True, slots=True)
class Outcome:
    status: Status
    code: str
    detail: str
    payer_account: str | None
    payee_account: str | None
    settle_at_us: int | None = None
    settlement: str | None = None  # deemed: TCC or RET, as it will settle
    reversed: bool = False

    @property
    def hint(self) -> str:
        return CODES[self.code].hint


def _decline(
    code: str, detail: str, payer: Party | None = None, payee: Party | None = None
) -> Outcome:
    return Outcome(
        status_of(code),
        code,
        detail,
        payer.account_number if payer else None,
        payee.account_number if payee else None,
    )


def decide_payment(books: SwitchBooks, world: WorldContext, order: Order) -> Outcome:
    """Decide ``order`` and move its money; returns the outcome (never raises for declines)."""
    now = world.now_us
    payer = books.party(order.payer_vpa)
    if payer is None:
        if order.payer_vpa == MAGIC_PAYER_VPA_NO_ACCOUNT:
            return _decline("XH", f"{order.payer_vpa} is linked to a closed account")
        return _decline("ZH", f"payer VPA {order.payer_vpa} does not exist in this world")
    magic_payee = MAGIC_PAYEES.get(order.payee_vpa)
    payee = None if magic_payee else books.party(order.payee_vpa)
    if payee is None and magic_payee is None:
        return _decline("ZH", f"payee VPA {order.payee_vpa} does not exist in this world", payer)
    if magic_payee is not None and order.payee_vpa in MAGIC_PAYEES_BEFORE_DEBIT:
        return _decline(magic_payee, f"magic payee {order.payee_vpa}", payer)
    magic_amount = magic_amount_code(order.amount)
    if magic_amount is not None and magic_amount != "RB":
        return _decline(magic_amount, f"magic amount {world.money(order.amount)}", payer, payee)
    if not payer.bank_online:
        return _decline("XY", f"the bank of {payer.vpa} is offline", payer, payee)
    if payer.account_number is None:
        return _decline("XH", f"{payer.vpa} is not linked to an account", payer, payee)
    if order.pin_hash is not None:
        pin_declined = check_pin(books, world, payer, order.pin_hash)
        if pin_declined is not None:
            return _decline(*pin_declined, payer, payee)
    if payer.account_status == "FROZEN":
        return _decline("YE", f"the account behind {payer.vpa} is frozen", payer, payee)
    if payer.account_status == "DORMANT":
        return _decline("ZX", f"the account behind {payer.vpa} is dormant", payer, payee)
    over_limit = _over_per_txn_limit(world, order.amount)
    if over_limit is not None:
        return _decline(*over_limit, payer, payee)
    # The limits (Z8 for a new VPA, then ZU) before the funds (Z9), checked where the debit
    # happens: under the payer's hold, on the day's total as the debit finds it.
    account = payer.account_number
    today, taken = books.debit_within(account, world_day(now), order.amount, _day_cap(world, payer))
    over_limit = _over_day_limits(world, payer, order.amount, today)
    if over_limit is not None:
        return _decline(*over_limit, payer, payee)
    if not taken:
        return _decline(
            "Z9", f"{payer.vpa} has less than {world.money(order.amount)}", payer, payee
        )
    ledger.post_debit(books, order.txn_id, account, order.amount, now)
    if magic_amount == "RB":
        return Outcome(
            Status.DEEMED,
            "RB",
            "the credit timed out at the beneficiary bank",
            account,
            payee.account_number if payee else None,
            settle_at_us=now + DEEMED_SETTLE_SECONDS * 1_000_000,
            settlement=deemed_settlement(order.amount),
        )
    credit_problem = _credit_problem(order.payee_vpa, magic_payee, payee)
    if credit_problem is not None:
        code, detail = credit_problem
        ledger.release(books, order.txn_id, "REVERSAL", account, order.amount, now)
        books.add_debited(account, world_day(now), -order.amount)
        return Outcome(
            Status.FAILURE,
            code,
            f"{detail}; the debit was reversed",
            account,
            payee.account_number if payee else None,
            reversed=True,
        )
    assert payee is not None
    assert payee.account_number is not None
    ledger.release(books, order.txn_id, "CREDIT", payee.account_number, order.amount, now)
    return Outcome(Status.SUCCESS, "00", "paid", account, payee.account_number)


def check_pin(
    books: SwitchBooks, world: WorldContext, payer: Party, candidate: str
) -> Decline | None:
    """The remitter bank's PIN check, counting tries: ``None`` if right, else ``(code, detail)``.

    AM when no PIN is set; ZM for a wrong PIN; Z6 on the third wrong try in a world day and
    until the next world day. Shared by pay, collect approval, balance enquiry, PIN change and
    mandate approval, so every flow counts tries the same way.

    ``pin_state`` keeps the day's count of wrong tries and the world time it lapses at (the
    next world midnight): a count from an earlier day starts afresh, and three in one day
    lock the PIN until that midnight.
    """
    if payer.pin_hash is None:
        return Decline("AM", f"{payer.vpa} has no UPI PIN set")
    now = world.now_us
    failures, lapses_at = books.pin_state(payer.vpa)
    if failures >= PIN_TRIES and lapses_at is not None and lapses_at > now:
        return Decline("Z6", f"the UPI PIN of {payer.vpa} is locked after {PIN_TRIES} wrong tries")
    if matches(payer.pin_hash, candidate):
        if failures:
            books.save_pin_state(payer.vpa, 0, None)
        return None
    # A wrong PIN: re-read under the row's lock, so that guesses sent at once count one by one.
    failures, lapses_at = books.locked_pin_state(payer.vpa)
    if lapses_at is None or lapses_at <= now:
        failures = 0  # nothing today yet (or an earlier day's count, or a lock that lapsed)
    elif failures >= PIN_TRIES:  # a concurrent guess locked it meanwhile
        return Decline("Z6", f"the UPI PIN of {payer.vpa} is locked after {PIN_TRIES} wrong tries")
    failures += 1
    books.save_pin_state(payer.vpa, failures, (world_day(now) + 1) * DAY_US)
    if failures >= PIN_TRIES:
        return Decline(
            "Z6", f"wrong UPI PIN for the {PIN_TRIES}rd time; locked until the next world day"
        )
    left = PIN_TRIES - failures
    return Decline("ZM", f"wrong UPI PIN for {payer.vpa}; {left} tries left today")


def _over_per_txn_limit(world: WorldContext, amount: int) -> Decline | None:
    limit = world.country.per_txn_limit
    if amount > limit:
        return Decline(
            "Z8", f"{world.money(amount)} is over the per-transaction limit {world.money(limit)}"
        )
    return None


def _is_new(world: WorldContext, payer: Party) -> bool:
    return world.now_us - payer.registered_us < NEW_VPA_WINDOW_US


def _day_cap(world: WorldContext, payer: Party) -> int:
    """The most ``payer`` may have paid today, this payment included: the daily limit, and
    the new-VPA cap while the VPA is less than 24 h old."""
    limits = world.country
    if _is_new(world, payer):
        return min(limits.daily_limit, limits.new_vpa_24h_limit)
    return limits.daily_limit


def _over_day_limits(world: WorldContext, payer: Party, amount: int, today: int) -> Decline | None:
    """Z8 (new VPA) then ZU, given what ``payer`` already paid today; ``None`` exactly when
    ``today + amount`` is within ``_day_cap``."""
    limits = world.country
    if _is_new(world, payer) and today + amount > limits.new_vpa_24h_limit:
        return Decline(
            "Z8",
            f"{payer.vpa} is less than 24 h old: at most "
            f"{world.money(limits.new_vpa_24h_limit)} may be paid in that time",
        )
    if today + amount > limits.daily_limit:
        return Decline(
            "ZU",
            f"{world.money(today)} already paid today; the daily limit is "
            f"{world.money(limits.daily_limit)}",
        )
    return None


def _credit_problem(payee_vpa: str, magic: str | None, payee: Party | None) -> Decline | None:
    """Why the beneficiary bank refuses the credit; a magic payee reaching it is XI."""
    if magic is not None or payee is None or payee.account_number is None:
        return Decline("XI", f"{payee_vpa} has no account at the beneficiary bank")
    if not payee.bank_online:
        return Decline("Y1", f"the bank of {payee_vpa} is offline")
    if payee.account_status == "FROZEN":
        return Decline("YF", f"the account behind {payee_vpa} is frozen")
    if payee.account_status == "DORMANT":
        return Decline("ZY", f"the account behind {payee_vpa} is dormant")
    return None
