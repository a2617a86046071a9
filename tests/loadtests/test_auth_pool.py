"""The identity scenario's sealed requests, against the app in process: every body of the pool
is accepted (ret y) round after round, because each request carries a txn of its own while the
sealed PIDs (and their ts) repeat; and the pool's PIDs each have their own session key."""

from __future__ import annotations

import httpx
import pytest
from lxml import etree

from loadtests.auth_pool import Person, build_pool, demo_pid, ist_ts
from tests.support.http import SignedUp

pytestmark = pytest.mark.anyio


async def _get(client: httpx.AsyncClient, partner: SignedUp, path: str) -> dict[str, object]:
    got = await client.get(path, headers=partner.headers)
    assert got.status_code == 200, got.text
    body: dict[str, object] = got.json()
    return body


async def test_every_pooled_request_passes_round_after_round(
    client: httpx.AsyncClient, partner: SignedUp
) -> None:
    listed = await _get(client, partner, "/v1/sandbox/personas")
    people = [Person(p["uid"], p["name"]) for p in listed["personas"]]  # type: ignore[attr-defined]
    certificate = str((await _get(client, partner, "/v1/identity/certificate"))["certificate"])
    now = str((await _get(client, partner, "/v1/sandbox/clock"))["now"])
    pool = build_pool(people, certificate, ist_ts(now), size=len(people) + 2)

    assert len({s.pid.skey for s in pool.sealed}) == len(pool), "a session key per PID"
    assert [s.uid for s in pool.sealed][: len(people)] == [p.uid for p in people]
    txns = set()
    for _ in range(2 * len(pool)):  # every sealed PID twice: same ts, another txn
        body = pool.next_body()
        txns.add(body["txn"])
        assert (body["uses"], body["data"]["type"]) == ({"pi": "y"}, "X")
        answer = await client.post("/v1/identity/auth", json=body, headers=partner.headers)
        assert answer.status_code == 200, answer.text
        assert answer.json()["ret"] == "y", (body["uid"], answer.json())
    assert len(txns) == 2 * len(pool)
    assert all(len(t) <= 50 for t in txns)


def test_the_pid_escapes_the_name_and_the_ts_is_ist_a_minute_back() -> None:
    odd = 'A "quoted" & <odd> name'
    pid = etree.fromstring(demo_pid(Person("999999990019", odd), "2026-01-01T10:00:00"))
    pi = pid.find("Demo/Pi")
    assert pi is not None
    assert (pid.get("ts"), pi.get("name"), pi.get("ms")) == ("2026-01-01T10:00:00", odd, "E")
    assert ist_ts("2026-01-01T04:31:30.000Z") == "2026-01-01T10:00:30"
