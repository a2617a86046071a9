"""The switch's decision without HTTP or a database: ``decide_payment`` against dict-backed books.

Each test sets up two reasons to refuse (or one reason and a tempting success) and checks that
the one NPCI puts first wins, and that nothing else changed: so reordering the checks in
``decide.py`` fails here, not only end to end. ``Books`` is the smallest faithful
``SwitchBooks``: balances that refuse an overdraft, PIN tries, daily totals, and a ledger that
refuses an unbalanced posting.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import pytest

from payments.models import CLEARING, DAY_US, Party, Status
from payments.service.decide import (
    NEW_VPA_WINDOW_US,
    PIN_TRIES,
    Order,
    Outcome,
    SwitchBooks,
    decide_payment,
)
from payments.store import UnbalancedPosting
from sandbox.partners.models import Partner
from sandbox.population.countries import get_country
from sandbox.world.context import WorldContext

NOW = 1_780_000_000_000_000  # world time of every test (mid-day)
TODAY = NOW // DAY_US
PIN = "1234"
TXN = "SBX" + "0" * 32
RUPEE = 100  # minor units


@dataclass
class Books:
    """In-memory ``SwitchBooks``: what a single writer holding the switch's state would keep."""

    parties: dict[str, Party] = field(default_factory=dict)
    balances: dict[str, int] = field(default_factory=dict)
    pins: dict[str, tuple[int, int | None]] = field(default_factory=dict)
    daily: dict[tuple[str, int], int] = field(default_factory=dict)
    postings: list[tuple[str, str, list[tuple[str, int]]]] = field(default_factory=list)
    locked: list[str] = field(default_factory=list)

    def party(self, vpa: str) -> Party | None:
        return self.parties.get(vpa.lower())

    def pin_state(self, vpa: str) -> tuple[int, int | None]:
        return self.pins.get(vpa, (0, None))

    def locked_pin_state(self, vpa: str) -> tuple[int, int | None]:
        return self.pin_state(vpa)  # one thread: nothing to wait for

    def save_pin_state(self, vpa: str, failures: int, locked_until_us: int | None) -> None:
        self.pins[vpa] = (failures, locked_until_us)

    def debit_within(self, account: str, day: int, amount: int, cap: int) -> tuple[int, bool]:
        self.locked.append(account)
        today = self.daily.get((account, day), 0)
        if today + amount > cap or not self.debit(account, amount):
            return today, False
        self.add_debited(account, day, amount)
        return today, True

    def add_debited(self, account: str, day: int, amount: int) -> None:
        self.daily[account, day] = self.daily.get((account, day), 0) + amount

    def debit(self, account: str, amount: int) -> bool:
        if self.balances[account] < amount:
            return False
        self.balances[account] -= amount
        return True

    def credit(self, account: str, amount: int) -> None:
        self.balances[account] += amount

    def post(
        self, *, posting_id: str, txn_id: str, leg: str, legs: list[tuple[str, int]], now_us: int
    ) -> None:
        if sum(amount for _, amount in legs) != 0:
            raise UnbalancedPosting(posting_id)
        assert posting_id == f"{txn_id}:{leg}"
        self.postings.append((posting_id, leg, legs))
        # CLEARING is an account of the ledger only; its balance is the sum of its legs
        for account, amount in legs:
            if account == CLEARING:
                self.balances[CLEARING] = self.balances.get(CLEARING, 0) + amount

    @property
    def legs(self) -> list[str]:
        return [leg for _, leg, _ in self.postings]


def test_the_fake_is_switch_books() -> None:
    port: SwitchBooks = Books()  # mypy checks the fake against the port
    assert port.party("asha@sandbox") is None


WORLD = WorldContext(
    Partner(
        id="w_test",
        name="test",
        contact_email="t@example.com",
        webhook_url=None,
        webhook_secret="s",
        country="IN",
        world_seed=1,
        world_residents=0,
        clock_offset_us=0,
        created_us=0,
    ),
    get_country("IN"),
    "secret",
    NOW,
    NOW,
)


def person(vpa: str, account: str, **overrides: object) -> Party:
    base = Party(
        vpa=vpa,
        name=vpa.split("@")[0].title(),
        account_number=account,
        account_type="SAVINGS",
        account_status="ACTIVE",
        bank_code="SBXB",
        bank_online=True,
        ifsc="SBXB0000001",
        pin_hash=WORLD.pin_hash(vpa, PIN),
        registered_us=NOW - 365 * DAY_US,
        is_merchant=False,
        merchant_category=None,
    )
    return replace(base, **overrides)  # type: ignore[arg-type]


def books(payer: dict[str, object] | None = None, payee: dict[str, object] | None = None) -> Books:
    """Asha (10,000.00) pays Ravi (500.00); overrides change either party."""
    asha = person("asha@sandbox", "A1", **(payer or {}))
    ravi = person("ravi@sandbox", "R1", **(payee or {}))
    return Books(
        parties={asha.vpa: asha, ravi.vpa: ravi},
        balances={"A1": 10_000 * RUPEE, "R1": 500 * RUPEE},
    )


def order(
    amount: int = 100 * RUPEE,
    *,
    payer: str = "asha@sandbox",
    payee: str = "ravi@sandbox",
    pin: str | None = PIN,
) -> Order:
    pin_hash = None if pin is None else WORLD.pin_hash(payer, pin)
    return Order(TXN, payer, payee, amount, pin_hash)


def decide(b: Books, o: Order, world: WorldContext = WORLD) -> Outcome:
    return decide_payment(b, world, o)


def untouched(b: Books) -> None:
    """Nothing moved: no posting, balances as seeded, no daily total."""
    assert b.postings == []
    assert b.balances == {"A1": 10_000 * RUPEE, "R1": 500 * RUPEE}
    assert b.daily == {}


# -- who the parties are -------------------------------------------------------------------------


def test_unknown_payer_is_zh_before_anything_else() -> None:
    b = books()
    out = decide(b, order(7, payer="nobody@sandbox", payee="fraud@sandbox", pin="0000"))
    assert (out.status, out.code) == (Status.FAILURE, "ZH")
    assert out.payer_account is None
    untouched(b)
    assert b.pins == {}


def test_ghost_payer_is_xh() -> None:
    b = books()
    out = decide(b, order(payer="ghost@sandbox"))
    assert out.code == "XH"
    untouched(b)


def test_unknown_payee_is_zh_before_the_pin() -> None:
    b = books()
    out = decide(b, order(payee="nobody@sandbox", pin="0000"))
    assert out.code == "ZH"
    assert b.pins == {}  # the wrong PIN was never looked at
    untouched(b)


def test_payer_without_account_is_xh_after_the_bank() -> None:
    assert decide(books({"account_number": None}), order()).code == "XH"
    offline = books({"account_number": None, "bank_online": False})
    assert decide(offline, order()).code == "XY"


# -- magic values before any bank ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("payee", "code"),
    [
        ("fraud@sandbox", "K1"),
        ("blocked@sandbox", "ZE"),
        ("restricted@sandbox", "ZG"),
        ("notpermitted@sandbox", "B3"),
    ],
)
def test_magic_payee_fails_before_the_magic_amount_and_the_debit(payee: str, code: str) -> None:
    b = books({"bank_online": False})
    out = decide(b, order(100 * RUPEE + 16, payee=payee, pin="0000"))
    assert out.code == code
    untouched(b)
    assert b.pins == {}


def test_magic_amount_before_the_bank_offline() -> None:
    b = books({"bank_online": False})
    out = decide(b, order(100 * RUPEE + 16, pin="0000"))
    assert out.code == "U16"
    untouched(b)
    assert b.pins == {}


# -- the remitter bank: reachable, the PIN, the account ------------------------------------------


def test_bank_offline_xy_before_the_pin() -> None:
    b = books({"bank_online": False})
    assert decide(b, order(pin="0000")).code == "XY"
    assert b.pins == {}  # no try counted at a bank that is down
    untouched(b)


def test_no_pin_set_is_am() -> None:
    b = books({"pin_hash": None, "account_status": "FROZEN"})
    assert decide(b, order()).code == "AM"
    untouched(b)


def test_wrong_pins_count_zm_then_z6_until_the_next_world_day() -> None:
    b = books()
    codes = [decide(b, order(pin="0000")).code for _ in range(PIN_TRIES)]
    assert codes == ["ZM"] * (PIN_TRIES - 1) + ["Z6"]
    assert b.pins["asha@sandbox"] == (PIN_TRIES, (TODAY + 1) * DAY_US)
    assert decide(b, order()).code == "Z6"  # the right PIN is refused while locked
    untouched(b)
    tomorrow = replace(WORLD, now_us=(TODAY + 1) * DAY_US + 1)
    assert decide(b, order(), tomorrow).code == "00"
    assert b.pin_state("asha@sandbox") == (0, None)  # the right PIN clears the day's count


def test_a_right_pin_resets_the_count() -> None:
    b = books()
    assert decide(b, order(pin="0000")).code == "ZM"
    assert decide(b, order()).code == "00"
    assert b.pins["asha@sandbox"] == (0, None)
    assert decide(b, order(pin="0000")).code == "ZM"  # counting starts afresh


@pytest.mark.parametrize(("status", "code"), [("FROZEN", "YE"), ("DORMANT", "ZX")])
def test_wrong_pin_before_the_account_state(status: str, code: str) -> None:
    b = books({"account_status": status})
    assert decide(b, order(pin="0000")).code == "ZM"
    assert decide(b, order()).code == code
    untouched(b)


def test_no_pin_asked_skips_the_pin_check() -> None:
    b = books({"pin_hash": None})  # AutoPay under its limit, refunds
    assert decide(b, order(pin=None)).code == "00"


# -- limits, then funds --------------------------------------------------------------------------


def test_per_transaction_limit_is_z8() -> None:
    over = WORLD.country.per_txn_limit + RUPEE
    b = books()
    b.balances["A1"] = over * 2
    out = decide(b, order(over))
    assert out.code == "Z8"
    assert "per-transaction" in out.detail
    assert b.postings == []
    assert b.daily == {}


def test_per_transaction_limit_before_insufficient_funds() -> None:
    b = books()
    assert decide(b, order(WORLD.country.per_txn_limit + RUPEE)).code == "Z8"


def test_new_vpa_cap_is_z8() -> None:
    cap = WORLD.country.new_vpa_24h_limit
    b = books({"registered_us": NOW - NEW_VPA_WINDOW_US + 1})
    b.daily["A1", TODAY] = cap - 100 * RUPEE
    out = decide(b, order(100 * RUPEE + RUPEE))
    assert out.code == "Z8"
    assert "24 h" in out.detail
    assert decide(b, order(100 * RUPEE)).code == "00"  # up to the cap is fine
    old = books({"registered_us": NOW - NEW_VPA_WINDOW_US})
    old.daily["A1", TODAY] = cap - 100 * RUPEE
    assert decide(old, order(100 * RUPEE + RUPEE)).code == "00"  # a day old: no cap


def test_daily_limit_zu_before_insufficient_funds() -> None:
    b = books()
    b.daily["A1", TODAY] = WORLD.country.daily_limit - 50 * RUPEE
    out = decide(b, order(100 * RUPEE))
    assert out.code == "ZU"
    assert b.postings == []
    assert b.daily == {("A1", TODAY): WORLD.country.daily_limit - 50 * RUPEE}
    b.daily["A1", TODAY - 1] = b.daily.pop(("A1", TODAY))  # yesterday's total does not count
    assert decide(b, order(100 * RUPEE)).code == "00"


def test_limits_are_checked_under_the_payers_lock() -> None:
    b = books()
    decide(b, order())
    assert b.locked == ["A1"]
    frozen = books({"account_status": "FROZEN"})
    decide(frozen, order())
    assert frozen.locked == []  # refused before the lock


def test_insufficient_funds_z9_moves_nothing() -> None:
    b = books()
    out = decide(b, order(10_000 * RUPEE + 1 * RUPEE))
    assert (out.status, out.code) == (Status.FAILURE, "Z9")
    untouched(b)


# -- after the debit: deemed, or the credit (reversed when it fails) -----------------------------


@pytest.mark.parametrize(("cents", "settlement"), [(91, "TCC"), (92, "RET")])
def test_deemed_rb_keeps_the_money_in_clearing(cents: int, settlement: str) -> None:
    b = books()
    amount = 100 * RUPEE + cents
    out = decide(b, order(amount))
    assert (out.status, out.code, out.settlement) == (Status.DEEMED, "RB", settlement)
    assert out.settle_at_us == NOW + 300 * 1_000_000
    assert b.legs == ["DEBIT"]
    assert b.balances == {"A1": 10_000 * RUPEE - amount, "R1": 500 * RUPEE, CLEARING: amount}
    assert b.daily == {("A1", TODAY): amount}


def test_deemed_still_needs_the_funds() -> None:
    b = books()
    assert decide(b, order(10_000 * RUPEE + 91)).code == "Z9"


@pytest.mark.parametrize(
    ("payee", "code"),
    [
        ({"bank_online": False}, "Y1"),
        ({"account_status": "FROZEN"}, "YF"),
        ({"account_status": "DORMANT"}, "ZY"),
        ({"account_number": None}, "XI"),
    ],
)
def test_credit_problems_reverse_the_debit(payee: dict[str, object], code: str) -> None:
    b = books(payee=payee)
    out = decide(b, order())
    assert (out.status, out.code, out.reversed) == (Status.FAILURE, code, True)
    assert out.detail.endswith("the debit was reversed")
    assert b.legs == ["DEBIT", "REVERSAL"]
    assert b.balances == {"A1": 10_000 * RUPEE, "R1": 500 * RUPEE, CLEARING: 0}
    assert b.daily == {("A1", TODAY): 0}  # the reversed amount no longer counts


def test_magic_payee_without_account_is_xi_after_the_debit() -> None:
    b = books()
    out = decide(b, order(payee="noaccount@sandbox"))
    assert (out.code, out.reversed) == ("XI", True)
    assert b.legs == ["DEBIT", "REVERSAL"]


def test_payee_problems_come_after_the_payers() -> None:
    b = books({"account_status": "FROZEN"}, {"bank_online": False})
    assert decide(b, order()).code == "YE"
    assert b.postings == []


def test_success_moves_the_money_in_balanced_legs() -> None:
    b = books()
    out = decide(b, order(250 * RUPEE))
    assert (out.status, out.code, out.reversed) == (Status.SUCCESS, "00", False)
    assert (out.payer_account, out.payee_account) == ("A1", "R1")
    assert b.legs == ["DEBIT", "CREDIT"]
    assert all(sum(a for _, a in legs) == 0 for _, _, legs in b.postings)
    assert b.balances == {"A1": 9_750 * RUPEE, "R1": 750 * RUPEE, CLEARING: 0}
    assert b.daily == {("A1", TODAY): 250 * RUPEE}
