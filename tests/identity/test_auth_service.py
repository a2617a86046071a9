"""Auth API 2.5 without HTTP: ``prepare`` then ``authenticate`` with the stores on a real
database and a manual clock. Each code through its trigger: OTP (400, 402, 403), replays (563),
ts (561, 562), the crypto steps (500, 501, 502, 503, 564), Uses (550, 710...), biometrics (330),
matching (100, 200, partial thresholds, the local-language name), and the record and event of
every answer."""

from __future__ import annotations

import base64
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import anyio
import pytest
import sqlalchemy as sa
from sqlalchemy.engine import Connection

from identity.crypto import encrypt_pid
from identity.keys import AuthKey
from identity.magic import ASHA, KABIR
from identity.schemas.auth import AuthIn, AuthOut
from identity.schemas.otp import OtpIn
from identity.service import auth, prepare
from identity.service.otp import request_otp
from sandbox.inbox.service import list_messages
from sandbox.kit.clock import ManualClock
from sandbox.storage.database import Database
from sandbox.storage.schema import auth_records, webhook_events
from sandbox.world.context import WorldContext
from tests.support.identity import encrypt_under_wrong_key

pytestmark = pytest.mark.anyio
World = Callable[..., WorldContext]
IST = timedelta(hours=5, minutes=30)


def ts_of(world: WorldContext, seconds: int = 0) -> str:
    moment = datetime.fromtimestamp(world.now_us / 1e6, UTC) + IST + timedelta(seconds=seconds)
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def body_of(pid: dict[str, Any], *, uid: str = ASHA, txn: str = "t-1", **over: Any) -> AuthIn:
    uses = over.pop("uses", {"pi": "y"})
    data = {"uid": uid, "rc": "Y", "ver": "2.5", "txn": txn, "uses": uses, "pid": pid, **over}
    return AuthIn.model_validate(data)


async def run(
    db: Database, world: WorldContext, body: AuthIn, key: AuthKey | None = None
) -> AuthOut:
    prepared = await prepare.prepare(world, body, key)
    return await auth.authenticate(db, world, body, prepared, idempotency_key=None)


def pi(world: WorldContext, seconds: int = 0, **attrs: Any) -> dict[str, Any]:
    return {"ts": ts_of(world, seconds), "ver": "2.0", "demo": {"pi": attrs}}


async def test_matching_demographics_answer_y_with_a_token_record_and_event(
    db: Database, world: World
) -> None:
    w = world()
    answer = await run(db, w, body_of(pi(w, name="Asha Verma", gender="F", dob="1990-04-12")))
    assert (answer.ret, answer.err, answer.txn) == ("y", None, "t-1")
    assert re.fullmatch(r"[A-Z2-7]{52}", answer.info.uid_token or "")
    assert answer.ts.endswith("+05:30")

    def stored(conn: Connection) -> tuple[list[Any], list[Any]]:
        records = list(conn.execute(sa.select(auth_records)))
        events = list(
            conn.execute(
                sa.select(webhook_events.c.type, webhook_events.c.payload).where(
                    webhook_events.c.type.like("identity.%")
                )
            )
        )
        return records, events

    records, events = await db.read(stored)
    assert [(r.id, r.ret, r.uid_last4, r.easy_path) for r in records] == [
        (answer.code, "y", "0019", True)
    ]
    assert [e.type for e in events] == ["identity.authenticated"]
    assert ASHA not in str(events[0].payload)
    assert events[0].payload["data"]["uidToken"] == answer.info.uid_token


@pytest.mark.parametrize(
    "attrs", [{"name": "Asha Varma"}, {"name": "Asha Verma", "gender": "M"}, {"dob": "1991"}]
)
async def test_mismatches_are_100(db: Database, world: World, attrs: dict[str, Any]) -> None:
    w = world()
    answer = await run(db, w, body_of(pi(w, **attrs)))
    assert (answer.ret, answer.err) == ("n", "100")
    assert answer.hint


# "Asa Verma" against "Asha Verma" scores 2 * 9 / 19 = 94.7
@pytest.mark.parametrize(("mv", "ret"), [("94", "y"), ("95", "n")])
async def test_partial_name_threshold(db: Database, world: World, mv: str, ret: str) -> None:
    w = world()
    answer = await run(db, w, body_of(pi(w, ms="P", mv=mv, name="Asa Verma")))
    assert answer.ret == ret


@pytest.mark.parametrize(
    ("lname", "lmv", "ret"), [("आशा वर्मा", "100", "y"), ("आशा", "100", "n"), ("आशा", "50", "y")]
)
async def test_local_language_name(
    db: Database, world: World, lname: str, lmv: str, ret: str
) -> None:
    w = world()
    ms = "E" if lmv == "100" else "P"
    pid = {
        "ts": ts_of(w),
        "ver": "2.0",
        "demo": {"lang": "06", "pi": {"ms": ms, "lname": lname, "lmv": lmv}},
    }
    answer = await run(db, w, body_of(pid))
    assert answer.ret == ret, answer


async def test_address_mismatch_is_200(db: Database, world: World) -> None:
    w = world()
    pid = {"ts": ts_of(w), "ver": "2.0", "demo": {"pa": {"pc": "000000"}}}
    answer = await run(db, w, body_of(pid, uses={"pa": "y"}))
    assert (answer.ret, answer.err) == ("n", "200")


async def test_a_replay_of_txn_and_ts_is_563_but_a_fresh_ts_is_fine(
    db: Database, world: World
) -> None:
    w = world()
    pid = pi(w, name="Asha Verma")
    assert (await run(db, w, body_of(pid))).ret == "y"
    replay = await run(db, w, body_of(pid))
    assert (replay.ret, replay.err) == ("n", "563")
    assert replay.hint is not None
    assert "replay" in replay.hint
    assert (await run(db, w, body_of(pi(w, -1, name="Asha Verma")))).ret == "y"


@pytest.mark.parametrize(("seconds", "err"), [(-25 * 3600, "561"), (3600, "562")])
async def test_old_and_future_ts(db: Database, world: World, seconds: int, err: str) -> None:
    w = world()
    answer = await run(db, w, body_of(pi(w, seconds, name="Asha Verma")))
    assert (answer.ret, answer.err) == ("n", err)


async def test_ts_is_judged_by_world_time(db: Database, world: World, clock: ManualClock) -> None:
    w = world()
    pid = pi(w, name="Asha Verma")
    clock.advance(25 * 3600)
    answer = await run(db, world(), body_of(pid, txn="t-late"))
    assert answer.err == "561"


@pytest.mark.parametrize(
    ("over", "err"),
    [({"rc": "N"}, "512"), ({"ver": "2.0"}, "540")],
)
async def test_envelope_codes(db: Database, world: World, over: dict[str, str], err: str) -> None:
    w = world()
    answer = await run(db, w, body_of(pi(w, name="Asha Verma"), **over))
    assert (answer.ret, answer.err) == ("n", err)


@pytest.mark.parametrize(
    ("uses", "demo", "err"),
    [
        ({"pi": "y", "pa": "y"}, {"pi": {"name": "Asha Verma"}}, "720"),
        ({"pfa": "y"}, {"pi": {"name": "Asha Verma"}}, "721"),
        ({"otp": "y", "pi": "y"}, {"pi": {"name": "Asha Verma"}}, "740"),
        ({"pi": "n"}, {"pi": {"name": "Asha Verma"}}, "901"),
        ({"pa": "y"}, {"pa": {"pc": "1"}, "pi": {"name": "Asha Verma"}}, "550"),
        ({"pi": "y", "pin": "y"}, {"pi": {"name": "Asha Verma"}}, "550"),
        ({"pi": "y", "bio": "y", "bt": "FMR"}, {"pi": {"name": "Asha Verma"}}, "810"),
    ],
)
async def test_uses_against_the_pid(
    db: Database, world: World, uses: dict[str, str], demo: dict[str, Any], err: str
) -> None:
    w = world()
    pid = {"ts": ts_of(w), "ver": "2.0", "demo": demo}
    answer = await run(db, w, body_of(pid, uses=uses))
    assert (answer.ret, answer.err) == ("n", err), answer


async def test_pi_declared_without_pi_is_710(db: Database, world: World) -> None:
    w = world()
    pid = {"ts": ts_of(w), "ver": "2.0", "demo": {"pa": {"pc": "1"}}}
    answer = await run(db, w, body_of(pid, uses={"pi": "y", "pa": "y"}))
    assert answer.err == "710"


async def test_kabir_biometrics_are_locked_330(db: Database, world: World) -> None:
    w = world()
    bio = base64.b64encode(b"minutiae").decode()
    pid = {
        "ts": ts_of(w),
        "ver": "2.0",
        "bios": [{"type": "FMR", "posh": "LEFT_INDEX", "value": bio}],
    }
    answer = await run(db, w, body_of(pid, uid=KABIR, uses={"bio": "y", "bt": "FMR"}))
    assert (answer.ret, answer.err) == ("n", "330")


# -- OTP ------------------------------------------------------------------------------------------


async def _send_otp(db: Database, w: WorldContext, txn: str = "t-otp") -> str:
    body = OtpIn.model_validate({"uid": ASHA, "txn": txn, "channel": "01"})
    assert (await request_otp(db, w, body, idempotency_key=None)).ret == "y"
    page = await list_messages(db, w, to="+919876500001", limit=1, cursor=None)
    found = re.search(r"\b(\d{6})\b", page.messages[0].body)
    assert found is not None
    return found[1]


def otp_pid(w: WorldContext, otp: str, seconds: int = 0) -> dict[str, Any]:
    return {"ts": ts_of(w, seconds), "ver": "2.0", "pv": {"otp": otp}}


async def test_otp_right_once_then_used(db: Database, world: World) -> None:
    w = world()
    otp = await _send_otp(db, w)
    ok = await run(db, w, body_of(otp_pid(w, otp), txn="t-otp", uses={"otp": "y"}))
    assert ok.ret == "y"
    again = await run(db, w, body_of(otp_pid(w, otp, -1), txn="t-otp", uses={"otp": "y"}))
    assert (again.ret, again.err) == ("n", "403")


async def test_otp_with_another_txn_is_402(db: Database, world: World) -> None:
    w = world()
    otp = await _send_otp(db, w)
    answer = await run(db, w, body_of(otp_pid(w, otp), txn="t-other", uses={"otp": "y"}))
    assert (answer.ret, answer.err) == ("n", "402")
    assert answer.hint is not None
    assert "t-otp" in answer.hint


async def test_three_wrong_tries_then_403_even_for_the_right_otp(
    db: Database, world: World
) -> None:
    w = world()
    otp = await _send_otp(db, w)
    wrong = "000000" if otp != "000000" else "111111"
    for i in range(3):
        answer = await run(db, w, body_of(otp_pid(w, wrong, -i), txn="t-otp", uses={"otp": "y"}))
        assert (answer.ret, answer.err) == ("n", "400")
    last = await run(db, w, body_of(otp_pid(w, otp, -5), txn="t-otp", uses={"otp": "y"}))
    assert (last.ret, last.err) == ("n", "403")


async def test_an_otp_expires_after_10_minutes_of_world_time(
    db: Database, world: World, clock: ManualClock
) -> None:
    otp = await _send_otp(db, world())
    clock.advance(599)
    w = world()
    assert (await run(db, w, body_of(otp_pid(w, otp), txn="t-otp", uses={"otp": "y"}))).ret == "y"
    otp = await _send_otp(db, world(), txn="t-otp-2")
    clock.advance(600)
    w = world()
    late = await run(db, w, body_of(otp_pid(w, otp), txn="t-otp-2", uses={"otp": "y"}))
    assert (late.ret, late.err) == ("n", "403")


async def test_no_otp_requested_is_403(db: Database, world: World) -> None:
    w = world()
    answer = await run(db, w, body_of(otp_pid(w, "123456"), uses={"otp": "y"}))
    assert (answer.ret, answer.err) == ("n", "403")


async def test_otp_and_a_name_mismatch_keeps_the_otp(db: Database, world: World) -> None:
    w = world()
    otp = await _send_otp(db, w)
    pid = {**otp_pid(w, otp), "demo": {"pi": {"name": "Somebody Else"}}}
    answer = await run(db, w, body_of(pid, txn="t-otp", uses={"otp": "y", "pi": "y"}))
    assert answer.err == "100"
    pid = {**otp_pid(w, otp, -1), "demo": {"pi": {"name": "Asha Verma"}}}
    answer = await run(db, w, body_of(pid, txn="t-otp", uses={"otp": "y", "pi": "y"}))
    assert answer.ret == "y"


# -- the encrypted PID ----------------------------------------------------------------------------


def _sealed(
    w: WorldContext,
    key: AuthKey,
    pid: bytes,
    ts: str,
    *,
    sandbox: AuthKey | None = None,
    **over: Any,
) -> AuthIn:
    """The PID sealed under ``key``; with ``sandbox``, a foreign key the sandbox surely refuses."""
    if sandbox is None:
        s = encrypt_pid(pid, key.certificate, ts=ts)
    else:
        s = encrypt_under_wrong_key(pid, key, sandbox, ts=ts)
    data: dict[str, Any] = {
        "uid": ASHA,
        "rc": "Y",
        "ver": "2.5",
        "txn": "t-enc",
        "uses": {"pi": "y"},
        "skey": {"ci": s.ci, "value": s.skey},
        "hmac": s.hmac,
        "data": {"type": "X", "value": s.data},
    }
    for name, value in over.items():
        data[name] = value(data) if callable(value) else value
    return AuthIn.model_validate(data)


def _xml(ts: str, name: str = "Asha Verma") -> bytes:
    return f'<Pid ts="{ts}" ver="2.0"><Demo><Pi name="{name}"/></Demo></Pid>'.encode()


def _flip(b64: str) -> str:
    raw = bytearray(base64.b64decode(b64))
    raw[-1] ^= 1
    return base64.b64encode(bytes(raw)).decode()


async def test_an_encrypted_pid_is_accepted(
    db: Database, world: World, fixed_auth_key: AuthKey
) -> None:
    w = world()
    ts = ts_of(w)
    answer = await run(db, w, _sealed(w, fixed_auth_key, _xml(ts), ts), fixed_auth_key)
    assert answer.ret == "y", answer


async def test_each_crypto_step_has_its_code(
    db: Database, world: World, fixed_auth_key: AuthKey, other_auth_key: AuthKey
) -> None:
    w = world()
    cases: list[tuple[str, Any]] = [
        ("500", lambda ts: _sealed(w, other_auth_key, _xml(ts), ts, sandbox=fixed_auth_key)),
        (
            "501",
            lambda ts: _sealed(
                w, fixed_auth_key, _xml(ts), ts, skey=lambda d: {**d["skey"], "ci": "20000101"}
            ),
        ),
        (
            "502",
            lambda ts: _sealed(
                w,
                fixed_auth_key,
                _xml(ts),
                ts,
                data=lambda d: {**d["data"], "value": _flip(d["data"]["value"])},
            ),
        ),
        (
            "503",
            lambda ts: _sealed(w, fixed_auth_key, _xml(ts), ts, hmac=lambda d: _flip(d["hmac"])),
        ),
    ]
    for i, (err, make) in enumerate(cases):
        ts = ts_of(w, -i)
        answer = await run(db, w, make(ts), fixed_auth_key)
        assert (answer.ret, answer.err) == ("n", err), answer


async def test_an_hmac_of_another_pid_is_564(
    db: Database, world: World, fixed_auth_key: AuthKey
) -> None:
    w = world()
    ts = ts_of(w)
    key = bytes(range(32))
    sent = encrypt_pid(_xml(ts), fixed_auth_key.certificate, ts=ts, session_key=key)
    other = encrypt_pid(_xml(ts, "Ravi Kumar"), fixed_auth_key.certificate, ts=ts, session_key=key)
    body = _sealed(
        w,
        fixed_auth_key,
        _xml(ts),
        ts,
        skey={"ci": sent.ci, "value": sent.skey},
        data={"type": "X", "value": sent.data},
        hmac=other.hmac,
    )
    answer = await run(db, w, body, fixed_auth_key)
    assert (answer.ret, answer.err) == ("n", "564")


async def test_two_concurrent_twins_give_one_y_and_one_563(db: Database, world: World) -> None:
    w = world()
    body = body_of(pi(w, name="Asha Verma"), txn="t-twins")
    answers = []

    async def send() -> None:
        answers.append(await run(db, w, body))

    async with anyio.create_task_group() as group:
        group.start_soon(send)
        group.start_soon(send)
    assert sorted((a.ret, a.err) for a in answers) == [("n", "563"), ("y", None)]
