"""A real server, paying under concurrent load, killed with SIGKILL: no acknowledged payment is
lost, none is invented, and the ledger is balanced after the restart.

DESIGN.md section 3: "An acknowledged payment survives kill -9". Clients pay concurrently with
their own txnIds (so every request can be looked up afterwards), from payers that share
accounts (conflicting debits) and with some declines. Each 200 answer is an acknowledged
payment. After ``SIGKILL`` and a restart on the same database:

* every acknowledged txnId reads back with the answer the client got (status, code, amount),
  and replaying its request answers the same body, ``replayed: true``, moving nothing;
* a request left unanswered by the kill is either absent (404) or fully there;
* each account's balance is its opening balance moved by exactly the SUCCESS payments found,
  and the ledger check is balanced; new payments work.
"""

from __future__ import annotations

import random
import signal
import uuid
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from sandbox.settings import Settings
from tests.harness.crash import Traffic, kill_under_load, sqlite_integrity
from tests.harness.server import ServerProcess
from tests.support.upi import PINS, minor

pytestmark = pytest.mark.slow

CLIENTS = 8
LOAD_SECONDS = 1.5  # at least this long, and until MIN_ACKNOWLEDGED, before the kill
MAX_LOAD_SECONDS = 10.0
MIN_ACKNOWLEDGED = 40
REQUEST_TIMEOUT = 5.0
# Payers share accounts with each other's payees, so debits and credits of one account race.
ROUTES = [
    ("asha@sandbox", "ravi@sandbox"),
    ("asha@sandbox", "meeras.kirana@sandbox"),
    ("ravi@sandbox", "asha@sandbox"),
    ("kabir@sandbox", "meeras.kirana@sandbox"),
    ("lakshmi@sandbox", "kabir@sandbox"),
    ("pooja@sandbox", "ravi@sandbox"),  # mostly Z9: declines must survive too
]


@dataclass
class Sent:
    body: dict[str, Any]
    answer: dict[str, Any] | None = None  # None: no answer (the kill came first)


@dataclass
class Load(Traffic):
    sent: dict[str, Sent] = field(default_factory=dict)  # txnId -> request and answer
    enough: anyio.Event = field(default_factory=anyio.Event)  # MIN_ACKNOWLEDGED answers came
    answered: int = 0

    @property
    def acknowledged(self) -> dict[str, Sent]:
        return {t: s for t, s in self.sent.items() if s.answer is not None}


def txn_id() -> str:
    return ("CRASH" + uuid.uuid4().hex.upper())[:35]


async def payer_task(base_url: str, headers: dict[str, str], load: Load, seed: int) -> None:
    """Pay until the server dies; quit at the first dead socket. Client ``seed`` keeps to one
    route (so every route is exercised), the rest pick one at random each time."""
    rng = random.Random(seed)
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        while True:
            payer, payee = ROUTES[seed] if seed < len(ROUTES) else rng.choice(ROUTES)
            body: dict[str, Any] = {
                "txnId": txn_id(),
                "payer": {"vpa": payer, "pin": PINS[payer]},
                "payee": {"vpa": payee},
                "amount": f"{rng.randint(1, 500)}.{rng.choice([0, 1, 25, 50, 99]):02d}",
            }
            sent = load.sent[body["txnId"]] = Sent(body)
            response = await load.post(client, "/v1/upi/pay", json=body, headers=headers)
            if response is None:
                return
            if response.status_code != 200:
                load.unexpected.append(f"{response.status_code} {response.text[:200]}")
                continue
            sent.answer = response.json()
            load.answered += 1
            if load.answered >= MIN_ACKNOWLEDGED:
                load.enough.set()


async def sign_up(base_url: str) -> tuple[dict[str, str], dict[str, int], dict[str, str]]:
    """A partner; its headers, opening balances by account, and account by VPA."""
    async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
        created = await client.post(
            "/v1/partners", json={"name": "Crash", "contactEmail": "crash@example.com"}
        )
        assert created.status_code == 201, created.text
        headers = {"Authorization": f"Bearer {created.json()['apiKey']}"}
        balances, account_of = await read_balances(client, headers)
        return headers, balances, account_of


async def read_balances(
    client: httpx.AsyncClient, headers: dict[str, str]
) -> tuple[dict[str, int], dict[str, str]]:
    people = (await client.get("/v1/sandbox/personas", headers=headers)).json()["personas"]
    balances, account_of = {}, {}
    for person in people:
        for account in person["accounts"]:
            balances[account["number"]] = minor(account["balance"])
            for vpa in account["vpas"]:
                account_of[vpa] = account["number"]
    return balances, account_of


async def load_then_kill(server: ServerProcess, headers: dict[str, str]) -> tuple[Load, int, int]:
    load = Load()

    async def client(seed: int) -> None:
        await payer_task(server.base_url, headers, load, seed)

    in_flight_at_kill, status = await kill_under_load(
        server,
        load,
        client,
        clients=CLIENTS,
        seconds=LOAD_SECONDS,
        enough=load.enough,
        max_seconds=MAX_LOAD_SECONDS,
    )
    return load, in_flight_at_kill, status


async def verify(
    base_url: str,
    headers: dict[str, str],
    load: Load,
    opening: dict[str, int],
    account_of: dict[str, str],
) -> list[str]:
    """Every acknowledged payment is there as answered; balances follow the payments found."""
    problems: list[str] = []
    found: dict[str, dict[str, Any]] = {}
    limiter = anyio.Semaphore(CLIENTS)

    async def look_up(client: httpx.AsyncClient, tid: str, sent: Sent) -> None:
        async with limiter:
            response = await client.get(f"/v1/upi/transactions/{tid}", headers=headers)
        if response.status_code == 404:
            if sent.answer is not None:
                problems.append(f"{tid}: acknowledged {sent.answer['responseCode']}, now missing")
            return
        if response.status_code != 200:
            problems.append(f"{tid}: status answered {response.status_code} {response.text}")
            return
        now = response.json()
        found[tid] = now
        if sent.answer is not None:
            keys = ("status", "responseCode", "amount", "rrn")
            if any(now[k] != sent.answer[k] for k in keys):
                problems.append(f"{tid}: acknowledged {sent.answer}, reads {now}")
        elif (now["amount"], now["payer"]["vpa"]) != (
            sent.body["amount"],
            sent.body["payer"]["vpa"],
        ):
            problems.append(f"{tid}: unanswered request stored differently: {now}")

    with anyio.fail_after(20):
        async with httpx.AsyncClient(base_url=base_url, timeout=REQUEST_TIMEOUT) as client:
            async with anyio.create_task_group() as tg:
                for tid, sent in load.sent.items():
                    tg.start_soon(look_up, client, tid, sent)

            expected = dict(opening)
            for txn in found.values():
                if txn["status"] == "SUCCESS":
                    expected[account_of[txn["payer"]["vpa"]]] -= minor(txn["amount"])
                    expected[account_of[txn["payee"]["vpa"]]] += minor(txn["amount"])
            balances, _ = await read_balances(client, headers)
            if balances != expected:
                problems.append(f"balances {balances} != opening moved by the payments {expected}")
            check = (await client.get("/v1/sandbox/ledger/check", headers=headers)).json()
            if not check["balanced"]:
                problems.append(f"ledger check after restart: {check}")

            # replaying an acknowledged request answers it again and moves nothing
            tid, sent = next(iter(load.acknowledged.items()))
            replay = await client.post("/v1/upi/pay", json=sent.body, headers=headers)
            assert sent.answer is not None
            if replay.json().get("replayed") is not True or {
                k: v for k, v in replay.json().items() if k != "replayed"
            } != {k: v for k, v in sent.answer.items() if k != "replayed"}:
                problems.append(f"{tid}: replay after restart answered {replay.text}")
            fresh = await client.post(
                "/v1/upi/pay",
                json={
                    "payer": {"vpa": "asha@sandbox", "pin": PINS["asha@sandbox"]},
                    "payee": {"vpa": "ravi@sandbox"},
                    "amount": "1.00",
                },
                headers=headers,
            )
            if fresh.status_code != 200 or fresh.json()["responseCode"] != "00":
                problems.append(f"a new payment after restart: {fresh.text}")
            after, _ = await read_balances(client, headers)
            if after[account_of["ravi@sandbox"]] != balances[account_of["ravi@sandbox"]] + 100:
                problems.append("the replay or the new payment moved the wrong amount")
    return problems


def test_sigkill_under_payment_load_loses_no_acknowledged_payment(
    make_settings: Any, engine_name: str, tmp_path: Path
) -> None:
    settings: Settings = make_settings(world_residents=3)
    db_path = settings.data_dir / "sandbox.db"
    first = ServerProcess(settings, tmp_path / "server-1.log")
    second = ServerProcess(settings, tmp_path / "server-2.log")
    try:
        first.start()
        first.wait_ready(timeout=15)
        headers, opening, account_of = anyio.run(sign_up, first.base_url)
        load, in_flight_at_kill, status = anyio.run(load_then_kill, first, headers)

        assert status == -signal.SIGKILL, first.log_tail()
        assert not load.unexpected, load.unexpected[:5]
        acknowledged = load.acknowledged
        assert len(acknowledged) >= MIN_ACKNOWLEDGED, f"only {len(acknowledged)} before the kill"
        codes = {s.answer["responseCode"] for s in acknowledged.values() if s.answer}
        assert {"00", "Z9"} <= codes, codes  # successes and declines were both acknowledged
        assert in_flight_at_kill > 0, "the kill did not land while payments were in flight"
        assert load.transport_errors > 0
        if engine_name == "sqlite":
            files = [db_path, db_path.with_name("sandbox.db-wal")]
            assert sqlite_integrity(files, tmp_path / "crashed-copy") == "ok"

        second.start()
        second.wait_ready(timeout=15)
        problems = anyio.run(verify, second.base_url, headers, load, opening, account_of)
        assert not problems, f"{len(problems)} problems: {problems[:10]}"
        assert second.stop() in (0, -signal.SIGTERM), second.log_tail()
    finally:
        for server in (first, second):
            if server.proc is not None:
                server.kill()
