"""Property: any sequence of pays, collects, refunds, reversals, deemed settlements and mandate
executions conserves money and never overdraws.

Hypothesis draws a list of steps (``STEPS``: one strategy per kind of step; a new flow adds its
step class and strategy there) and runs them, through the API, in a fresh world. An independent
model follows the money from the answers alone: a SUCCESS moves ``amount`` from the answer's
payer to its payee, a DEEMED holds it until the sweeper settles it (TCC to the payee, RET back),
anything else moves nothing. After every step:

* every account's balance is what the model says (so nothing moved that the answers did not
  report, and nothing reported failed to move);
* ``GET /v1/sandbox/ledger/check`` is balanced (postings sum to zero, balances equal opening
  plus entries, money in clearing only for deemed payments);
* no ``accounts.balance`` row is below zero;
* no payment was refunded beyond its amount.

The background sweeper is off (``sweep_seconds=0``): steps call ``sweeper.sweep`` themselves, so
the model knows when deemed payments may settle.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any, ClassVar

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI
from hypothesis import HealthCheck, Phase, given, note, settings
from hypothesis import strategies as st

from payments.models import MAGIC_CENTS, MAGIC_PAYEES, MAGIC_PAYER_VPA_NO_ACCOUNT
from payments.service.ledger_check import LedgerCheck, check_conn
from payments.service.sweeper import sweep
from payments.store import PaymentsStore
from sandbox.storage.schema import accounts, upi_transactions
from tests.support.clock import advance, later
from tests.support.http import SignedUp, client_for, sign_up, started
from tests.support.upi import PINS, ledger_ok, minor, money

pytestmark = pytest.mark.anyio

MAX_EXAMPLES = 25
MAX_STEPS = 10
AUTOPAY_NO_PIN_LIMIT = 15_000_00  # India: executions above it need the PIN
PER_TXN_LIMIT = 100_000_00  # India
DAY = 86_400

PEOPLE = sorted(PINS)  # every persona VPA, including arjun (no PIN) and farhan/dev (blocked)
PAYERS = [*PEOPLE, MAGIC_PAYER_VPA_NO_ACCOUNT, "nobody@sandbox"]
PAYEES = [*PEOPLE, *MAGIC_PAYEES, "nobody@sandbox"]
FINAL = ("SUCCESS", "FAILURE")


# -- the model ---------------------------------------------------------------------------------


@dataclass
class Model:
    """What the answers say happened, and the world they say it happened in."""

    app: FastAPI
    client: httpx.AsyncClient
    partner: SignedUp
    account_of: dict[str, str]  # persona VPA -> account number
    balances: dict[str, int]  # account number -> expected balance
    deemed: dict[str, dict[str, Any]] = field(default_factory=dict)  # txnId -> answer
    paid: list[str] = field(default_factory=list)  # SUCCESS payments (refundable), by txnId
    codes: set[str] = field(default_factory=set)

    @property
    def headers(self) -> dict[str, str]:
        return self.partner.headers

    async def post(self, path: str, body: dict[str, Any] | None = None) -> httpx.Response:
        return await self.client.post(path, json=body, headers=self.headers)

    def apply(self, answer: dict[str, Any]) -> None:
        """Follow the money of one processed transaction (an answer, or a settled status)."""
        self.codes.add(answer["responseCode"])
        amount = minor(answer["amount"])
        payer = self.account_of.get(answer["payer"]["vpa"])
        payee = self.account_of.get(answer["payee"]["vpa"])
        if answer["status"] == "SUCCESS":
            assert payer is not None, answer
            assert payee is not None, answer
            self.balances[payer] -= amount
            self.balances[payee] += amount
            if answer["type"] in ("PAY", "COLLECT", "MANDATE"):
                self.paid.append(answer["txnId"])
        elif answer["status"] == "DEEMED":
            assert payer is not None, answer
            self.balances[payer] -= amount  # held in clearing
            self.deemed[answer["txnId"]] = answer
        else:
            assert answer["status"] in ("FAILURE", "PENDING"), answer

    async def settle(self) -> None:
        """Deemed payments the sweeper settled: TCC credits the payee, RET returns to the payer."""
        for txn_id, held in list(self.deemed.items()):
            status = await self.client.get(f"/v1/upi/transactions/{txn_id}", headers=self.headers)
            now = status.json()
            if now["status"] == "DEEMED":
                continue
            del self.deemed[txn_id]
            assert now["settlement"] in ("TCC", "RET"), now
            amount = minor(held["amount"])
            if now["settlement"] == "TCC":
                assert now["status"] == "SUCCESS"
                self.balances[self.account_of[held["payee"]["vpa"]]] += amount
                if held["type"] in ("PAY", "COLLECT", "MANDATE"):
                    self.paid.append(txn_id)
            else:
                assert now["status"] == "FAILURE"
                self.balances[self.account_of[held["payer"]["vpa"]]] += amount

    async def advance(self, seconds: int) -> None:
        await advance(self.client, self.partner, seconds)
        state = self.app.state.sandbox
        await sweep(state.db, state.settings.secret_key, state.clock)

    async def check(self) -> None:
        """The invariants, after every step (one consistent read of the world)."""
        await self.settle()
        seen = await self.app.state.sandbox.db.read(self._snapshot)
        assert seen.balances == self.balances, {
            a: (self.balances.get(a), b)
            for a, b in seen.balances.items()
            if self.balances.get(a) != b
        }
        assert seen.ledger.balanced, seen.ledger
        assert seen.lowest >= 0
        assert seen.over_refunded == []

    def _snapshot(self, conn: sa.Connection) -> Snapshot:
        world = self.partner.partner_id
        store = PaymentsStore(conn, world)
        balances = {}
        for number in self.balances:
            balance = store.balance(number)  # applied + queued credits (PostgreSQL)
            assert balance is not None
            balances[number] = balance
        lowest = conn.execute(
            sa.select(sa.func.min(accounts.c.balance)).where(accounts.c.world_id == world)
        ).scalar_one()
        t, r = upi_transactions, upi_transactions.alias("r")
        refunded = (
            sa.select(sa.func.coalesce(sa.func.sum(r.c.amount), 0))
            .where(
                r.c.world_id == world,
                r.c.original_txn_id == t.c.txn_id,
                r.c.status.in_(("SUCCESS", "DEEMED")),
            )
            .scalar_subquery()
        )
        over = conn.execute(
            sa.select(t.c.txn_id).where(t.c.world_id == world, refunded > t.c.amount)
        )
        return Snapshot(
            balances, check_conn(conn, world), int(lowest), [row.txn_id for row in over]
        )


@dataclass(frozen=True)
class Snapshot:
    balances: dict[str, int]  # account number -> applied balance + queued credits
    ledger: LedgerCheck
    lowest: int  # the lowest accounts.balance row of the world
    over_refunded: list[str]  # payments whose SUCCESS/DEEMED refunds exceed their amount


async def actual_balances(client: httpx.AsyncClient, partner: SignedUp) -> dict[str, int]:
    people = (await client.get("/v1/sandbox/personas", headers=partner.headers)).json()
    return {
        account["number"]: minor(account["balance"])
        for person in people["personas"]
        for account in person["accounts"]
    }


async def new_model(app: FastAPI, client: httpx.AsyncClient) -> Model:
    partner = await sign_up(client)
    people = (await client.get("/v1/sandbox/personas", headers=partner.headers)).json()
    account_of = {
        vpa: account["number"]
        for person in people["personas"]
        for account in person["accounts"]
        for vpa in account["vpas"]
    }
    return Model(app, client, partner, account_of, await actual_balances(client, partner))


# -- steps: one class per kind, each with its strategy --------------------------------------------


class Step:
    async def run(self, m: Model) -> None:
        raise NotImplementedError


@dataclass(frozen=True)
class Pay(Step):
    """ReqPay PAY between any two parties: personas, blocked accounts, magic and unknown VPAs,
    any amount (magic cents, over the balance, over the limits), sometimes a wrong PIN."""

    payer: str
    payee: str
    amount: int
    right_pin: bool

    async def run(self, m: Model) -> None:
        pin = PINS.get(self.payer, "1111") if self.right_pin else "9999"
        body = {
            "payer": {"vpa": self.payer, "pin": pin},
            "payee": {"vpa": self.payee},
            "amount": money(self.amount),
        }
        answer = await m.post("/v1/upi/pay", body)
        if self.payer == self.payee:
            assert answer.status_code == 422, answer.text
            return
        assert answer.status_code == 200, answer.text
        m.apply(answer.json())


@dataclass(frozen=True)
class Advance(Step):
    """World time passes and the sweeper runs: deemed payments settle, collects expire."""

    seconds: int

    async def run(self, m: Model) -> None:
        await m.advance(self.seconds)


@dataclass(frozen=True)
class Collect(Step):
    """ReqPay COLLECT, then the payer approves (right or wrong PIN), declines, or lets it lapse."""

    ENDINGS: ClassVar[tuple[str, ...]] = ("approve", "wrong_pin", "decline", "expire")
    payer: str
    payee: str
    amount: int
    ending: str

    async def run(self, m: Model) -> None:
        body = {
            "payee": {"vpa": self.payee},
            "payer": {"vpa": self.payer},
            "amount": money(self.amount),
        }
        raised = await m.post("/v1/upi/collect", body)
        if self.payer == self.payee:
            assert raised.status_code == 422, raised.text
            return
        assert raised.status_code == 200, raised.text
        request = raised.json()
        m.apply(request)
        if request["status"] != "PENDING":
            return
        path = f"/v1/upi/collect/{request['txnId']}"
        if self.ending == "decline":
            ended = await m.post(f"{path}/decline")
        elif self.ending == "expire":
            await m.advance(COLLECT_LAPSE_SECONDS)
            ended = await m.post(f"{path}/approve", {"pin": PINS.get(self.payer, "1111")})
        else:
            right = PINS.get(self.payer, "1111") if self.ending == "approve" else "9999"
            ended = await m.post(f"{path}/approve", {"pin": right})
        assert ended.status_code == 200, ended.text
        m.apply(ended.json())


COLLECT_LAPSE_SECONDS = 481  # the default expiry (480 s) has passed


@dataclass(frozen=True)
class Refund(Step):
    """Refund one of the successful payments so far, in full or in part (maybe too much)."""

    pick: int
    share: float | None  # None: all that is left; > 1: more than was paid

    async def run(self, m: Model) -> None:
        if not m.paid:
            return
        original_id = m.paid[self.pick % len(m.paid)]
        original = await m.client.get(f"/v1/upi/transactions/{original_id}", headers=m.headers)
        body: dict[str, Any] = {"originalTxnId": original_id}
        if self.share is not None:
            body["amount"] = money(max(1, int(minor(original.json()["amount"]) * self.share)))
        answer = await m.post("/v1/upi/refunds", body)
        if answer.status_code == 409:  # not refundable (fully refunded, too much): nothing moves
            assert answer.json()["type"].endswith("/not-refundable"), answer.text
            return
        assert answer.status_code == 200, answer.text
        refund = answer.json()
        assert refund["type"] == "REFUND"
        assert refund["originalTxnId"] == original_id
        m.apply(refund)


@dataclass(frozen=True)
class Mandate(Step):
    """AutoPay: a merchant's mandate, approved with the payer's PIN, notified, executed a day
    later (above the AutoPay limit with the PIN)."""

    payer: str
    amount: int

    async def run(self, m: Model) -> None:
        until = await later(m.client, m.partner, 365)
        created = await m.post(
            "/v1/upi/mandates",
            {
                "payer": {"vpa": self.payer},
                "payee": {"vpa": MERCHANT},
                "amountLimit": money(self.amount),
                "recurrence": "AS_PRESENTED",
                "validUntil": until,
            },
        )
        if self.amount > PER_TXN_LIMIT:  # a mandate debits at most one transaction's worth
            assert created.status_code == 422, created.text
            return
        assert created.status_code == 201, created.text
        umn = created.json()["umn"]
        pin = PINS.get(self.payer, "1111")
        approved = await m.post(f"/v1/upi/mandates/{umn}/approve", {"pin": pin})
        assert approved.status_code == 200, approved.text
        if approved.json()["status"] != "ACTIVE":  # AM, ZM, Z6: nothing to execute
            return
        noticed = await m.post(f"/v1/upi/mandates/{umn}/notify", {"amount": money(self.amount)})
        assert noticed.status_code == 201, noticed.text
        await m.advance(DAY)
        body: dict[str, Any] = {"noticeId": noticed.json()["noticeId"]}
        if self.amount > AUTOPAY_NO_PIN_LIMIT:
            body["pin"] = pin
        executed = await m.post(f"/v1/upi/mandates/{umn}/execute", body)
        assert executed.status_code == 200, executed.text
        assert executed.json()["type"] == "MANDATE"
        m.apply(executed.json())


MERCHANT = "meeras.kirana@sandbox"

amounts = st.one_of(
    st.integers(1, 500_00),  # everyday amounts
    st.integers(1, 120_000_00),  # up to past the per-transaction limit and most balances
    st.builds(  # magic cents: Z7, U08, U16, U30, RB (TCC / RET)
        lambda whole, cents: whole * 100 + cents,
        st.integers(0, 2_000),
        st.sampled_from(sorted(MAGIC_CENTS)),
    ),
)

STEPS: list[st.SearchStrategy[Step]] = [
    st.builds(
        Pay,
        payer=st.sampled_from(PAYERS),
        payee=st.sampled_from(PAYEES),
        amount=amounts,
        right_pin=st.booleans().map(lambda wrong: not wrong) | st.just(True),
    ),
    st.builds(Advance, seconds=st.sampled_from([60, 299, 300, 3_600, DAY])),
    st.builds(
        Collect,
        payer=st.sampled_from(PAYERS),
        payee=st.sampled_from(PAYEES),
        amount=amounts,
        ending=st.sampled_from(Collect.ENDINGS),
    ),
    st.builds(
        Refund,
        pick=st.integers(0, 50),
        share=st.none() | st.sampled_from([0.1, 0.5, 0.91, 1.0, 1.5]),
    ),
    st.builds(
        Mandate,
        payer=st.sampled_from(["asha@sandbox", "ravi@sandbox", "pooja@sandbox", "arjun@sandbox"]),
        amount=st.one_of(st.integers(1, 2_000_00), st.integers(15_000_00, 20_000_00), amounts),
    ),
]


# -- the property ------------------------------------------------------------------------------


@pytest.fixture
async def quiet_app(make_settings: Any) -> AsyncIterator[FastAPI]:
    """The app with the background sweeper off: only the steps move time-driven states."""
    async with started(make_settings(sweep_seconds=0)) as application:
        yield application


@pytest.fixture
async def quiet_client(quiet_app: FastAPI) -> AsyncIterator[httpx.AsyncClient]:
    async with client_for(quiet_app) as c:
        yield c


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    derandomize=True,
    database=None,
    phases=(Phase.explicit, Phase.generate, Phase.shrink),
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    print_blob=False,
)
@given(steps=st.lists(st.one_of(STEPS), min_size=1, max_size=MAX_STEPS))
async def test_any_sequence_conserves_money_and_never_overdraws(
    quiet_app: FastAPI, quiet_client: httpx.AsyncClient, steps: list[Step]
) -> None:
    m = await new_model(quiet_app, quiet_client)  # a world of its own per example
    for n, step in enumerate(steps, 1):
        note(f"step {n}: {step}")  # the failing example's steps, in the report
        await step.run(m)
        await m.check()
    # time runs out for every deemed payment: each settles, and the money is where it belongs
    await m.advance(301)
    await m.check()
    assert m.deemed == {}
    assert await actual_balances(m.client, m.partner) == m.balances  # as partners see them
    await ledger_ok(m.client, m.partner)
