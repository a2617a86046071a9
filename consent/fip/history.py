"""Seeded history: a deterministic past for each account, before the world's ledger begins.

The ledger starts at the world's creation with each account's ``opening_balance``; a year's
statement would be nearly empty. So each deposit account also has a generated past: a salary
(or, for a CURRENT account, daily UPI takings), rent, bills, UPI spends, card spends, ATM
withdrawals and quarterly interest, over the ``HISTORY_DAYS`` before ``anchor_us``.

- Deterministic: the same world seed, country and account number give the same lines.
- Consistent: the balances are computed backwards from the opening balance, so the last seeded
  line's balance is exactly the ledger's opening balance and no balance is ever negative (a
  credit that would make the earlier balance negative is cut to fit).
- ``anchor_us`` is the partner's creation (real time of signup), which is never after the
  first ledger entry of any world it owns: ledger entries are written at world time, which is
  real time plus a non-negative offset. After a reset the ledger restarts later still.

Also the term and recurring deposits each resident holds at the bank of her first account
(``TermDeposit``): derived from the same seed, no table.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass

from consent.fip.models import Line

DAY_US = 86_400 * 1_000_000
HISTORY_DAYS = 400  # 13 months and a bit: the longest FIDataRange of the fair-use rules


def _rng(*parts: object) -> random.Random:
    return random.Random(":".join(str(p) for p in parts))


def _digits(rng: random.Random, n: int) -> str:
    return "".join(str(rng.randrange(10)) for _ in range(n))


_EMPLOYERS = ("INFOSYS LTD", "TATA STEEL", "APOLLO HOSPITALS", "STATE EDU DEPT", "WIPRO LTD")
_SHOPS = (
    ("BIGBASKET", "groceries"),
    ("SWIGGY", "food"),
    ("ZOMATO", "food"),
    ("DMART", "groceries"),
    ("IRCTC", "travel"),
    ("APOLLO PHARMACY", "medicines"),
    ("UBER", "ride"),
    ("LOCAL KIRANA", "groceries"),
)
_BILLS = (("BESCOM", "electricity"), ("AIRTEL", "mobile recharge"), ("ACT FIBERNET", "broadband"))


@dataclass(frozen=True, slots=True)
class _Event:
    at_us: int
    signed: int  # + credit, - debit (minor units)
    mode: str
    narration: str
    reference: str


def _round(amount: float, scale: int) -> int:
    """Whole major units, at least one."""
    return max(int(amount) // scale, 1) * scale


def seeded_lines(
    *,
    seed: int,
    country: str,
    number: str,
    account_type: str,
    opening_balance: int,
    opened_us: int,
    anchor_us: int,
    minor_units: int,
) -> list[Line]:
    """The account's seeded past, oldest first, ending before ``anchor_us`` with the balance
    ``opening_balance``."""
    start = max(opened_us, anchor_us - HISTORY_DAYS * DAY_US)
    if start >= anchor_us:
        return []
    rng = _rng("fi-history", seed, country, number)
    scale = 10**minor_units
    income = max(opening_balance // 5, 20_000 * scale)
    events: list[_Event] = []

    def add(day: int, hour: float, signed: int, mode: str, narration: str, reference: str) -> None:
        at = start + day * DAY_US + int(hour * 3600 * 1_000_000)
        if start <= at < anchor_us and signed:
            events.append(_Event(at, signed, mode, narration, reference))

    days = (anchor_us - start) // DAY_US
    employer = _EMPLOYERS[rng.randrange(len(_EMPLOYERS))]
    merchant = account_type == "CURRENT"
    for day in range(days):
        day_of_month = day % 30
        if merchant:  # daily UPI takings, weekly supplier payment
            for _ in range(rng.randrange(2, 7)):
                rrn = _digits(rng, 12)
                amount = _round(rng.uniform(0.002, 0.02) * income, scale // 100 or 1)
                add(day, rng.uniform(9, 21), amount, "UPI", f"UPI/{rrn}/CR/customer", rrn)
            if day % 7 == 3:
                ref = "N" + _digits(rng, 15)
                amount = _round(rng.uniform(0.2, 0.35) * income, scale)
                add(day, 11, -amount, "FT", f"NEFT/{ref}/SUPPLIER PAYMENT", ref)
        elif day_of_month == 0:
            ref = "N" + _digits(rng, 15)
            add(day, 9.5, income, "FT", f"NEFT/{ref}/SALARY/{employer}", ref)
        if day_of_month == 2:
            rent = _round(income * 0.25, scale)
            rrn = _digits(rng, 12)
            add(day, 10, -rent, "UPI", f"UPI/{rrn}/DR/rent@sandbox/RENT", rrn)
        if day_of_month in (6, 12, 20):
            name, what = _BILLS[(day // 30 + day_of_month) % len(_BILLS)]
            rrn = _digits(rng, 12)
            amount = _round(rng.uniform(0.005, 0.03) * income, scale)
            add(day, 19, -amount, "UPI", f"UPI/{rrn}/DR/{name}/{what}", rrn)
        if not merchant:
            for _ in range(rng.choice((0, 0, 1, 1, 1, 2))):
                name, what = _SHOPS[rng.randrange(len(_SHOPS))]
                rrn = _digits(rng, 12)
                amount = _round(rng.uniform(0.002, 0.02) * income, scale // 100 or 1)
                add(day, rng.uniform(8, 22), -amount, "UPI", f"UPI/{rrn}/DR/{name}/{what}", rrn)
            if rng.random() < 0.05:
                ref = _digits(rng, 6)
                amount = _round(rng.uniform(0.02, 0.08) * income, 500 * scale)
                add(day, 13, -amount, "ATM", f"ATM/CASH WDL/{ref}", ref)
            if rng.random() < 0.06:
                ref = _digits(rng, 10)
                amount = _round(rng.uniform(0.01, 0.05) * income, scale)
                add(day, 17, -amount, "CARD", f"POS/{ref}/ONLINE SHOPPING", ref)
        if day % 91 == 45:
            amount = _round(opening_balance * 0.0075, scale // 100 or 1)
            add(day, 0.2, amount, "OTHERS", "INT.PD/QUARTERLY INTEREST", "INT")
    events.sort(key=lambda e: e.at_us)

    # backwards from the opening balance: balance before = balance after - signed amount
    kept: list[Line] = []
    balance = opening_balance
    for index in range(len(events) - 1, -1, -1):
        event = events[index]
        signed = event.signed
        if signed > 0 and balance - signed < 0:
            signed = balance  # the credit is cut to what the later balance allows
        if signed == 0:
            continue
        digest = hashlib.sha256(f"{seed}:{number}:{index}".encode()).hexdigest()[:20].upper()
        kept.append(
            Line(
                txn_id=f"S{digest}",
                type="CREDIT" if signed > 0 else "DEBIT",
                mode=event.mode,
                amount=abs(signed),
                balance=balance,
                at_us=event.at_us,
                narration=event.narration,
                reference=event.reference,
            )
        )
        balance -= signed
    kept.reverse()
    return kept


# -- term and recurring deposits -----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class TermDeposit:
    """A fixed (TERM_DEPOSIT) or recurring (RECURRING_DEPOSIT) deposit: no ledger, no table."""

    kind: str  # FIXED, RECURRING
    principal: int  # FIXED: the deposit; RECURRING: what is paid in so far
    instalment: int  # RECURRING: the monthly amount; FIXED: 0
    rate_bp: int  # interest rate in basis points a year
    opened_us: int
    tenure_months: int
    lines: tuple[Line, ...]

    @property
    def maturity_us(self) -> int:
        return self.opened_us + self.tenure_months * 30 * DAY_US

    def maturity_amount(self) -> int:
        """Quarterly compounding over the tenure (RECURRING: each instalment for its months)."""
        quarterly = 1 + self.rate_bp / 40_000
        if self.kind == "FIXED":
            return int(self.principal * quarterly ** (self.tenure_months / 3))
        months = self.tenure_months
        return int(sum(self.instalment * quarterly ** ((months - m) / 3) for m in range(months)))

    def value_at(self, at_us: int) -> int:
        return self.lines_until(at_us)[-1].balance if self.lines_until(at_us) else 0

    def lines_until(self, at_us: int) -> list[Line]:
        return [line for line in self.lines if line.at_us < at_us]


def term_deposit(
    *,
    seed: int,
    country: str,
    number: str,
    kind: str,
    opening_balance: int,
    anchor_us: int,
    until_us: int,
    minor_units: int,
) -> TermDeposit:
    """The resident's fixed or recurring deposit derived from her first ledger account."""
    rng = _rng("fi-term", seed, country, number, kind)
    scale = 10**minor_units
    opened_us = anchor_us - rng.randrange(120, 330) * DAY_US - 10 * 3600 * 1_000_000
    rate_bp = rng.choice((650, 675, 700, 725, 750))
    lines: list[Line] = []
    balance = 0
    if kind == "FIXED":
        tenure = rng.choice((12, 24, 36))
        principal = _round(max(opening_balance // 4, 50_000 * scale), 1000 * scale)
        balance = principal
        ref = _digits(rng, 10)
        lines.append(
            Line(f"TD{ref}", "OPENING", "FT", principal, balance, opened_us, "FD OPENED", ref)
        )
        instalment = 0
    else:
        tenure = rng.choice((12, 24))
        instalment = _round(max(opening_balance // 40, 2_000 * scale), 500 * scale)
        principal = 0
        for month in range(tenure):
            at = opened_us + month * 30 * DAY_US
            if at >= until_us:
                break
            balance += instalment
            principal += instalment
            ref = _digits(rng, 10)
            lines.append(
                Line(f"RD{ref}", "INSTALLMENT", "FT", instalment, balance, at, "RD INSTALMENT", ref)
            )
    # quarterly interest, compounded into the deposit
    quarter = 91 * DAY_US
    at = opened_us + quarter
    while at < min(until_us, opened_us + tenure * 30 * DAY_US):
        interest = balance * rate_bp // 40_000
        ordered = sorted([*lines], key=lambda line: line.at_us)
        paid_in = sum(
            line.amount for line in ordered if line.type == "INSTALLMENT" and line.at_us < at
        )
        if kind == "RECURRING":
            interest = paid_in * rate_bp // 40_000
        balance += interest
        ref = _digits(rng, 10)
        lines.append(Line(f"IN{ref}", "INTEREST", "OTHERS", interest, balance, at, "INTEREST", ref))
        at += quarter
    lines.sort(key=lambda line: line.at_us)
    # running balances in time order (instalments and interest interleave)
    running = 0
    chained = []
    for line in lines:
        running += line.amount
        chained.append(
            Line(
                line.txn_id,
                line.type,
                line.mode,
                line.amount,
                running,
                line.at_us,
                line.narration,
                line.reference,
            )
        )
    return TermDeposit(kind, principal, instalment, rate_bp, opened_us, tenure, tuple(chained))
