"""Every response code of the magic table is reached through its documented magic value.

Table-driven: one test per row of ``GET /v1/sandbox/magic`` (``payments.models.magic_table``,
which that endpoint serves; ``test_the_served_table_is_the_one_walked_here`` keeps the two
equal). Each row's check does what the row's description says, as a partner would, and must see
every code the row names. A row added later with no check here fails
(``test_every_row_has_a_check``), and so does a code in the ``codes`` list that is neither in a
row reached here nor listed in ``COVERED_ELSEWHERE`` with the test file that reaches it.

After each row: the ledger check is balanced, balances moved only for a payment that
succeeded, and a decline after the debit (YF, ZY, Y1, XI) shows DEBIT + REVERSAL in the ledger.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
import sqlalchemy as sa
from fastapi import FastAPI

from payments.models import CODES, magic_table
from payments.service.sweeper import sweep
from sandbox.storage.schema import ledger_entries, webhook_events
from tests.support.clock import advance, to_next_day
from tests.support.http import SignedUp
from tests.support.upi import balances, ledger_ok, minor, pay

pytestmark = pytest.mark.anyio

TESTS = Path(__file__).parent

# Codes of ``GET /v1/sandbox/magic`` ``codes`` reached by other flows' tests, not by a magic row
# walked here: code -> the file that reaches it. Each file must exist and name the code.
COVERED_ELSEWHERE: dict[str, str] = {
    "00": "test_pay.py",  # success: the happy path (and TCC here)
    "ZR": "test_account.py",  # setting a first UPI PIN with a wrong OTP
    "01": "test_collect.py",  # pending: a collect request waiting for the payer
    "ZA": "test_collect.py",  # the payer declines a collect request
    "U69": "test_collect.py",  # a collect request expires
    "QA": "test_mandates.py",  # mandate paused
    "QB": "test_mandates.py",  # mandate already honoured for this notice
    "QC": "test_mandates.py",  # mandate revoked
    "QD": "test_mandates.py",  # mandate expired
}


@dataclass
class World:
    """One partner's world as a row's check sees it."""

    app: FastAPI
    client: httpx.AsyncClient
    partner: SignedUp
    reached: set[str]

    async def pay(self, payer: str, payee: str, amount: str, **kw: Any) -> dict[str, Any]:
        response = await pay(self.client, self.partner, payer, payee, amount, **kw)
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        self.reached.add(body["responseCode"])
        return body

    async def expect(self, code: str, payer: str, payee: str, amount: str, **kw: Any) -> Any:
        """Pay and assert the answer's code; a decline must say why and how to fix it."""
        body = await self.pay(payer, payee, amount, **kw)
        assert body["responseCode"] == code, body
        if code not in ("00", "RB"):
            assert body["status"] == "FAILURE", body
            assert body["detail"]
            assert body["hint"]
        return body

    async def balances(self) -> dict[str, str]:
        return await balances(self.client, self.partner)

    async def advance(self, seconds: int) -> None:
        await advance(self.client, self.partner, seconds)

    async def to_next_day(self) -> None:
        await to_next_day(self.client, self.partner)

    async def sweep(self) -> int:
        state = self.app.state.sandbox
        return await sweep(state.db, state.settings.secret_key, state.clock)

    async def status(self, txn_id: str) -> dict[str, Any]:
        response = await self.client.get(
            f"/v1/upi/transactions/{txn_id}", headers=self.partner.headers
        )
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    async def legs(self, txn_id: str) -> list[str]:
        def unit(conn: sa.Connection) -> list[str]:
            e = ledger_entries
            rows = conn.execute(
                sa.select(e.c.leg)
                .where(e.c.world_id == self.partner.partner_id, e.c.txn_id == txn_id)
                .group_by(e.c.leg, e.c.posting_id)
                .order_by(sa.func.min(e.c.id))
            )
            return [r.leg for r in rows]

        legs: list[str] = await self.app.state.sandbox.db.read(unit)
        return legs

    async def events(self, txn_id: str) -> list[str]:
        def unit(conn: sa.Connection) -> list[str]:
            w = webhook_events
            rows = conn.execute(
                sa.select(w.c.type, w.c.payload)
                .where(w.c.world_id == self.partner.partner_id)
                .order_by(w.c.created_us)
            )
            return [r.type for r in rows if r.payload["data"].get("txnId") == txn_id]

        types: list[str] = await self.app.state.sandbox.db.read(unit)
        return types


async def declined_before_debit(w: World, code: str, payer: str, payee: str, amount: str) -> None:
    """A decline decided before any money moved: nothing posted, no balance changed."""
    before = await w.balances()
    body = await w.expect(code, payer, payee, amount)
    assert await w.legs(body["txnId"]) == []
    assert await w.balances() == before
    assert await w.events(body["txnId"]) == ["payment.failed"]


async def reversed_after_debit(w: World, code: str, payee: str) -> None:
    """A credit that fails after the debit: the debit is reversed (DEBIT + REVERSAL)."""
    before = await w.balances()
    body = await w.expect(code, "asha@sandbox", payee, "321.00")
    assert await w.legs(body["txnId"]) == ["DEBIT", "REVERSAL"]
    assert "reversed" in body["detail"]
    assert await w.balances() == before
    assert await w.events(body["txnId"]) == ["payment.failed", "payment.reversed"]


# -- checks, one per row (kind, value, code) ------------------------------------------------------

Check = Callable[[World], Awaitable[None]]


def payee_row(code: str, vpa: str) -> Check:
    async def check(w: World) -> None:
        if code == "XI":  # the account is missing at the beneficiary bank: debit, then reversal
            await reversed_after_debit(w, code, vpa)
        else:  # risk and permission declines come before the debit
            await declined_before_debit(w, code, "asha@sandbox", vpa, "100.00")

    return check


def amount_row(code: str, cents: int) -> Check:
    async def check(w: World) -> None:
        await declined_before_debit(w, code, "asha@sandbox", "ravi@sandbox", f"100.{cents:02d}")
        # any whole part: the minor-unit part decides
        await declined_before_debit(w, code, "kabir@sandbox", "asha@sandbox", f"7.{cents:02d}")

    return check


async def deemed(w: World, amount: str, settlement: str) -> None:
    """RB now; after 300 s of world time the sweeper settles it as TCC or RET, for good."""
    before = await w.balances()
    body = await w.expect("RB", "asha@sandbox", "ravi@sandbox", amount)
    assert body["status"] == "DEEMED"
    assert body["settlesAt"]
    txn_id = body["txnId"]
    held = await w.balances()  # debited, not yet credited: the money sits in clearing
    assert minor(held["asha@sandbox"]) == minor(before["asha@sandbox"]) - minor(amount)
    assert held["ravi@sandbox"] == before["ravi@sandbox"]
    check = await ledger_ok(w.client, w.partner)
    assert minor(check["inClearing"]) == minor(amount)

    await w.advance(290)  # (10 s short: real time passes too while the test runs)
    await w.sweep()
    assert (await w.status(txn_id))["status"] == "DEEMED"  # not yet

    await w.advance(10)
    await w.sweep()  # (the background sweeper may have been first: either way, once)
    settled = await w.status(txn_id)
    w.reached.add(settled["responseCode"])
    after = await w.balances()
    if settlement == "TCC":
        assert (settled["status"], settled["responseCode"]) == ("SUCCESS", "00")
        assert minor(after["ravi@sandbox"]) == minor(before["ravi@sandbox"]) + minor(amount)
        assert after["asha@sandbox"] == held["asha@sandbox"]
    else:
        assert (settled["status"], settled["responseCode"]) == ("FAILURE", "RB")
        assert after == before  # the money went back to the payer
    assert settled["settlement"] == settlement
    assert "settlesAt" not in settled or settled["settlesAt"] is None
    assert await w.legs(txn_id) == ["DEBIT", settlement]
    assert await w.events(txn_id) == ["payment.deemed", "payment.settled"]
    check = await ledger_ok(w.client, w.partner)
    assert minor(check["inClearing"]) == 0

    # a final state stays final: more sweeps, more time, the same answer and no new legs
    await w.advance(3600)
    assert await w.sweep() == 0
    assert await w.status(txn_id) == settled
    assert await w.legs(txn_id) == ["DEBIT", settlement]
    assert await w.balances() == after


async def pooja(w: World) -> None:
    await declined_before_debit(w, "Z9", "pooja@sandbox", "ravi@sandbox", "5.00")
    body = await w.expect("00", "pooja@sandbox", "ravi@sandbox", "1.00")  # exactly her balance
    assert (await w.balances())["pooja@sandbox"] == "0.00"
    await declined_before_debit(w, "Z9", "pooja@sandbox", "ravi@sandbox", "0.01")
    assert body["status"] == "SUCCESS"


def account_state_row(vpa: str, as_payer: str, as_payee: str) -> Check:
    """Frozen, dormant or offline-bank persona: declined as payer, debit reversed as payee."""

    async def check(w: World) -> None:
        await declined_before_debit(w, as_payer, vpa, "asha@sandbox", "10.00")
        await reversed_after_debit(w, as_payee, vpa)

    return check


async def arjun(w: World) -> None:
    await declined_before_debit(w, "AM", "arjun@sandbox", "ravi@sandbox", "10.00")
    await declined_before_debit(w, "AM", "arjun@sandbox", "ravi@sandbox", "20.00")


async def wrong_pin(w: World) -> None:
    """ZM twice, Z6 on the third wrong PIN in a world day; then Z6 even with the right PIN
    until the next world day; a day later the right PIN pays. Tries of an earlier day do not
    count."""
    before = await w.balances()
    await w.to_next_day()
    for _ in range(2):
        await w.expect("ZM", "asha@sandbox", "ravi@sandbox", "10.00", pin="9999")
    await w.to_next_day()  # yesterday's two wrong tries are forgotten
    for _ in range(2):
        body = await w.expect("ZM", "asha@sandbox", "ravi@sandbox", "10.00", pin="9999")
        assert await w.legs(body["txnId"]) == []
    await w.expect("Z6", "asha@sandbox", "ravi@sandbox", "10.00", pin="9999")
    await w.expect("Z6", "asha@sandbox", "ravi@sandbox", "10.00")  # the right PIN, still locked
    await w.advance(3600)
    await w.expect("Z6", "asha@sandbox", "ravi@sandbox", "10.00")
    assert await w.balances() == before
    # another payer is not locked
    await w.expect("00", "kabir@sandbox", "ravi@sandbox", "10.00")
    await w.advance(86_400)
    await w.expect("00", "asha@sandbox", "ravi@sandbox", "10.00")
    # the lock lapsed and the right PIN cleared the count: one wrong try is ZM again, not Z6
    await w.expect("ZM", "asha@sandbox", "ravi@sandbox", "10.00", pin="9999")


async def neha(w: World) -> None:
    """New VPA: at most 5,000.00 in her first 24 h, cumulative; a day later the cap is gone."""
    await declined_before_debit(w, "Z8", "neha@sandbox", "ravi@sandbox", "6000.00")
    await w.expect("00", "neha@sandbox", "ravi@sandbox", "4000.00")
    await declined_before_debit(w, "Z8", "neha@sandbox", "ravi@sandbox", "1000.01")
    await w.expect("00", "neha@sandbox", "ravi@sandbox", "1000.00")  # exactly the cap
    await w.advance(86_400)
    await w.expect("00", "neha@sandbox", "ravi@sandbox", "6000.00")


async def limits(w: World) -> None:
    """Z8 over the per-transaction limit (100,000.00); ZU once the day's total would pass the
    daily limit (100,000.00); a new world day resets it; a reversed debit does not count."""
    await w.to_next_day()
    await declined_before_debit(w, "Z8", "asha@sandbox", "ravi@sandbox", "100000.01")
    await reversed_after_debit(w, "YF", "farhan@sandbox")  # does not use up the daily limit
    await w.expect("00", "asha@sandbox", "ravi@sandbox", "60000.00")
    await w.expect("00", "asha@sandbox", "kabir@sandbox", "40000.00")  # exactly the limit
    await declined_before_debit(w, "ZU", "asha@sandbox", "ravi@sandbox", "1.00")
    await w.advance(3600)
    await declined_before_debit(w, "ZU", "asha@sandbox", "ravi@sandbox", "1.00")  # same day
    # kabir's own daily limit is his: untouched by what Asha paid
    await w.expect("00", "kabir@sandbox", "ravi@sandbox", "1.00")
    await w.to_next_day()
    await w.expect("00", "asha@sandbox", "ravi@sandbox", "1.00")


async def unknown_vpa(w: World) -> None:
    await declined_before_debit(w, "ZH", "asha@sandbox", "nobody.here@sandbox", "10.00")
    await declined_before_debit(w, "ZH", "nobody.here@sandbox", "asha@sandbox", "10.00")


async def ghost(w: World) -> None:
    await declined_before_debit(w, "XH", "ghost@sandbox", "ravi@sandbox", "10.00")


CHECKS: dict[tuple[str, str, str], Check] = {
    **{
        ("payee", vpa, code): payee_row(code, vpa)
        for vpa, code in (
            ("noaccount@sandbox", "XI"),
            ("fraud@sandbox", "K1"),
            ("blocked@sandbox", "ZE"),
            ("restricted@sandbox", "ZG"),
            ("notpermitted@sandbox", "B3"),
        )
    },
    ("payer", "ghost@sandbox", "XH"): ghost,
    ("amount", "*.07", "Z7"): amount_row("Z7", 7),
    ("amount", "*.08", "U08"): amount_row("U08", 8),
    ("amount", "*.16", "U16"): amount_row("U16", 16),
    ("amount", "*.30", "U30"): amount_row("U30", 30),
    ("amount", "*.91", "RB"): lambda w: deemed(w, "123.91", "TCC"),
    ("amount", "*.92", "RB"): lambda w: deemed(w, "123.92", "RET"),
    ("persona", "pooja@sandbox", "Z9"): pooja,
    ("persona", "farhan@sandbox", "YE / YF"): account_state_row("farhan@sandbox", "YE", "YF"),
    ("persona", "dev@sandbox", "ZX / ZY"): account_state_row("dev@sandbox", "ZX", "ZY"),
    ("persona", "sanjay@sandbox", "XY / Y1"): account_state_row("sanjay@sandbox", "XY", "Y1"),
    ("persona", "arjun@sandbox", "AM"): arjun,
    ("persona", "any payer", "ZM / Z6"): wrong_pin,
    ("persona", "neha@sandbox", "Z8"): neha,
    ("persona", "any payer", "Z8 / ZU"): limits,
    ("persona", "unknown VPA", "ZH"): unknown_vpa,
}

ROWS = magic_table()


def codes_of(row_code: str) -> set[str]:
    return {c.strip() for c in row_code.split("/")}


def row_id(row: Any) -> str:
    return f"{row.kind}:{row.value}:{row.code}".replace(" ", "")


@pytest.mark.parametrize("row", ROWS, ids=row_id)
async def test_magic_row_reaches_its_codes(
    row: Any, app: FastAPI, client: httpx.AsyncClient, partner: SignedUp
) -> None:
    check = CHECKS.get((row.kind, row.value, row.code))
    if check is None:  # a row of another flow's codes (collect, mandates) is checked there
        assert codes_of(row.code) <= COVERED_ELSEWHERE.keys(), f"no check for {row}"
        for code in codes_of(row.code):
            path = TESTS / COVERED_ELSEWHERE[code]
            assert path.exists(), f"{row} is said to be checked by {path.name}: missing"
            assert f'"{code}"' in path.read_text(), f"{path.name} never names {code}"
        return
    world = World(app, client, partner, set())
    await check(world)
    assert codes_of(row.code) <= world.reached, (row, world.reached)
    await ledger_ok(client, partner)


def payment_rows(served: dict[str, Any]) -> list[dict[str, Any]]:
    """The served rows of payments (other domains list theirs beside them, e.g. "identity")."""
    return [m for m in served["magic"] if m["kind"] in {r.kind for r in ROWS}]


async def test_the_served_table_is_the_one_walked_here(client: httpx.AsyncClient) -> None:
    served = (await client.get("/v1/sandbox/magic")).json()
    assert [(m["kind"], m["value"], m["responseCode"]) for m in payment_rows(served)] == [
        (r.kind, r.value, r.code) for r in ROWS
    ]


async def test_every_code_is_reached_here_or_by_a_named_test(client: httpx.AsyncClient) -> None:
    """Every code the sandbox implements is in a row checked above or in COVERED_ELSEWHERE,
    whose file must exist and name the code; and every row has a check."""
    served = (await client.get("/v1/sandbox/magic")).json()
    implemented = set(served["codes"]) & set(CODES)  # payments' codes; identity's have their test
    in_rows = set().union(*(codes_of(m["responseCode"]) for m in payment_rows(served)))
    checked_here = set().union(*(codes_of(code) for _, _, code in CHECKS))
    assert implemented - checked_here - COVERED_ELSEWHERE.keys() == set(), "codes without a test"
    assert in_rows - implemented == set(), "rows naming codes the sandbox does not list"
    for code, name in COVERED_ELSEWHERE.items():
        if code in checked_here:
            continue
        path = TESTS / name
        assert path.exists(), f"{code} is said to be covered by {name}, which does not exist"
        assert f'"{code}"' in path.read_text(), f"{name} never names {code}"


def test_every_row_has_a_check() -> None:
    missing = [
        r
        for r in ROWS
        if (r.kind, r.value, r.code) not in CHECKS
        and not codes_of(r.code) <= COVERED_ELSEWHERE.keys()
    ]
    assert missing == [], "magic rows without a check in CHECKS"
